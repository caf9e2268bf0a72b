/* Handing a message to qmail-queue: the caller side of qmail-queue(8). Starts
 * $QMAILQUEUE (when the caller allows it) or HOME/bin/qmail-queue with the message
 * pipe on its fd 0, the envelope pipe on fd 1 and an error pipe on fd 6, streams the
 * message, then the envelope, then turns the exit status into a delivery status.
 * For the installed qmail-queue it first asks qmail-queued (qmail-queued(8)), which
 * does the same work without an exec; its answer counts like an exit code.
 * The caller must ignore SIGPIPE: a qmail-queue that dies early must show up as its
 * exit code, not kill the caller. */
#ifndef QM_QQ_H
#define QM_QQ_H

#include <stddef.h>
#include <sys/types.h>
#include <skalibs/buffer.h>

#include "qm_conf.h"

#define QM_QQ_STATUS_MAX 256
#define QM_QQ_BUFSIZE 8192

/* qmail-queued's socket and its protocol: the client sends the byte QM_QQ_HELLO
 * with its message and envelope pipes' read ends attached; the answer is a line,
 * "P<pid>" from the child that does the work, or QM_QQ_BUSY from the daemon,
 * then, once the work is done, the exit code as one byte. */
#define QM_QQ_SOCKET QM_HOME "/queued/socket"
#define QM_QQ_SOCKDIR QM_HOME "/queued"
#define QM_QQ_HELLO 'q'
#define QM_QQ_BUSY "B"
#define QM_QQ_HELLO_TIMEOUT 5000   /* ms the client waits for the first answer */

/* The outcome: kind 'K' accepted, 'D' permanent, 'Z' temporary; text for D/Z in
 * qmail's words with an enhanced status code, e.g. "qq write error or disk full (#4.3.0)". */
typedef struct qm_qq_status_s {
  char kind;
  char text[QM_QQ_STATUS_MAX];
} qm_qq_status;

typedef struct qm_qq_s {
  pid_t pid;          /* the process doing the work (not ours to wait for with sock) */
  int sock;           /* the connection to qmail-queued, or -1: pid is our child */
  int errfd;          /* read end of the child's fd 6 */
  int envfd;          /* write end of the child's fd 1 */
  int failed;         /* a write to the child failed: never report success */
  buffer msg;         /* write side of the child's fd 0 */
  char msgbuf[QM_QQ_BUFSIZE];
} qm_qq;

/* program: the queue program to run, or 0 for $QMAILQUEUE if use_env, else the
 * installed qmail-queue. Returns 1, or 0 with errno set (nothing left running). */
int qm_qq_start(qm_qq *qq, char const *program, int use_env);
/* The same with the child's working directory given (tests, other homes). */
int qm_qq_start_in(qm_qq *qq, char const *home, char const *program, int use_env);
int qm_qq_put(qm_qq *qq, char const *s, size_t len);      /* message bytes */
int qm_qq_puts(qm_qq *qq, char const *s);
/* Ends the message, sends F<sender>, T<rcpt> for each of n recipients and the final
 * NUL, waits for the child, and fills st. Returns 1 if accepted (st->kind 'K'). */
int qm_qq_finish(qm_qq *qq, char const *sender, char const *const *rcpts, size_t n,
                 qm_qq_status *st);
/* Kills and reaps a child that must not queue anything (the caller gave up). */
void qm_qq_abort(qm_qq *qq);

/* Pure: the status for a qmail-queue exit code (or -1 for death by signal, 120 for
 * an exec failure), with the text it left on fd 6 for code 82. */
void qm_qq_status_from_exit(qm_qq_status *st, int code, char const *custom, size_t customlen);

#endif
