/* The plumbing shared by the daemons that fork a child for each connection on a
 * local socket instead of having a program executed for it (qmail-queued,
 * qmail-smtpdd): their options, their socket, their loop. What a child does, and
 * who may connect, is each daemon's own. */
#ifndef QM_FORKD_H
#define QM_FORKD_H

#include <sys/types.h>

#define QM_FORKD_CHILDREN_MAX 10000

typedef struct qm_forkd_s {
  char const *path;       /* the socket (-s; default set by the caller) */
  unsigned int max;       /* children at once (-c; default set by the caller) */
  int notif;              /* readiness descriptor (-d), or -1 */
  int type;               /* SOCK_STREAM or SOCK_SEQPACKET */
  mode_t mode;            /* of the socket file */
  char const *usage;
  void (*reap)(void);     /* SIGCHLD came: collect the children */
  void (*serve)(int conn, int lfd); /* a new connection (close-on-exec): fork for it */
} qm_forkd;

/* Parses "-c children -d notif -s socket" into d (dies with d->usage on a bad one),
 * refuses root, sets up the self-pipe (SIGCHLD, SIGTERM) and the socket, tells s6
 * it is ready, and serves until SIGTERM; returns 0 then. Dies on a system error.
 * A child must call selfpipe_finish() and close the listening socket first. */
int qm_forkd_main(qm_forkd *d, int argc, char const *const *argv);

/* 1 when a child's wait status says it died of a fault signal (SIGSEGV, SIGBUS,
 * SIGILL, SIGFPE, SIGABRT, SIGSYS, SIGTRAP): it may have been probed, and since
 * every child shares the daemon's layout and canary the daemon should exit and
 * let s6 start a fresh one. */
int qm_forkd_crashed(int wstat);

#endif
