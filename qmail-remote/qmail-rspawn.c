/* qmail-rspawn: qmail-send's remote spawner. Runs as qmailr in HOME/queue/mess;
 * serves the spawner loop (send_spawner) with one qmail-remote per command (host =
 * the part of the recipients after their last '@', all the same; the message file
 * as stdin) and one reply per recipient, and keeps the idle SMTP connections the
 * children hand back for the next child to the same host. Trusts qmail-send's
 * commands only after send_cmd_check and check; never passes a child's output on
 * without remote_rspawn_report's reading of it, nor a handed-back descriptor
 * without checking it and its line; never gives one connection to two children. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <skalibs/stralloc.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <skalibs/djbunix.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>

#include "qm_conf.h"
#include "qm_exit.h"
#include "qm_control.h"
#include "remote_conn.h"
#include "remote_rspawn.h"
#include "remote_tls.h"
#include "../qmail-send/send_proto.h"
#include "../qmail-send/send_spawner.h"

char const *PROG = "qmail-rspawn";

static uid_t uid_qmailq;
static char const *remote = QM_HOME "/bin/qmail-remote";
static char const *tlsd = QM_HOME "/bin/qmail-tlsd";
static int have_tlsd;

static char const *hostof(char const *rcpt)
{
  return strrchr(rcpt, '@') + 1;   /* send_cmd_check made sure there is one */
}

/* One qmail-remote run serves one host: every recipient must name the same. */
static char const *check(send_cmd *c)
{
  char const *host = hostof(c->rcpt);
  unsigned int i;
  if (!*host) return "DSorry, address must include host name. (#5.1.3)\n";
  for (i = 1; i < c->nrcpt; i++)
    if (strcasecmp(hostof(send_cmd_rcpt(c, i)), host))
      return "ZSorry, recipients for different hosts in one command. (#4.3.0)\n";
  return 0;
}

/* Idle connections (remote_conn.h). Each child gets the end of a datagram
 * socketpair on fd REUSE_BACK_FD (QMAIL_CONNBACK) to hand its connection back
 * on, and, when its host has an idle connection, that connection on
 * REUSE_CONN_FD with its description in QMAIL_CONNREUSE. The parent's copies are
 * closed right after the fork: a connection given to a child is the child's. */
#define REUSE_BACK_FD 6
#define REUSE_CONN_FD 7
#define REUSE_FD_MIN 8          /* the parent keeps its descriptors above both */

static remote_conncache cache;
static struct reuse_slot {
  int back;                     /* the parent's end, -1 none */
  char host[REMOTE_CONN_HOST_MAX + 1];
} rslot[QM_SPAWN];
static struct {                 /* what the child being forked gets */
  int back, conn;
  char line[REMOTE_CONN_LINE_MAX];
} pend = { -1, -1, "" };

static uint64_t now_ms(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* Best effort and never blocking: the server hears QUIT if the socket has room. */
static void conn_end(int fd)
{
  (void)!send(fd, "QUIT\r\n", 6, MSG_DONTWAIT | MSG_NOSIGNAL);
  fd_close(fd);
}

/* fd moved to REUSE_FD_MIN or above (close-on-exec), so that the child's dup2
 * onto 6 and 7 can never land on one of the two; -1 on failure (fd closed). */
static int lift(int fd)
{
  int h;
  if (fd < 0 || fd >= REUSE_FD_MIN) return fd;
  h = fcntl(fd, F_DUPFD_CLOEXEC, REUSE_FD_MIN);
  fd_close(fd);
  return h;
}

static void prep(unsigned int s, send_cmd const *c)
{
  char const *host = hostof(c->rcpt);
  remote_conninfo info;
  int p[2];
  pend.back = pend.conn = -1;
  rslot[s].back = -1;
  if (!cache.idle || strlen(host) > REMOTE_CONN_HOST_MAX) return;
  memcpy(rslot[s].host, host, strlen(host) + 1);
  if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, p) < 0) return;
  p[0] = lift(p[0]);
  p[1] = lift(p[1]);
  if (p[0] < 0 || p[1] < 0) {
    if (p[0] >= 0) fd_close(p[0]);
    if (p[1] >= 0) fd_close(p[1]);
    return;
  }
  rslot[s].back = p[0];
  pend.back = p[1];
  pend.conn = remote_conncache_take(&cache, host, &info, now_ms());
  if (pend.conn >= 0) {
    size_t n = remote_conn_fmt(pend.line, &info);
    if (!n) { conn_end(pend.conn); pend.conn = -1; }
    else pend.line[n - 1] = 0;
  }
}

