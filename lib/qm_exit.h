/* Exit codes shared by the suite's programs: the generic 0/100/111 of commands and
 * daemons, qmail-queue(8)'s table, and qmail-local's. Every man page lists the ones
 * its program uses under EXIT CODES. */
#ifndef QM_EXIT_H
#define QM_EXIT_H

#define QM_EXIT_OK 0
#define QM_EXIT_PERM 100    /* usage, bad data, bad configuration */
#define QM_EXIT_TEMP 111    /* system, memory, I/O: try again later */

/* qmail-queue(8). 11-40 are permanent, everything else temporary. */
#define QQ_EXIT_OK 0
#define QQ_EXIT_ADDR_TOO_LONG 11
#define QQ_EXIT_PERM_REFUSED 31
#define QQ_EXIT_NOMEM 51
#define QQ_EXIT_TIMEOUT 52
#define QQ_EXIT_WRITE 53
#define QQ_EXIT_READ 54
#define QQ_EXIT_CONFIG 55
#define QQ_EXIT_NETWORK 56
#define QQ_EXIT_HOME 61
#define QQ_EXIT_QUEUEDIR 62
#define QQ_EXIT_PID 63
#define QQ_EXIT_MESS 64
#define QQ_EXIT_INTD 65
#define QQ_EXIT_TODO 66
#define QQ_EXIT_TEMP_REFUSED 71
#define QQ_EXIT_CONN_TIMEOUT 72
#define QQ_EXIT_CONN_REFUSED 73
#define QQ_EXIT_CONN_FAILED 74
#define QQ_EXIT_BUG 81
#define QQ_EXIT_CUSTOM 82   /* the reason is on fd 6: Dtext or Ztext */
#define QQ_EXIT_ENVELOPE 91
#define QQ_EXIT_EXEC 120    /* the caller's child could not exec qmail-queue */

/* qmail-local: 0 delivered, 99 delivered and stop, 100 permanent, 111 temporary. */
#define QL_EXIT_STOP 99

#endif
