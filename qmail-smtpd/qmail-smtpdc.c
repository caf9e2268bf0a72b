/* qmail-smtpdc: tcpserver's per-connection front of qmail-smtpdd. Hands the daemon
 * the connection (fds 0, 1, 2), its resource limits and its environment, waits for
 * the session the daemon forks for it, and exits with that session's exit code.
 * When the daemon is not there, not its own account, or does not take the session,
 * it runs the program it was given (qmail-smtpd) itself. Parses nothing from the
 * network. Built statically against musl, without the suite's libraries: it is
 * started for every connection, and glibc's start-up probes the processor with
 * CPUID, which a hypervisor traps (qmail-smtpdc(8)). */
#define _GNU_SOURCE   /* SO_PEERCRED, struct ucred */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "qm_conf.h"
#include "smtpdd_proto.h"

#define GO_TIMEOUT_MS 10000   /* the daemon's child must take the session by then */

extern char **environ;
static char packet[SMTPDD_PACKET_MAX];

static void say(char const *a, char const *b)
{
  struct iovec v[4] = { { (void *)"qmail-smtpdc: ", 14 }, { (void *)a, strlen(a) },
                        { (void *)b, strlen(b) }, { (void *)"\n", 1 } };
  (void)!writev(2, v, 4);
}

/* The program itself, in place of the daemon; never returns. */
static void run_itself(char *const *argv)
{
  execv(argv[0], argv);
  say("fatal: unable to run ", argv[0]);
  _exit(111);
}

/* The packet: hello, limits, environment. Its length, or 0 when it would not fit. */
static size_t build(void)
{
  static int const which[SMTPDD_NRLIMITS] = SMTPDD_RLIMITS;
  size_t n = 0, i;
  char **e;
  packet[n++] = SMTPDD_HELLO;
  for (i = 0; i < SMTPDD_NRLIMITS; i++) {
    struct rlimit r;
    uint64_t v[2];
    if (getrlimit(which[i], &r) < 0) return 0;
    v[0] = (uint64_t)r.rlim_cur;
    v[1] = (uint64_t)r.rlim_max;
    memcpy(packet + n, v, sizeof v);
    n += sizeof v;
  }
  for (e = environ, i = 0; *e; e++, i++) {
    size_t len = strlen(*e) + 1;
    if (i >= SMTPDD_ENVC_MAX || len > sizeof packet - n) return 0;
    memcpy(packet + n, *e, len);
    n += len;
  }
  return n;
}

static int send_packet(int s, size_t len)
{
  int fds[3] = { 0, 1, 2 };
  union { char buf[CMSG_SPACE(sizeof fds)]; struct cmsghdr align; } u;
  struct iovec v = { packet, len };
  struct msghdr m;
  struct cmsghdr *c;
  ssize_t r;
  memset(&m, 0, sizeof m);
  memset(&u, 0, sizeof u);
  m.msg_iov = &v;
  m.msg_iovlen = 1;
  m.msg_control = u.buf;
  m.msg_controllen = sizeof u.buf;
  c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof fds);
  memcpy(CMSG_DATA(c), fds, sizeof fds);
  do r = sendmsg(s, &m, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  return r == (ssize_t)len;
}

/* One byte from the daemon: 1 and *c, 0 at the end of the connection (also when
 * the daemon closed it with our packet unread, which Linux reports as a reset),
 * -1 on another error or when timeout_ms (-1: none) passed first. */
static int get_byte(int s, unsigned char *c, int timeout_ms)
{
  for (;;) {
    struct pollfd p = { s, POLLIN, 0 };
    ssize_t r;
    int n = poll(&p, 1, timeout_ms);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    r = recv(s, c, 1, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && errno == ECONNRESET) return 0;
    return r < 0 ? -1 : (int)r;
  }
}

int main(int argc, char **argv)
{
  struct sockaddr_un sa;
  struct ucred cr;
  socklen_t crlen = sizeof cr;
  size_t len;
  unsigned char c;
  int s, r;
  if (argc < 2 || argv[1][0] != '/') {
    say("usage: qmail-smtpdc /path/to/qmail-smtpd", "");
    return 100;
  }
  s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (s < 0) run_itself(argv + 1);
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  memcpy(sa.sun_path, SMTPDD_SOCKET, sizeof SMTPDD_SOCKET);
  /* a full backlog is a busy daemon: no wait, the program runs here instead */
  if (connect(s, (struct sockaddr *)&sa, sizeof sa) < 0) run_itself(argv + 1);
  /* the connection goes only to our own account's daemon */
  if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) < 0 || crlen != sizeof cr
      || cr.uid != geteuid()) {
    close(s);
    run_itself(argv + 1);
  }
  len = build();
  if (!len || !send_packet(s, len)) {
    close(s);
    run_itself(argv + 1);
  }
  r = get_byte(s, &c, GO_TIMEOUT_MS);
  /* no answer in time: a child may still take it, so serving it here could make
   * two sessions on one connection; the client will try again */
  if (r < 0) {
    say("fatal: qmail-smtpdd did not take the session in time", "");
    return 111;
  }
  /* let go unanswered (at its limit), or a child that ended before taking it (the
   * daemon reports its code): no one else holds the connection, so it is still
   * ours to serve */
  if (!r || c != SMTPDD_GO) {
    close(s);
    run_itself(argv + 1);
  }
  /* the session has the connection now: the client must see it end with the session */
  close(0);
  close(1);
  r = get_byte(s, &c, -1);
  return r == 1 ? c : 111;
}