static void forked(unsigned int s, pid_t pid)
{
  if (pend.back >= 0) fd_close(pend.back);
  if (pend.conn >= 0) {
    /* a connection whose child never started goes: its state is not known */
    if (pid < 0) conn_end(pend.conn); else fd_close(pend.conn);
  }
  pend.back = pend.conn = -1;
  if (pid < 0 && rslot[s].back >= 0) { fd_close(rslot[s].back); rslot[s].back = -1; }
}

/* Closes every descriptor a control message carried but want (kept in *fd if
 * want and it is the only one); returns how many there were. */
static unsigned int takefds(struct msghdr *m, int *fd)
{
  struct cmsghdr *h;
  unsigned int count = 0;
  for (h = CMSG_FIRSTHDR(m); h; h = CMSG_NXTHDR(m, h))
    if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS) {
      size_t j, nfd = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (j = 0; j < nfd; j++) {
        int x;
        memcpy(&x, CMSG_DATA(h) + j * sizeof(int), sizeof x);
        if (!count++ && fd) *fd = x; else fd_close(x);
      }
    }
  return count;
}

/* A handed-back socket must be a connected TCP stream to the address its line
 * names, with nothing waiting to be read (a server that spoke or closed since
 * its last reply is not in the state the next transaction needs). */
static int sane(int fd, remote_conninfo const *info)
{
  struct stat st;
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  int type = 0;
  socklen_t tl = sizeof type;
  char b;
  static unsigned char const v4[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
  if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode)) return 0;
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 || type != SOCK_STREAM) return 0;
  if (getpeername(fd, (struct sockaddr *)&ss, &sl) < 0) return 0;
  if (ss.ss_family == AF_INET) {
    struct sockaddr_in const *a = (struct sockaddr_in const *)&ss;
    if (memcmp(info->ip, v4, 12) || memcmp(info->ip + 12, &a->sin_addr, 4)) return 0;
  } else if (ss.ss_family == AF_INET6) {
    struct sockaddr_in6 const *a = (struct sockaddr_in6 const *)&ss;
    if (memcmp(info->ip, &a->sin6_addr, 16)) return 0;
  } else return 0;
  if (recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) >= 0) return 0;   /* data or EOF */
  return errno == EAGAIN || errno == EWOULDBLOCK;
}

/* The child has exited: take what it handed back, if anything, and keep it if
 * everything about it is in order and the cache has room; otherwise end it. */
