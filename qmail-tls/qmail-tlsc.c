/* qmail-tlsc: the per-connection front of a qmail-tlsd -D daemon, run by tcpserver
 * under that daemon. Hands the daemon the connection (fds 0, 1, 2), its environment,
 * its resource limits and the served program's arguments, waits for the session the
 * daemon forks for it, and exits with that session's exit code. Links no crypto and
 * never holds a key; trusts the daemon's answer lines only as far as it parses them. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <skalibs/sgetopt.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>

#include "qm_clock.h"
#include "qm_exit.h"
#include "qm_tlsctl.h"
#include "tlsd_req.h"

#define USAGE "qmail-tlsc [--] prog [arg ...]"
#define TLSC_ENV "QMAIL_TLSD"    /* set by qmail-tlsd -D: its request socket */
#define TLSC_GO_SECS 30          /* longest wait for the daemon to take the request */
#define TLSC_LINE_MAX 256

char const *PROG = "qmail-tlsc";

static char req[TLSD_REQ_MAX];

/* Sends s[0..len) on fd; the first message carries the descriptors of fds[0..nfds). */
static int send_fds(int fd, char const *s, size_t len, int const *fds, size_t nfds)
{
  while (len) {
    struct msghdr m;
    struct iovec v;
    union { struct cmsghdr h; char b[CMSG_SPACE(3 * sizeof(int))]; } c;
    ssize_t w;
    memset(&m, 0, sizeof m);
    v.iov_base = (void *)s; v.iov_len = len;
    m.msg_iov = &v; m.msg_iovlen = 1;
    if (nfds) {
      struct cmsghdr *h;
      memset(&c, 0, sizeof c);
      m.msg_control = c.b; m.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
      h = CMSG_FIRSTHDR(&m);
      h->cmsg_level = SOL_SOCKET; h->cmsg_type = SCM_RIGHTS;
      h->cmsg_len = CMSG_LEN(nfds * sizeof(int));
      memcpy(CMSG_DATA(h), fds, nfds * sizeof(int));
    }
    w = sendmsg(fd, &m, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      return 0;
    }
    nfds = 0;
    s += w; len -= (size_t)w;
  }
  return 1;
}

/* One answer line from the daemon, without its LF, within deadline (0: none).
 * 1 a line, 0 EOF, -1 error or timeout (errno). */
static int getline_fd(int fd, char *line, size_t *pos, size_t max, long deadline, char **rest, size_t *restlen)
{
  for (;;) {
    char *nl = memchr(line, '\n', *pos);
    ssize_t n;
    if (nl) {
      *nl = 0;
      *rest = nl + 1;
      *restlen = *pos - (size_t)(nl + 1 - line);
      return 1;
    }
    if (*pos == max) { errno = EPROTO; return -1; }
    if (deadline) {
      struct pollfd p = { fd, POLLIN, 0 };
      long left = deadline - qm_now_ms();
      int k;
      if (left <= 0) { errno = ETIMEDOUT; return -1; }
      k = poll(&p, 1, (int)left);
      if (k < 0 && errno != EINTR) return -1;
      if (k <= 0) continue;
    }
    n = read(fd, line + *pos, max - *pos);
    if (n < 0) { if (errno == EINTR) continue; return -1; }
    if (!n) return 0;
    *pos += (size_t)n;
  }
}

/* Only a unix datagram socket can be the daemon's: never send to the connection. */
static int is_request_socket(int fd)
{
  int type = 0, domain = 0;
  socklen_t l1 = sizeof type, l2 = sizeof domain;
  return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l1) == 0 && type == SOCK_DGRAM
         && getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &l2) == 0 && domain == AF_UNIX;
}

static void __attribute__((noreturn)) answer_die(char const *what, char const *line)
{
  char safe[TLSC_LINE_MAX + 1];
  qm_tlsctl_sanitize(safe, TLSC_LINE_MAX, line, strlen(line), 1);
  strerr_dief2x(QM_EXIT_TEMP, what, safe);
}

