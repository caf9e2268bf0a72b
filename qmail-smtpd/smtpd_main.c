/* qmail-smtpd's session, as a function: receives mail over SMTP on fds 0 and 1
 * (as qmaild, in the qmail-smtpd program under tcpserver or in a child of
 * qmail-smtpdd) and hands each message to qmail-queue. Reads control files and the
 * environment once, then runs the session state machine with a timeout on every
 * read and write. Writes nothing to disk; every network byte goes through
 * smtpd_session, which it trusts to bound its own memory. Behind qmail-tlsd it
 * speaks the control protocol of qmail-tls/PROTOCOL on fd 5; on submission it asks
 * the checkpassword program in CHECKPASSWORD and never reads a password file. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/wait.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/buffer.h>
#include <skalibs/cdb.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>

#include "qm_clock.h"
#include "qm_conf.h"
#include "qm_control.h"
#include "qm_exit.h"
#include "qm_qq.h"
#include "qm_tlsctl.h"
#include "smtpd_access.h"
#include "smtpd_main.h"
#include "smtpd_sender.h"
#include "smtpd_session.h"

#define OUT_MAX 8192            /* replies held before a forced write */
#define IN_CHUNK 65536          /* one read from the client */
#define TIMEOUT_DEFAULT 1200
#define SESSION_DEFAULT 3600    /* seconds a whole session may last */
#define SESSION_MIN 10
#define SESSION_MAX 604800
#define CHECKPW_SECS 30         /* longest a checkpassword run may take */
#define CHECKPW_INPUT_MAX 512   /* the checkpassword interface's limit */

typedef struct ctx_s {
  char out[OUT_MAX];
  size_t outlen;
  int timeout;                  /* seconds per read or write */
  long long deadline;           /* monotonic ms at which the session ends */
  int gone;                     /* the client cannot be written to */
  stralloc rcpthosts;
  int haverh;
  stralloc badmailfrom, badrcptto;
  qm_qq qq;
  char const *remoteip;
  int tlsctl;                   /* qmail-tlsd's control descriptor, -1 without */
  char const *checkpw;          /* CHECKPASSWORD */
  stralloc locals, senders;     /* control/locals, control/submissionsenders */
  unsigned char localip[16];    /* TCPLOCALIP parsed */
  int localipfam;               /* 4, 6, or 0 without one */
} ctx;

/* Waits up to c->timeout, and never past the session deadline, for fd to become
 * ready: 1 ready, 0 timed out, -1 error. */
static int wait_fd(ctx *c, int fd, short events)
{
  struct pollfd p;
  int r;
  p.fd = fd;
  p.events = events;
  do {
    long long left = c->deadline - qm_now_ms();
    long long ms = (long long)c->timeout * 1000;
    if (left < ms) ms = left;
    if (ms <= 0) return 0;
    r = poll(&p, 1, (int)ms);
  } while (r < 0 && errno == EINTR);
  return r;
}