static void ended(unsigned int s, int wstat)
{
  char line[REMOTE_CONN_LINE_MAX + 1];
  union { struct cmsghdr h; char b[CMSG_SPACE(4 * sizeof(int))]; } cm;
  struct msghdr m;
  struct iovec v;
  remote_conninfo info;
  ssize_t r;
  int fd = -1, back = rslot[s].back, ok;
  unsigned int nfd;
  if (back < 0) return;
  rslot[s].back = -1;
  memset(&m, 0, sizeof m);
  v.iov_base = line; v.iov_len = sizeof line;
  m.msg_iov = &v; m.msg_iovlen = 1;
  m.msg_control = cm.b; m.msg_controllen = sizeof cm.b;
  r = recvmsg(back, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  if (r < 0) { fd_close(back); return; }
  nfd = takefds(&m, &fd);
  ok = nfd == 1 && !(m.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
    && r >= 1 && line[r - 1] == '\n' && remote_conn_parse(&info, line, (size_t)r - 1) > 0
    && WIFEXITED(wstat) && WEXITSTATUS(wstat) == 0;
  /* a second message of any kind spoils the first */
  memset(&m, 0, sizeof m);
  v.iov_base = line; v.iov_len = sizeof line;
  m.msg_iov = &v; m.msg_iovlen = 1;
  m.msg_control = cm.b; m.msg_controllen = sizeof cm.b;
  if (recvmsg(back, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) >= 0) { takefds(&m, 0); ok = 0; }
  fd_close(back);   /* anything still queued on it is released with it */
  if (fd < 0) return;
  if (ok && fd < REUSE_FD_MIN) { fd = lift(fd); if (fd < 0) return; }
  if (ok && sane(fd, &info) && remote_conncache_put(&cache, rslot[s].host, fd, &info, now_ms())) return;
  conn_end(fd);
}

static void tick(tain *deadline)
{
  uint64_t now = now_ms(), w;
  int fd;
  while ((fd = remote_conncache_expire(&cache, now)) >= 0) conn_end(fd);
  w = remote_conncache_wait(&cache, now);
  if (w != UINT64_MAX) {
    tain d;
    tain_from_millisecs(&d, (int)(w > 600000 ? 600000 : w) + 1);
    tain_add_g(&d, &d);
    if (tain_less(&d, deadline)) *deadline = d;
  }
}

/* qmail-remote starts qmail-tlsd itself when a session comes to STARTTLS
 * (QMAIL_TLSD), with the CA file its tlsdestinations line names: a delivery
 * without TLS never loads OpenSSL. */
static void child(send_cmd const *c)
{
  char const *argv[4 + SEND_RCPTS_MAX];
  unsigned int n = 0, i;
  if (have_tlsd ? setenv("QMAIL_TLSD", tlsd, 1) < 0 : unsetenv("QMAIL_TLSD") < 0)
    _exit(REMOTE_RSPAWN_EXIT_EXEC);
  if (pend.back >= 0 ? dup2(pend.back, REUSE_BACK_FD) < 0 || setenv("QMAIL_CONNBACK", "6", 1) < 0
                     : unsetenv("QMAIL_CONNBACK") < 0)
    _exit(REMOTE_RSPAWN_EXIT_EXEC);
  if (pend.conn >= 0 ? dup2(pend.conn, REUSE_CONN_FD) < 0 || setenv("QMAIL_CONNREUSE", pend.line, 1) < 0
                     : unsetenv("QMAIL_CONNREUSE") < 0)
    _exit(REMOTE_RSPAWN_EXIT_EXEC);
  argv[n++] = "qmail-remote"; argv[n++] = hostof(c->rcpt); argv[n++] = c->sender;
  for (i = 0; i < c->nrcpt; i++) argv[n++] = send_cmd_rcpt(c, i);
  argv[n] = 0;
  execv(remote, (char *const *)argv);
  _exit(REMOTE_RSPAWN_EXIT_EXEC);
}

/* qmail-remote writes one recipient report (r/h/s) per recipient, then the
 * message report (K/Z/D). Recipient i's reply is remote_rspawn_report's reading
 * of its own report with the message report; one without a report of its own
 * (the session ended before its RCPT) gets the message report alone. */
#define RSPAWN_PART_MAX 4000   /* bytes of each report a per-recipient view keeps */

static int report(stralloc *texts, unsigned int nrcpt, int sig, int code, char const *out, size_t len)
{
  char const *part[SEND_RCPTS_MAX], *msg = 0;
  size_t plen[SEND_RCPTS_MAX], mlen = 0, off = 0;
  unsigned int nr = 0, i;
  stralloc view = STRALLOC_ZERO, r = STRALLOC_ZERO;
  int ok = 1;
  if (nrcpt == 1 || sig || code) {
    /* one recipient, or nothing to split: the report as it always was */
    ok = remote_rspawn_report(&r, sig, code, out, len) && stralloc_0(&r);
    while (ok && nrcpt--) ok = stralloc_catb(texts, r.s, r.len);
    stralloc_free(&r);
    return ok;
  }
  while (off < len && !msg) {
    char const *end = memchr(out + off, 0, len - off);
    size_t n;
    if (!end) break;
    n = (size_t)(end - (out + off));
    if (n && (out[off] == 'K' || out[off] == 'Z' || out[off] == 'D')) {
      msg = out + off; mlen = n < RSPAWN_PART_MAX ? n : RSPAWN_PART_MAX;
    } else if (n && nr < nrcpt && (out[off] == 'r' || out[off] == 'h' || out[off] == 's')) {
      part[nr] = out + off; plen[nr++] = n < RSPAWN_PART_MAX ? n : RSPAWN_PART_MAX;
    } else break;
    off += n + 1;
  }
  for (i = 0; ok && i < nrcpt; i++) {
    view.len = 0;   /* an empty view (no message report) is read as mangled */
    if (msg) {
      if (i < nr) ok = stralloc_catb(&view, part[i], plen[i]) && stralloc_catb(&view, "", 1);
      ok = ok && stralloc_catb(&view, msg, mlen) && stralloc_catb(&view, "", 1);
    }
    ok = ok && remote_rspawn_report(&r, 0, 0, view.s, view.len) && stralloc_0(&r)
      && stralloc_catb(texts, r.s, r.len);
  }
  stralloc_free(&view);
  stralloc_free(&r);
  return ok;
}

/* A fresh start forgets old connect timeouts (the file is read as zero-padded). */
static void tcpto_clear(void)
{
  int fd = open_write("../lock/tcpto");
  if (fd < 0) return;
  if (flock(fd, LOCK_EX) == 0) (void)!ftruncate(fd, 0);
  fd_close(fd);
}

int main(int argc, char const *const *argv)
{
  send_spawner sp;
  send_spawner_hooks hooks = { prep, forked, ended, tick };
  struct passwd *pw;
  char const *x;
  unsigned long idle = 5, uses = 100, conc = 20, perdomain = 20;
  int r, fd;
  (void)argc; (void)argv;
  errno = 0;
  if (!(pw = getpwnam(QM_USER_QMAILQ))) strerr_diefu2sys(QM_EXIT_TEMP, "find user ", QM_USER_QMAILQ);
  uid_qmailq = pw->pw_uid;
  x = getenv("QMAILREMOTE");
  if (x && x[0] == '/') remote = x;
  x = getenv("QMAILTLSD");
  if (x && x[0] == '/') tlsd = x;
  have_tlsd = !(x && !x[0]) && access(tlsd, X_OK) == 0;
  if (chdir(QM_HOME) < 0) strerr_diefu2sys(QM_EXIT_TEMP, "switch to ", QM_HOME);
  if (qm_control_readulong(&idle, "control/timeoutremoteidle", 5) < 0
    || qm_control_readulong(&uses, "control/remotetransactions", 100) < 0
    || qm_control_readulong(&conc, "control/concurrencyremote", 20) < 0
    || qm_control_readulong(&perdomain, "control/concurrencyperdomain", 20) < 0)
    strerr_diefu1sys(QM_EXIT_TEMP, "read control files");
  if (idle > 3600) idle = 3600;
  if (conc > QM_SPAWN) conc = QM_SPAWN;
  /* idle connections: as many as there can be deliveries, as qmail-send allows them */
  remote_conncache_init(&cache, (unsigned int)conc, (unsigned int)(perdomain < conc ? perdomain : conc),
    uses, uses > 1 ? (uint64_t)idle * 1000 : 0);
  if (chdir("queue/mess") < 0) strerr_diefu2sys(QM_EXIT_TEMP, "switch to ", QM_HOME "/queue/mess");
  tcpto_clear();
  sp.check = &check;
  sp.child = &child;
  sp.report = &report;
  sp.owner = uid_qmailq;
  sp.keep = SEND_RCPTS_MAX * RSPAWN_PART_MAX;
  sp.childfail = REMOTE_RSPAWN_EXIT_EXEC;
  sp.keeperr = have_tlsd;   /* the helper's log lines must not mix with the reports */
  r = send_spawner_run_hooks(&sp, &hooks);
  while ((fd = remote_conncache_drop(&cache)) >= 0) conn_end(fd);
  return r;
}