int main(int argc, char const *const *argv)
{
  extern char **environ;
  char const *x = getenv(TLSC_ENV);
  unsigned int dfd, i;
  size_t pos = 0, lpos = 0, restlen;
  int sp[2], fds[3] = { 0, 1, 2 }, k;
  char line[TLSC_LINE_MAX], *rest;
  char **e;
  subgetopt l = SUBGETOPT_ZERO;

  if (subgetopt_r(argc, argv, "", &l) != -1) strerr_dieusage(QM_EXIT_PERM, USAGE);
  argc -= l.ind; argv += l.ind;
  if (!argc) strerr_dieusage(QM_EXIT_PERM, USAGE);
  if (argc > TLSD_REQ_ARGS_MAX) strerr_dief1x(QM_EXIT_PERM, "too many arguments");
  if (!x || !uint0_scan(x, &dfd) || dfd > INT_MAX || !is_request_socket((int)dfd))
    strerr_dief1x(QM_EXIT_TEMP, "no request socket in " TLSC_ENV ": run me under qmail-tlsd -D");

  /* the request: version, arguments, environment, limits, end */
  if (!tlsd_req_put(req, sizeof req, &pos, 'v', TLSD_REQ_VERSION, sizeof TLSD_REQ_VERSION - 1))
    strerr_dief1x(QM_EXIT_TEMP, "request too large");
  for (i = 0; i < (unsigned int)argc; i++)
    if (!tlsd_req_put(req, sizeof req, &pos, 'a', argv[i], strlen(argv[i])))
      strerr_dief1x(QM_EXIT_PERM, "argument too long");
  for (e = environ, i = 0; *e; e++) {
    if (!strncmp(*e, TLSC_ENV "=", sizeof TLSC_ENV)) continue;
    if (!strchr(*e, '=') || **e == '=') continue;   /* not NAME=VALUE: nothing to pass on */
    if (++i > TLSD_REQ_ENV_MAX || !tlsd_req_put(req, sizeof req, &pos, 'e', *e, strlen(*e)))
      strerr_dief1x(QM_EXIT_TEMP, "environment too large to pass to qmail-tlsd");
  }
  for (i = 0; i < TLSD_REQ_NLIMITS; i++) {
    struct rlimit r;
    char t[64];
    if (getrlimit(tlsd_req_limits[i].resource, &r) < 0) strerr_diefu1sys(QM_EXIT_TEMP, "read resource limits");
    if (!tlsd_req_put(req, sizeof req, &pos, 'r', t, tlsd_req_fmtlimit(t, i, &r)))
      strerr_dief1x(QM_EXIT_TEMP, "environment too large to pass to qmail-tlsd");
  }
  if (!tlsd_req_put(req, sizeof req, &pos, '.', "", 0))
    strerr_dief1x(QM_EXIT_TEMP, "environment too large to pass to qmail-tlsd");

  /* a connection of our own to the daemon: one datagram carries its other end */
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
    strerr_diefu1sys(QM_EXIT_TEMP, "create socketpair");
  if (!send_fds((int)dfd, "c", 1, &sp[1], 1))
    strerr_diefu1sys(QM_EXIT_TEMP, "reach qmail-tlsd");
  close(sp[1]);
  close((int)dfd);
  if (!send_fds(sp[0], req, pos, fds, 3))
    strerr_diefu1sys(QM_EXIT_TEMP, "send the request to qmail-tlsd");
  /* the session has the connection now; this process must not keep it open */
  {
    int nul = open("/dev/null", O_RDWR);
    if (nul < 0 || dup2(nul, 0) < 0 || dup2(nul, 1) < 0) strerr_diefu1sys(QM_EXIT_TEMP, "open /dev/null");
    if (nul > 1) close(nul);
  }

  k = getline_fd(sp[0], line, &lpos, sizeof line, qm_now_ms() + TLSC_GO_SECS * 1000L, &rest, &restlen);
  if (k < 0) strerr_diefu1sys(QM_EXIT_TEMP, "read the answer of qmail-tlsd");
  if (!k) strerr_dief1x(QM_EXIT_TEMP, "qmail-tlsd closed the connection without an answer");
  if (!strncmp(line, "fail ", 5)) answer_die("qmail-tlsd refused the connection: ", line + 5);
  if (strcmp(line, "go")) answer_die("unexpected answer from qmail-tlsd: ", line);
  memmove(line, rest, restlen);
  lpos = restlen;

  k = getline_fd(sp[0], line, &lpos, sizeof line, 0, &rest, &restlen);
  if (k < 0) strerr_diefu1sys(QM_EXIT_TEMP, "read the exit code from qmail-tlsd");
  if (!k) strerr_dief1x(QM_EXIT_TEMP, "the session ended without an exit code");
  {
    unsigned int rc;
    size_t n = strncmp(line, "exit ", 5) ? 0 : uint_scan(line + 5, &rc);
    if (!n || line[5 + n] || rc > 255 || restlen) answer_die("unexpected answer from qmail-tlsd: ", line);
    return (int)rc;
  }
}