static int flush_out(ctx *c)
{
  size_t done = 0;
  if (c->gone) { c->outlen = 0; return 0; }
  while (done < c->outlen) {
    ssize_t w;
    if (wait_fd(c, 1, POLLOUT) <= 0) break;
    w = write(1, c->out + done, c->outlen - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break;
    done += (size_t)w;
  }
  if (done < c->outlen) c->gone = 1;
  c->outlen = 0;
  return !c->gone;
}

static int op_reply(void *vc, char const *s, size_t len)
{
  ctx *c = vc;
  if (len > OUT_MAX - c->outlen && !flush_out(c)) return 0;
  if (len > OUT_MAX) len = OUT_MAX;
  memcpy(c->out + c->outlen, s, len);
  c->outlen += len;
  return !c->gone;
}

static void op_log(void *vc, char const *line)
{
  ctx *c = vc;
  char pid[24];
  pid_t p = getpid();
  size_t n = 0, i;
  char tmp[24];
  do { tmp[n++] = (char)('0' + p % 10); p /= 10; } while (p);
  for (i = 0; i < n; i++) pid[i] = tmp[n - 1 - i];
  pid[n] = 0;
  buffer_puts(buffer_2, "qmail-smtpd: info: pid=");
  buffer_puts(buffer_2, pid);
  buffer_puts(buffer_2, " remote=");
  buffer_puts(buffer_2, c->remoteip);
  buffer_puts(buffer_2, " ");
  buffer_puts(buffer_2, line);
  buffer_putflush(buffer_2, "\n", 1);
}

static time_t op_now(void *vc)
{
  (void)vc;
  return time(0);
}

static int cdb_morercpthosts(void *vc, char const *key, size_t len)
{
  (void)vc;
  return qm_control_cdbget(0, "control/morercpthosts.cdb", key, len);
}

static int op_rcpthost(void *vc, char const *domain)
{
  ctx *c = vc;
  return smtpd_rcpthosts(&c->rcpthosts, c->haverh, domain, &cdb_morercpthosts, c);
}

static int op_badmailfrom(void *vc, char const *addr)
{
  ctx *c = vc;
  return smtpd_addrlisted(&c->badmailfrom, addr);
}

static int op_badrcptto(void *vc, char const *addr)
{
  ctx *c = vc;
  return smtpd_addrlisted(&c->badrcptto, addr);
}

/* One recipients cdb, opened once per RCPT: a check tries up to one key per byte
 * of the local part. */
static int cdb_recipients(void *vc, char const *key, size_t len)
{
  cdb const *db = vc;
  cdb_data data;
  int r = cdb_find(db, &data, key, (uint32_t)len);
  if (r <= 0) return r;
  return data.len && data.s[0] == '-' ? 2 : 1;
}

static int op_rcptcheck(void *vc, char const *addr)
{
  cdb db = CDB_ZERO;
  int r;
  (void)vc;
  if (!cdb_init(&db, "users/recipients.cdb")) return errno == ENOENT ? 1 : -1;
  r = smtpd_rcptcheck(addr, &cdb_recipients, &db);
  cdb_free(&db);
  return r;
}

static int op_qq_start(void *vc)
{
  ctx *c = vc;
  return qm_qq_start(&c->qq, 0, 1);
}

static int op_qq_put(void *vc, char const *s, size_t len)
{
  ctx *c = vc;
  return qm_qq_put(&c->qq, s, len);
}

static int op_qq_finish(void *vc, char const *sender, char const *const *rcpts, size_t n,
                        qm_qq_status *st, unsigned long *qp)
{
  ctx *c = vc;
  *qp = (unsigned long)c->qq.pid;
  return qm_qq_finish(&c->qq, sender, rcpts, n, st);
}

static void op_qq_abort(void *vc)
{
  ctx *c = vc;
  qm_qq_abort(&c->qq);
}

static int same_ip(unsigned char const *ip, int fam, unsigned char const *have, int havefam)
{
  return fam == havefam && !memcmp(ip, have, fam == 4 ? 4 : 16);
}

/* Ours: TCPLOCALIP (the address the client reached) or the address of any
 * interface, asked afresh on each call: literals are rare, and an address added
 * since the connection began counts. */
static int op_ownip(void *vc, unsigned char const *ip, int fam)
{
  ctx *c = vc;
  struct ifaddrs *ifs, *i;
  int r = 0;
  if (c->localipfam && same_ip(ip, fam, c->localip, c->localipfam)) return 1;
  if (getifaddrs(&ifs) < 0) return -1;
  for (i = ifs; i && !r; i = i->ifa_next) {
    unsigned char have[16];
    int havefam = 0;
    if (!i->ifa_addr) continue;
    if (i->ifa_addr->sa_family == AF_INET) {
      memcpy(have, &((struct sockaddr_in const *)(void const *)i->ifa_addr)->sin_addr, 4);
      havefam = 4;
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      static unsigned char const mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
      memcpy(have, &((struct sockaddr_in6 const *)(void const *)i->ifa_addr)->sin6_addr, 16);
      havefam = 6;
      if (!memcmp(have, mapped, 12)) { memmove(have, have + 12, 4); havefam = 4; }
    }
    if (havefam) r = same_ip(ip, fam, have, havefam);
  }
  freeifaddrs(ifs);
  return r;
}

/* Reads one control line from qmail-tlsd (timeout as for the client) and parses
 * the report: 1 ok, 0 fail or anything else. */
static int tls_report(ctx *c, qm_tlsreport *rep)
{
  char line[QM_TLSCTL_MAX];
  size_t n = 0;
  memset(rep, 0, sizeof *rep);
  for (;;) {
    ssize_t r;
    long l = qm_tlsctl_line(line, n);
    if (l > 0) return qm_tlsctl_parse_report(rep, line, (size_t)l - 1) == 1;
    if (l < 0 || wait_fd(c, c->tlsctl, POLLIN) <= 0) return 0;
    r = read(c->tlsctl, line + n, sizeof line - n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return 0;
    n += (size_t)r;
  }
}

static int op_starttls(void *vc, char *proto, char *cipher)
{
  ctx *c = vc;
  qm_tlsreport rep;
  /* the 220 must be out before the helper switches: it sends it in plaintext */
  if (!flush_out(c)) return 0;
  if (allwrite(c->tlsctl, "starttls\n", 9) != 9) return 0;
  if (!tls_report(c, &rep)) {
    if (rep.peer[0]) {
      char why[QM_TLSCTL_PEER_MAX + 1];
      qm_tlsctl_sanitize(why, QM_TLSCTL_PEER_MAX, rep.peer, strlen(rep.peer), 0);
      strerr_warnw2x("TLS failed: ", why);
    }
    return 0;
  }
  memcpy(proto, rep.proto, strlen(rep.proto) + 1);
  memcpy(cipher, rep.cipher, strlen(rep.cipher) + 1);
  return 1;
}

static void op_tlsplain(void *vc)
{
  ctx *c = vc;
  /* the refusal first, then the release: the helper passes on what it held */
  flush_out(c);
  allwrite(c->tlsctl, "plain\n", 6);
}

static void sleep_ms(long ms)
{
  struct timespec ts;
  ts.tv_sec = ms / 1000;
  ts.tv_nsec = (ms % 1000) * 1000000L;
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR) ;
}

/* Runs the checkpassword program with "user\0pass\0stamp\0" on fd 3 and "true"
 * to exec on success. 1 right, 0 wrong, -1 could not tell. */
static int op_checkpw(void *vc, char const *user, char const *pass, size_t passlen)
{
  ctx *c = vc;
  char buf[CHECKPW_INPUT_MAX];
  char const *argv[3];
  size_t ulen = strlen(user), n = 0;
  int p[2], st;
  pid_t pid;
  /* the stamp: a unique string, as for APOP; nothing checks it here */
  char stamp[40];
  unsigned long v = (unsigned long)getpid();
  size_t k = 0;
  stamp[k++] = '<';
  do { stamp[k++] = (char)('0' + v % 10); v /= 10; } while (v && k < 20);
  memcpy(stamp + k, "@qmail-smtpd>", 14);
  k += 13;
  if (ulen + passlen + k + 3 > sizeof buf) return 0;
  memcpy(buf, user, ulen + 1); n = ulen + 1;
  memcpy(buf + n, pass, passlen); n += passlen; buf[n++] = 0;
  memcpy(buf + n, stamp, k + 1); n += k + 1;
  if (pipe(p) < 0) { smtpd_auth_wipe(buf, sizeof buf); return -1; }
  pid = fork();
  if (pid < 0) { close(p[0]); close(p[1]); smtpd_auth_wipe(buf, sizeof buf); return -1; }
  if (!pid) {
    int nul = open("/dev/null", O_RDWR);
    smtpd_auth_wipe(buf, sizeof buf);
    close(p[1]);
    /* the client's connection is none of its business */
    if (nul < 0 || dup2(nul, 0) < 0 || dup2(nul, 1) < 0) _exit(111);
    if (p[0] != 3) { if (dup2(p[0], 3) < 0) _exit(111); close(p[0]); }
    argv[0] = c->checkpw; argv[1] = "true"; argv[2] = 0;
    execv(c->checkpw, (char *const *)argv);
    _exit(111);
  }
  close(p[0]);
  /* at most 512 bytes: one write into an empty pipe never blocks */
  /* a short write shows as a refusal from the program */
  allwrite(p[1], buf, n);
  smtpd_auth_wipe(buf, sizeof buf);
  close(p[1]);
  for (k = 0; k < CHECKPW_SECS * 100; k++) {
    pid_t r = waitpid(pid, &st, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) return -1;
    sleep_ms(10);
  }
  if (k == CHECKPW_SECS * 100) {
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    strerr_warnw1x("checkpassword timed out");
    return -1;
  }
  if (WIFEXITED(st) && WEXITSTATUS(st) == 0) return 1;
  /* a wrong password: qmail-checkpw itself waits a second before it says so */
  if (WIFEXITED(st) && WEXITSTATUS(st) == 1) return 0;
  return -1;
}

static int op_senderok(void *vc, char const *user, char const *sender)
{
  ctx *c = vc;
  return smtpd_sender_owned(user, sender, QM_BREAK, &c->locals, &c->senders);
}

/* Before the session exists: one reply, then exit. */
static void die_reply(char const *line, char const *why)
{
  allwrite(1, line, strlen(line));
  strerr_diefu1sys(QM_EXIT_TEMP, why);
}

static char const *env_or(char const *name, char const *def)
{
  char const *v = getenv(name);
  return v && *v ? v : def;
}

static void read_list(stralloc *sa, char const *path, int *have)
{
  int r = qm_control_readlist(sa, path);
  if (r < 0) die_reply("421 4.3.0 unable to read controls\r\n", path);
  if (have) *have = r > 0;
}

int smtpd_main(void)
{
  static ctx c;
  static smtpd_config cfg;
  static smtpd_session s;
  static smtpd_ops ops;
  static char in[IN_CHUNK];
  stralloc me = STRALLOC_ZERO, greeting = STRALLOC_ZERO, localiphost = STRALLOC_ZERO;
  unsigned long n;
  char const *x;
  int r, implicit = 0;
  char tlsproto[QM_TLSCTL_FIELD_MAX + 1], tlscipher[QM_TLSCTL_FIELD_MAX + 1];
  signal(SIGPIPE, SIG_IGN);
  if (chdir(QM_HOME) < 0) die_reply("421 4.3.0 unable to switch to home directory\r\n", "chdir to " QM_HOME);
  c.timeout = TIMEOUT_DEFAULT;
  c.remoteip = env_or("TCPREMOTEIP", "unknown");

  if (qm_control_readline(&me, "control/me") < 0) die_reply("421 4.3.0 unable to read controls\r\n", "read control/me");
  r = qm_control_readline(&greeting, "control/smtpgreeting");
  if (r < 0) die_reply("421 4.3.0 unable to read controls\r\n", "read control/smtpgreeting");
  if (!r) {
    if (!me.len) die_reply("421 4.3.0 unable to read controls\r\n", "find control/me or control/smtpgreeting");
    if (!stralloc_copyb(&greeting, me.s, me.len + 1)) die_reply("421 4.3.0 out of memory\r\n", "allocate");
    greeting.len--;
  }
  r = qm_control_readline(&localiphost, "control/localiphost");
  if (r < 0) die_reply("421 4.3.0 unable to read controls\r\n", "read control/localiphost");
  if (r && localiphost.len) cfg.localiphost = localiphost.s;
  else if (me.len) cfg.localiphost = me.s;
  read_list(&c.rcpthosts, "control/rcpthosts", &c.haverh);
  read_list(&c.badmailfrom, "control/badmailfrom", 0);
  read_list(&c.badrcptto, "control/badrcptto", 0);
  if (qm_control_readulong(&n, "control/timeoutsmtpd", TIMEOUT_DEFAULT) < 0)
    die_reply("421 4.3.0 unable to read controls\r\n", "read control/timeoutsmtpd");
  c.timeout = n < 1 ? 1 : n > 86400 ? 86400 : (int)n;
  if (qm_control_readulong(&n, "control/timeoutsession", SESSION_DEFAULT) < 0)
    die_reply("421 4.3.0 unable to read controls\r\n", "read control/timeoutsession");
  c.deadline = qm_now_ms() + 1000LL * (n < SESSION_MIN ? SESSION_MIN : n > SESSION_MAX ? SESSION_MAX : (long long)n);
  if (qm_control_readulong(&n, "control/databytes", 0) < 0)
    die_reply("421 4.3.0 unable to read controls\r\n", "read control/databytes");
  x = getenv("DATABYTES");
  if (x && !qm_control_parseulong(&n, x, strlen(x)) && *x)
    die_reply("421 4.3.0 unable to read controls\r\n", "parse DATABYTES");
  cfg.databytes = n;
  if (qm_control_readulong(&n, "control/maxrcpt", SMTPD_RCPT_DEFAULT) < 0)
    die_reply("421 4.3.0 unable to read controls\r\n", "read control/maxrcpt");
  cfg.maxrcpt = n;

  /* TLS: qmail-tlsd in front passes its control descriptor */
  c.tlsctl = -1;
  x = getenv("QMAIL_TLSCTL");
  if (x && *x) {
    if (!qm_control_parseulong(&n, x, strlen(x)) || n > 1000 || fcntl((int)n, F_GETFD) < 0)
      die_reply("421 4.3.0 TLS helper misconfigured\r\n", "use QMAIL_TLSCTL");
    c.tlsctl = (int)n;
    /* qmail-queue and checkpassword must not inherit it */
    if (fcntl(c.tlsctl, F_SETFD, FD_CLOEXEC) < 0) die_reply("421 4.3.0 TLS helper misconfigured\r\n", "set FD_CLOEXEC");
    x = getenv("QMAIL_TLSMODE");
    if (x && !strcmp(x, "implicit")) {
      qm_tlsreport rep;
      if (!tls_report(&c, &rep)) {   /* the client's doing: qmail-tlsd logged why */
        strerr_warnw1x("TLS handshake failed, no session");
        return QM_EXIT_OK;
      }
      implicit = 1;
      memcpy(tlsproto, rep.proto, strlen(rep.proto) + 1);
      memcpy(tlscipher, rep.cipher, strlen(rep.cipher) + 1);
    } else cfg.tls = 1;
  }
  x = getenv("TLSREQUIRED");
  if (x) cfg.tlsrequired = *x && strcmp(x, "0");
  else {
    if (qm_control_readulong(&n, "control/tlsrequired", 0) < 0)
      die_reply("421 4.3.0 unable to read controls\r\n", "read control/tlsrequired");
    cfg.tlsrequired = n != 0;
  }
  if (cfg.tlsrequired && c.tlsctl < 0)   /* would refuse every message: say why */
    strerr_warnw1x("TLS is required but no TLS helper runs in front: every MAIL gets 530");
  x = getenv("SUBMISSION");
  if (x && *x && strcmp(x, "0")) {
    cfg.submission = 1;
    c.checkpw = getenv("CHECKPASSWORD");
    if (!c.checkpw || c.checkpw[0] != '/')
      die_reply("421 4.3.0 authentication is not configured\r\n", "find CHECKPASSWORD (an absolute path)");
    read_list(&c.locals, "control/locals", 0);
    if (!c.locals.len && me.len && !stralloc_catb(&c.locals, me.s, me.len + 1))
      die_reply("421 4.3.0 out of memory\r\n", "allocate");
    read_list(&c.senders, "control/submissionsenders", 0);
  }

  cfg.greeting = greeting.s;
  cfg.remoteip = c.remoteip;
  cfg.remotehost = env_or("TCPREMOTEHOST", "unknown");
  cfg.remoteinfo = env_or("TCPREMOTEINFO", 0);
  cfg.localhost = env_or("TCPLOCALHOST", env_or("TCPLOCALIP", "unknown"));
  cfg.relayclient = getenv("RELAYCLIENT");   /* set, even empty, means relaying */
  x = getenv("TCPLOCALIP");
  if (x && *x && strlen(x) < QM_ADDR_LITERAL_MAX - 5) {
    char lit[QM_ADDR_LITERAL_MAX];
    size_t k = 0;
    if (strchr(x, ':')) { memcpy(lit, "IPv6:", 5); k = 5; }
    memcpy(lit + k, x, strlen(x));
    c.localipfam = smtpd_ip_parse(c.localip, lit, k + strlen(x));
  }

  ops.ctx = &c;
  ops.reply = &op_reply;
  ops.log = &op_log;
  ops.now = &op_now;
  ops.rcpthost = &op_rcpthost;
  ops.badmailfrom = &op_badmailfrom;
  ops.badrcptto = &op_badrcptto;
  ops.rcptcheck = &op_rcptcheck;
  ops.ownip = &op_ownip;
  ops.qq_start = &op_qq_start;
  ops.qq_put = &op_qq_put;
  ops.qq_finish = &op_qq_finish;
  ops.qq_abort = &op_qq_abort;
  ops.extcmd = 0;
  if (c.tlsctl >= 0) {
    ops.starttls = &op_starttls;
    ops.tlsplain = &op_tlsplain;
  }
  if (cfg.submission) {
    ops.checkpw = &op_checkpw;
    ops.senderok = &op_senderok;
  }

  if (!smtpd_session_start(&s, &cfg, &ops)) return QM_EXIT_OK;
  if (implicit) smtpd_session_tls(&s, tlsproto, tlscipher);
  for (;;) {
    ssize_t got;
    int w;
    if (!flush_out(&c)) { smtpd_session_end(&s, 0); break; }
    w = wait_fd(&c, 0, POLLIN);
    if (w <= 0) {
      smtpd_session_end(&s, qm_now_ms() >= c.deadline ? SMTPD_END_SESSIONTIME : SMTPD_END_TIMEOUT);
      break;
    }
    got = read(0, in, sizeof in);
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (got <= 0) {
      smtpd_session_end(&s, 0);
      break;
    }
    r = smtpd_session_input(&s, in, (size_t)got);
    /* the read may have held credentials (AUTH): keep no copy of them */
    smtpd_auth_wipe(in, (size_t)got);
    if (!r) {
      smtpd_session_end(&s, 0);
      break;
    }
  }
  c.deadline = qm_now_ms() + 10000;   /* a little more time for the last reply only */
  flush_out(&c);
  smtpd_session_free(&s);
  return QM_EXIT_OK;
}
