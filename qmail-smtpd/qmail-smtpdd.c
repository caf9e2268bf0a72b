/* qmail-smtpdd: qmail-smtpd sessions without an exec for every connection. Runs as
 * qmaild under s6 and listens on HOME/smtpd/socket, which only qmaild can reach.
 * tcpserver runs qmail-smtpdc for each connection, which passes the connection,
 * its limits and its environment here; a child forked for it takes them, answers
 * that it has the session, and serves it exactly as qmail-smtpd would. The daemon
 * reports each session's exit code to its front and reads nothing from a client
 * itself (qmail-smtpdd(8)). */
/* accept4(2), SO_PEERCRED, struct ucred */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
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
#include "smtpd_main.h"
#include "smtpdd_proto.h"

char const *PROG = "qmail-smtpdd";
#define USAGE "qmail-smtpdd [ -c sessions ] [ -d notif ] [ -s socket ]"
#define SESSIONS_MAX 10000
#define TAKE_TIMEOUT 10   /* seconds a front has to pass the session */

typedef struct kid_s {
  pid_t pid;
  int conn;       /* the front's connection: the session's exit code goes there */
} kid;

static int lfd = -1;
static kid *kids;
static unsigned int nkids;
static char packet[SMTPDD_PACKET_MAX + 1];

/* The front's limits, as far as ours allow: the session runs under the limits of
 * the qmail-smtpd service, as it would have in its own process. */
static int apply_limits(char const *p)
{
  static int const which[SMTPDD_NRLIMITS] = SMTPDD_RLIMITS;
  unsigned int i;
  for (i = 0; i < SMTPDD_NRLIMITS; i++) {
    struct rlimit mine, want;
    uint64_t v[2];
    memcpy(v, p + 1 + i * sizeof v, sizeof v);
    if (getrlimit(which[i], &mine) < 0) return 0;
    want.rlim_max = (rlim_t)v[1] < mine.rlim_max ? (rlim_t)v[1] : mine.rlim_max;
    want.rlim_cur = (rlim_t)v[0] < want.rlim_max ? (rlim_t)v[0] : want.rlim_max;
    if (setrlimit(which[i], &want) < 0) return 0;
  }
  return 1;
}

/* The front's environment becomes ours: NUL-ended NAME=value strings. */
static int take_env(char *p, size_t len)
{
  char **env;
  size_t i, n = 0, k = 0;
  if (!len || p[len - 1]) return 0;
  for (i = 0; i < len; i++) if (!p[i]) n++;
  if (n > SMTPDD_ENVC_MAX) return 0;
  env = malloc((n + 1) * sizeof *env);
  if (!env) return 0;
  for (i = 0; i < len; i += strlen(p + i) + 1) {
    if (!strchr(p + i, '=')) return 0;
    env[k++] = p + i;
  }
  env[k] = 0;
  environ = env;
  return 1;
}

/* The child: takes the session from conn and serves it; never returns. */
static void child(int conn)
{
  int fds[3];
  unsigned int nfd = 0, i;
  ssize_t r;
  char go = SMTPDD_GO;
  selfpipe_finish();
  close(lfd);
  /* the other sessions' fronts are none of this one's business */
  for (i = 0; i < nkids; i++) close(kids[i].conn);
  prctl(PR_SET_NAME, "qmail-smtpd", 0, 0, 0);
  alarm(TAKE_TIMEOUT);
  do r = qm_fdpass_recv(conn, packet, sizeof packet, fds, 3, &nfd, 0);
  while (r < 0 && errno == EINTR);
  alarm(0);
  if (r < (ssize_t)SMTPDD_HEAD || r > (ssize_t)SMTPDD_PACKET_MAX || packet[0] != SMTPDD_HELLO || nfd != 3)
    _exit(QM_EXIT_TEMP);
  if (!apply_limits(packet) || !take_env(packet + SMTPDD_HEAD, (size_t)r - SMTPDD_HEAD))
    _exit(QM_EXIT_TEMP);
  if (fd_move2(0, fds[0], 1, fds[1]) < 0 || fd_move(2, fds[2]) < 0) _exit(QM_EXIT_TEMP);
  /* the front serves the connection itself unless it hears this */
  if (send(conn, &go, 1, MSG_NOSIGNAL) != 1) _exit(QM_EXIT_TEMP);
  close(conn);
  sig_restore(SIGPIPE);
  exit(smtpd_main());
}

