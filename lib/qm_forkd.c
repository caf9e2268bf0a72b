/* The forking daemons' shared plumbing (qm_forkd.h). Reads nothing from clients. */
/* accept4(2) is Linux's */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <skalibs/iopause.h>
#include <skalibs/selfpipe.h>
#include <skalibs/sgetopt.h>
#include <skalibs/sig.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>

#include "qm_exit.h"
#include "qm_forkd.h"

int qm_forkd_crashed(int wstat)
{
  if (!WIFSIGNALED(wstat)) return 0;
  switch (WTERMSIG(wstat)) {
  case SIGSEGV: case SIGBUS: case SIGILL: case SIGFPE: case SIGABRT: case SIGSYS: case SIGTRAP: return 1;
  default: return 0;
  }
}

static void options(qm_forkd *d, int argc, char const *const *argv)
{
  subgetopt l = SUBGETOPT_ZERO;
  for (;;) {
    int opt = subgetopt_r(argc, argv, "c:d:s:", &l);
    unsigned int u;
    if (opt == -1) break;
    switch (opt) {
    case 'c':
      if (!uint0_scan(l.arg, &u) || !u || u > QM_FORKD_CHILDREN_MAX) strerr_dieusage(QM_EXIT_PERM, d->usage);
      d->max = u;
      break;
    case 'd':
      if (!uint0_scan(l.arg, &u) || u < 3 || fcntl((int)u, F_GETFD) < 0) strerr_dieusage(QM_EXIT_PERM, d->usage);
      d->notif = (int)u;
      break;
    case 's': d->path = l.arg; break;
    default: strerr_dieusage(QM_EXIT_PERM, d->usage);
    }
  }
}

/* A fresh socket at d->path: one left by an earlier instance is replaced. */
static int listener(qm_forkd const *d)
{
  struct sockaddr_un sa;
  size_t len = strlen(d->path);
  int fd;
  if (len >= sizeof sa.sun_path) strerr_dief2x(QM_EXIT_PERM, "socket path too long: ", d->path);
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  memcpy(sa.sun_path, d->path, len);
  fd = socket(AF_UNIX, d->type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) strerr_diefu1sys(QM_EXIT_TEMP, "create a socket");
  if (unlink(d->path) < 0 && errno != ENOENT) strerr_diefu2sys(QM_EXIT_TEMP, "remove ", d->path);
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) strerr_diefu2sys(QM_EXIT_TEMP, "bind ", d->path);
  if (chmod(d->path, d->mode) < 0) strerr_diefu2sys(QM_EXIT_TEMP, "chmod ", d->path);
  if (listen(fd, 128) < 0) strerr_diefu2sys(QM_EXIT_TEMP, "listen on ", d->path);
  return fd;
}

int qm_forkd_main(qm_forkd *d, int argc, char const *const *argv)
{
  int spfd, lfd;
  options(d, argc, argv);
  if (!geteuid()) strerr_dief1x(QM_EXIT_PERM, "must not run as root: run it as the account it serves as");
  if (sig_altignore(SIGPIPE) < 0) strerr_diefu1sys(QM_EXIT_TEMP, "ignore SIGPIPE");
  spfd = selfpipe_init();
  if (spfd < 0 || selfpipe_trap(SIGCHLD) < 0 || selfpipe_trap(SIGTERM) < 0)
    strerr_diefu1sys(QM_EXIT_TEMP, "set up the self-pipe");
  lfd = listener(d);
  if (d->notif >= 0) {
    (void)!write(d->notif, "\n", 1);
    close(d->notif);
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
        if (sig == SIGCHLD) d->reap();
        /* children in flight finish on their own */
        else if (sig == SIGTERM) return 0;
      }
    }
    if (x[1].revents & IOPAUSE_READ) {
      int conn = accept4(lfd, 0, 0, SOCK_CLOEXEC);
      if (conn >= 0) d->serve(conn, lfd);
      else if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
        strerr_warnwu1sys("accept a connection");
    }
  }
}
