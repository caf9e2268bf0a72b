/* qmail-queued: qmail-queue without an exec for every message. Runs as qmailq
 * under s6 and listens on HOME/queued/socket. For each connection it forks a child
 * that takes the client's message and envelope pipes (two descriptors passed with
 * one byte), tells the client its pid, and does qmail-queue's work for the
 * client's uid (the kernel's word for it, SO_PEERCRED), writing the exit code to
 * the connection as it ends (qmail-queued(8)). The parent reads nothing from a
 * client; past its limit of children it answers "busy" and the client runs
 * bin/qmail-queue itself, as it does whenever this daemon is not there. */
/* accept4(2), SO_PEERCRED and struct ucred are Linux's */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <skalibs/djbunix.h>
#include <skalibs/iopause.h>
#include <skalibs/selfpipe.h>
#include <skalibs/sgetopt.h>
#include <skalibs/sig.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>

#include "qm_conf.h"
#include "qm_exit.h"
#include "qm_fdpass.h"
#include "qm_qq.h"
#include "queue_main.h"

char const *PROG = "qmail-queued";
#define USAGE "qmail-queued [ -c children ] [ -d notif ] [ -s socket ]"
#define CHILDREN_MAX 10000
#define HELLO_TIMEOUT 10   /* seconds a client has to pass its two descriptors */

static int lfd = -1;
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
static void child(int conn)
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
static int crashed(int wstat)
{
  if (WIFEXITED(wstat)) return WEXITSTATUS(wstat) == QQ_EXIT_BUG;
  if (!WIFSIGNALED(wstat)) return 0;
  switch (WTERMSIG(wstat)) {
  case SIGSEGV: case SIGBUS: case SIGILL: case SIGFPE: case SIGABRT: case SIGSYS: case SIGTRAP: return 1;
  default: return 0;
  }
}

static void reap(void)
{
  int wstat;
  while (waitpid(-1, &wstat, WNOHANG) > 0) {
    if (children) children--;
    if (crashed(wstat)) strerr_dief1x(QM_EXIT_TEMP, "a child crashed: exiting, to be started afresh");
  }
}

static void serve(unsigned int max)
{
  int conn = accept4(lfd, 0, 0, SOCK_CLOEXEC);
  pid_t pid;
  if (conn < 0) {
    if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
      strerr_warnwu1sys("accept a connection");
    return;
  }
  /* the client queues through bin/qmail-queue instead; it sent its pipes, which
   * the kernel closes with the connection */
  if (children >= max) {
    (void)!write(conn, QM_QQ_BUSY "\n", 2);
    close(conn);
    return;
  }
  pid = fork();
  if (!pid) child(conn);
  if (pid < 0) {
    strerr_warnwu1sys("fork");
    (void)!write(conn, QM_QQ_BUSY "\n", 2);
  } else children++;
  close(conn);
}

static int listener(char const *path)
{
  struct sockaddr_un sa;
  size_t len = strlen(path);
  int fd;
  if (len >= sizeof sa.sun_path) strerr_dief2x(QM_EXIT_PERM, "socket path too long: ", path);
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  memcpy(sa.sun_path, path, len);
  fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) strerr_diefu1sys(QM_EXIT_TEMP, "create a socket");
  if (unlink(path) < 0 && errno != ENOENT) strerr_diefu2sys(QM_EXIT_TEMP, "remove ", path);
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) strerr_diefu2sys(QM_EXIT_TEMP, "bind ", path);
  /* anyone may queue, as anyone may run qmail-queue; only its directory's owner
   * can put a socket there, which is what clients check */
  if (chmod(path, 0777) < 0) strerr_diefu2sys(QM_EXIT_TEMP, "chmod ", path);
  if (listen(fd, 128) < 0) strerr_diefu2sys(QM_EXIT_TEMP, "listen on ", path);
  return fd;
}

int main(int argc, char const *const *argv)
{
  subgetopt l = SUBGETOPT_ZERO;
  char const *path = QM_QQ_SOCKET;
  unsigned int max = 200;
  int notif = -1, spfd;
  for (;;) {
    int opt = subgetopt_r(argc, argv, "c:d:s:", &l);
    unsigned int u;
    if (opt == -1) break;
    switch (opt) {
    case 'c':
      if (!uint0_scan(l.arg, &u) || !u || u > CHILDREN_MAX) strerr_dieusage(QM_EXIT_PERM, USAGE);
      max = u;
      break;
    case 'd':
      if (!uint0_scan(l.arg, &u) || u < 3 || fcntl((int)u, F_GETFD) < 0) strerr_dieusage(QM_EXIT_PERM, USAGE);
      notif = (int)u;
      break;
    case 's': path = l.arg; break;
    default: strerr_dieusage(QM_EXIT_PERM, USAGE);
    }
  }
  if (!geteuid()) strerr_dief1x(QM_EXIT_PERM, "must not run as root: run it as the queue's owner");
  if (sig_altignore(SIGPIPE) < 0) strerr_diefu1sys(QM_EXIT_TEMP, "ignore SIGPIPE");
  spfd = selfpipe_init();
  if (spfd < 0 || selfpipe_trap(SIGCHLD) < 0 || selfpipe_trap(SIGTERM) < 0)
    strerr_diefu1sys(QM_EXIT_TEMP, "set up the self-pipe");
  lfd = listener(path);
  if (notif >= 0) {
    (void)!write(notif, "\n", 1);
    close(notif);
  }
  for (;;) {
    iopause_fd x[2] = { { .fd = spfd, .events = IOPAUSE_READ }, { .fd = lfd, .events = IOPAUSE_READ } };
    if (iopause_g(x, 2, 0) < 0) {
      if (errno == EINTR) continue;
      strerr_diefu1sys(QM_EXIT_TEMP, "iopause");
    }
    if (x[0].revents & IOPAUSE_READ) {
      int sig;
      while ((sig = selfpipe_read()) > 0) {
        if (sig == SIGCHLD) reap();
        /* children in flight finish on their own and answer their clients */
        else if (sig == SIGTERM) return 0;
      }
    }
    if (x[1].revents & IOPAUSE_READ) serve(max);
  }
}