static int crashed(int wstat)
{
  if (!WIFSIGNALED(wstat)) return 0;
  switch (WTERMSIG(wstat)) {
  case SIGSEGV: case SIGBUS: case SIGILL: case SIGFPE: case SIGABRT: case SIGSYS: case SIGTRAP: return 1;
  default: return 0;
  }
}

/* Each ended session's code goes to its front. A session that crashed may have
 * been probed: every child shares this process's address-space layout and stack
 * canary, which a fork does not change; exiting makes s6 start a fresh process
 * with new ones, so a crash teaches nothing about the next session. Fronts run
 * qmail-smtpd themselves meanwhile; sessions in flight go on. */
static void reap(void)
{
  int wstat, bad = 0;
  pid_t pid;
  while ((pid = waitpid(-1, &wstat, WNOHANG)) > 0) {
    unsigned int i;
    for (i = 0; i < nkids && kids[i].pid != pid; i++) ;
    if (i == nkids) continue;
    {
      unsigned char c = WIFEXITED(wstat) ? (unsigned char)WEXITSTATUS(wstat) : QM_EXIT_TEMP;
      (void)!send(kids[i].conn, &c, 1, MSG_NOSIGNAL);
    }
    close(kids[i].conn);
    kids[i] = kids[--nkids];
    if (crashed(wstat)) bad = 1;
  }
  if (bad) strerr_dief1x(QM_EXIT_TEMP, "a session crashed: exiting, to be started afresh");
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
  /* at the limit: the front sees the end before an answer and serves it itself */
  if (nkids >= max) {
    close(conn);
    return;
  }
  pid = fork();
  if (!pid) child(conn);
  if (pid < 0) {
    strerr_warnwu1sys("fork");
    close(conn);
    return;
  }
  kids[nkids].pid = pid;
  kids[nkids].conn = conn;
  nkids++;
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
  fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) strerr_diefu1sys(QM_EXIT_TEMP, "create a socket");
  if (unlink(path) < 0 && errno != ENOENT) strerr_diefu2sys(QM_EXIT_TEMP, "remove ", path);
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) strerr_diefu2sys(QM_EXIT_TEMP, "bind ", path);
  /* our own account only; the directory (mode 0700) says so too */
  if (chmod(path, 0600) < 0) strerr_diefu2sys(QM_EXIT_TEMP, "chmod ", path);
  if (listen(fd, 128) < 0) strerr_diefu2sys(QM_EXIT_TEMP, "listen on ", path);
  return fd;
}

int main(int argc, char const *const *argv)
{
  subgetopt l = SUBGETOPT_ZERO;
  char const *path = SMTPDD_SOCKET;
  unsigned int max = 200;
  int notif = -1, spfd;
  for (;;) {
    int opt = subgetopt_r(argc, argv, "c:d:s:", &l);
    unsigned int u;
    if (opt == -1) break;
    switch (opt) {
    case 'c':
      if (!uint0_scan(l.arg, &u) || !u || u > SESSIONS_MAX) strerr_dieusage(QM_EXIT_PERM, USAGE);
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
  if (!geteuid()) strerr_dief1x(QM_EXIT_PERM, "must not run as root: run it as qmail-smtpd's account");
  kids = calloc(max, sizeof *kids);
  if (!kids) strerr_diefu1sys(QM_EXIT_TEMP, "allocate the session table");
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
        /* sessions in flight go on; their fronts then end without a code (111) */
        else if (sig == SIGTERM) return 0;
      }
    }
    if (x[1].revents & IOPAUSE_READ) serve(max);
  }
}
