/* qmail-queued: qmail-queue without an exec for every message. Runs as qmailq
 * under s6 and listens on HOME/queued/socket. For each connection it forks a child
 * that takes the client's message and envelope pipes (two descriptors passed with
 * one byte), tells the client its pid, and does qmail-queue's work for the
 * client's uid (the kernel's word for it, SO_PEERCRED), writing the exit code to
 * the connection as it ends (qmail-queued(8)). The parent reads nothing from a
 * client; past its limit of children it answers "busy" and the client runs
 * bin/qmail-queue itself, as it does whenever this daemon is not there. */
/* SO_PEERCRED and struct ucred are Linux's */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <skalibs/djbunix.h>
#include <skalibs/selfpipe.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>

#include "qm_conf.h"
#include "qm_exit.h"
#include "qm_fdpass.h"
#include "qm_forkd.h"
#include "qm_qq.h"
#include "queue_main.h"

char const *PROG = "qmail-queued";
#define USAGE "qmail-queued [ -c children ] [ -d notif ] [ -s socket ]"
#define HELLO_TIMEOUT 10   /* seconds a client has to pass its two descriptors */

static qm_forkd d;   /* defined with its hooks below main's helpers */
static unsigned int children;

/* A child that cannot start the work still tells the client why, as qmail-queue's
 * exit code would. */
static void child_fail(int conn, int code)
{
  unsigned char c = (unsigned char)code;
  (void)!write(conn, &c, 1);
  _exit(code);
}

/* The child: the connection is conn; never returns. */
static void child(int conn, int lfd)
{
  struct ucred cr;
  socklen_t crlen = sizeof cr;
  int fds[2];
  unsigned int nfd = 0;
  char hello, line[2 + PID_FMT];
  size_t n;
  ssize_t r;
  selfpipe_finish();
  close(lfd);
  /* what ps and pgrep show: the work is qmail-queue's */
  prctl(PR_SET_NAME, "qmail-queue", 0, 0, 0);
  if (conn < 3) {
    int c = fcntl(conn, F_DUPFD_CLOEXEC, 3);
    if (c < 0) _exit(QQ_EXIT_BUG);
    close(conn);
    conn = c;
  }
  if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) < 0 || crlen != sizeof cr)
    child_fail(conn, QQ_EXIT_BUG);
  alarm(HELLO_TIMEOUT);
  do r = qm_fdpass_recv(conn, &hello, 1, fds, 2, &nfd, 0);
  while (r < 0 && errno == EINTR);
  alarm(0);
  if (r != 1 || hello != QM_QQ_HELLO || nfd != 2) {
    while (nfd--) close(fds[nfd]);
    child_fail(conn, QQ_EXIT_READ);
  }
  if (fd_move2(0, fds[0], 1, fds[1]) < 0) child_fail(conn, QQ_EXIT_READ);
  line[0] = 'P';
  n = 1 + pid_fmt(line + 1, getpid());
  line[n++] = '\n';
  if (write(conn, line, n) != (ssize_t)n) _exit(QQ_EXIT_READ);
  queue_main((unsigned long)cr.uid, conn);
}

/* A child that crashed (qmail-queue's fault handlers turn that into exit 81) may
 * have been probed: every child shares this process's address-space layout and
 * stack canary, which a fork does not change. Exiting makes s6 start a fresh
 * process with new ones, so a crash teaches nothing about the next child. Clients
 * run qmail-queue themselves meanwhile; children in flight are not touched. */
static void reap(void)
{
  int wstat;
  while (waitpid(-1, &wstat, WNOHANG) > 0) {
    if (children) children--;
    if ((WIFEXITED(wstat) && WEXITSTATUS(wstat) == QQ_EXIT_BUG) || qm_forkd_crashed(wstat))
      strerr_dief1x(QM_EXIT_TEMP, "a child crashed: exiting, to be started afresh");
  }
}

static void serve(int conn, int lfd)
{
  pid_t pid;
  /* the client queues through bin/qmail-queue instead; it sent its pipes, which
   * the kernel closes with the connection */
  if (children >= d.max) {
    (void)!write(conn, QM_QQ_BUSY "\n", 2);
    close(conn);
    return;
  }
  pid = fork();
  if (!pid) child(conn, lfd);
  if (pid < 0) {
    strerr_warnwu1sys("fork");
    (void)!write(conn, QM_QQ_BUSY "\n", 2);
  } else children++;
  close(conn);
}

/* anyone may queue, as anyone may run qmail-queue; only its directory's owner can
 * put a socket there, which is what clients check */
static qm_forkd d = { .path = QM_QQ_SOCKET, .max = 200, .notif = -1, .type = SOCK_STREAM,
                      .mode = 0777, .usage = USAGE, .reap = &reap, .serve = &serve };

int main(int argc, char const *const *argv)
{
  return qm_forkd_main(&d, argc, argv);
}
