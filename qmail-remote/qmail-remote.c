/* qmail-remote: delivers one message (stdin) from sender to recipients at host over
 * SMTP and reports on stdout as qmail-remote(8) says. Reads control files as
 * qmailr; talks to untrusted servers only through the bounded units. Always exits
 * 0: every outcome, even its own failures, is a report. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/fmtscan.h>
#include <skalibs/iopause.h>
#include <skalibs/random.h>
#include <skalibs/socket.h>
#include <skalibs/stralloc.h>
#include <skalibs/tai.h>

#include "qm_clock.h"
#include "qm_conf.h"
#include "qm_control.h"
#include "qm_dnsclient.h"
#include "remote_conn.h"
#include "remote_job.h"
#include "remote_dns.h"
#include "remote_mx.h"
#include "remote_report.h"
#include "remote_resolve.h"
#include "remote_route.h"
#include "remote_smtp.h"
#include "remote_tcpto.h"
#include "remote_tls.h"
#include "qm_tlsctl.h"
#include "qm_fdpass.h"

#define TCPTO_PATH "queue/lock/tcpto"
#define TLSCTL_FD 5
#define WORKER_FD 6      /* qmail-rspawn's channel to a worker */

static stralloc out = STRALLOC_ZERO;    /* this delivery's reports */
static stralloc next = STRALLOC_ZERO;   /* why the last address failed, kept for the report */

/* qmail-dns: one connection, opened at the first question. dnserr keeps why the
 * daemon could not be reached, for the report. */
static qm_dnsclient dnsc = { .fd = -1 };
static unsigned long tdns = 20;
static int dnserr;

static int dns_ask(void *ctx, struct qm_dns_answer *a, enum qm_dns_type type, char const *name)
{
  tain deadline;
  (void)ctx;
  tain_now_g();
  /* the daemon gives up after timeoutdns; a little more here so its Z arrives */
  tain_addsec_g(&deadline, (int)tdns + 5);
  if (dnsc.fd < 0 && !qm_dnsclient_open(&dnsc, QM_DNS_SOCKET, &deadline)) {
    dnserr = errno ? errno : EIO;
    return 0;
  }
  if (!qm_dnsclient_ask(&dnsc, a, type, name, &deadline)) {
    dnserr = errno ? errno : EIO;
    qm_dnsclient_close(&dnsc);
    dnsc.fd = -1;
    return 0;
  }
  return 1;
}

/* Adds the message report after any recipient reports already in out (out is
 * emptied when that fails: the report then says out of memory). */
static void say(char letter, char const *text)
{
  remote_report w = { &out, 0 };
  if (!(remote_report_begin(&w, letter) && remote_report_cat(&w, text) && remote_report_end(&w)))
    out.len = 0;
}

/* Writes this delivery's report on fd 1. */
static void report_write(void)
{
  if (!out.len) allwrite(1, "ZOut of memory. (#4.3.0)\n", 26);
  else allwrite(1, out.s, out.len);
}

static unsigned long rnd(void *ctx, unsigned long n)
{
  (void)ctx;
  return random_uint32((uint32_t)n);
}

static int isself(void *ctx, unsigned char const *ip)
{
  struct ifaddrs *ifa = ctx, *i;
  static unsigned char const lo4[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
  if (!memcmp(ip, lo4, 12) && ip[12] == 127) return 1;
  for (i = ifa; i; i = i->ifa_next) {
    if (!i->ifa_addr) continue;
    if (i->ifa_addr->sa_family == AF_INET) {
      if (!memcmp(ip, lo4, 12) && !memcmp(ip + 12, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, 4)) return 1;
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      if (!memcmp(ip, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, 16)) return 1;
    }
  }
  return 0;
}

struct conn { int fd; unsigned int timeout; };

static int waitfd(struct conn *c, short ev)
{
  iopause_fd x = { .fd = c->fd, .events = ev, .revents = 0 };
  tain deadline;
  tain_now_g();
  tain_addsec_g(&deadline, c->timeout);
  for (;;) {
    int r = iopause_g(&x, 1, &deadline);
    if (r < 0) { if (errno == EINTR) continue; return 0; }
    if (!r) { errno = ETIMEDOUT; return 0; }
    return 1;
  }
}

static ssize_t net_read(void *ctx, char *buf, size_t len)
{
  struct conn *c = ctx;
  for (;;) {
    ssize_t r;
    if (!waitfd(c, IOPAUSE_READ)) return -1;
    r = fd_read(c->fd, buf, len);
    if (r < 0 && errno == EAGAIN) continue;
    return r;
  }
}

static int net_write(void *ctx, char const *buf, size_t len)
{
  struct conn *c = ctx;
  while (len) {
    ssize_t r;
    if (!waitfd(c, IOPAUSE_WRITE)) return 0;
    /* no SIGPIPE: a server gone (a reused connection closed while idle, say) is
     * a failed write, which the dialogue reads as a died connection */
    r = send(c->fd, buf, len, MSG_NOSIGNAL);
    if (r < 0) { if (errno == EAGAIN || errno == EINTR) continue; return 0; }
    buf += r;
    len -= (size_t)r;
  }
  return 1;
}

static ssize_t msg_read(void *ctx, char *buf, size_t len)
{
  (void)ctx;
  return fd_read(0, buf, len);
}

static void ipfmt(char *s, unsigned char const *ip)
{
  static unsigned char const v4[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
  if (!memcmp(ip, v4, 12)) s[ip4_fmt(s, (char const *)ip + 12)] = 0;
  else s[ip6_fmt(s, (char const *)ip)] = 0;
}

/* qmail-tlsd: 1 while a helper can serve us, either the one that started us
 * (its control descriptor on fd 5) or one we start at the first STARTTLS
 * (QMAIL_TLSD names it: a session without TLS never pays for OpenSSL). tlsctl is
 * the control descriptor once there is one. */
static int tlshelper;
static int tlsctl = -1;
static char const *tlsd_path;
static char const *tlsd_cafile;

static int helper_start(int netfd)
{
  int sp[2];
  pid_t pid;
  if (tlsctl >= 0) return 1;
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) return 0;
  pid = fork();
  if (pid < 0) { fd_close(sp[0]); fd_close(sp[1]); return 0; }
  if (!pid) {
    char const *argv[5];
    unsigned int n = 0;
    argv[n++] = "qmail-tlsd"; argv[n++] = "-C";
    if (tlsd_cafile && *tlsd_cafile) { argv[n++] = "-A"; argv[n++] = tlsd_cafile; }
    argv[n] = 0;
    int nul = open("/dev/null", O_RDWR);
    /* the helper gets the connection through the request, never by inheritance;
     * nor does it hold the message or the report pipe, which a worker's next job
     * must see end without it */
    if (netfd >= 0 && netfd != sp[1]) close(netfd);
    if (dnsc.fd >= 0 && dnsc.fd != sp[1]) close(dnsc.fd);
    if (nul < 0 || dup2(nul, 0) < 0 || dup2(nul, 1) < 0) _exit(111);
    if (nul > 1 && nul != sp[1]) close(nul);
    /* dup2 leaves the copy open across exec; an fd already at 5 needs it cleared */
    if (sp[1] == TLSCTL_FD ? fcntl(TLSCTL_FD, F_SETFD, 0) < 0 : dup2(sp[1], TLSCTL_FD) < 0) _exit(111);
    execv(tlsd_path, (char *const *)argv);
    _exit(111);
  }
  fd_close(sp[1]);
  tlsctl = sp[0];
  return 1;
}

static void tlswhy(remote_smtp *s, char const *why)
{
  size_t l = strlen(why);
  if (l >= sizeof s->tlswhy) l = sizeof s->tlswhy - 1;
  memcpy(s->tlswhy, why, l);
  s->tlswhy[l] = 0;
}

/* Hands the connection to qmail-tlsd (PROTOCOL, client mode) and takes the
 * plaintext side of the TLS session in its place. Our copy of the socket is
 * closed whatever happens: after the request the connection is the helper's. */
static int handover(remote_smtp *s)
{
  struct conn *c = s->io.ctx;
  char req[REMOTE_TLS_REQ_MAX], line[QM_TLSCTL_MAX];
  size_t n = remote_tls_request(req, s->tlsname ? s->tlsname : "", s->tls), len = 0;
  int newfd = -1, k;
  qm_tlsreport rep;
  if (!n) { tlswhy(s, "the server name cannot be sent to the helper"); fd_close(c->fd); c->fd = -1; return 0; }
  if (!helper_start(c->fd)) {
    tlshelper = 0;
    tlswhy(s, "unable to start qmail-tlsd");
    fd_close(c->fd); c->fd = -1;
    return 0;
  }
  k = qm_fdpass_send(tlsctl, req, n, c->fd, 0) == (ssize_t)n;
  fd_close(c->fd);
  c->fd = -1;
  if (!k) { tlshelper = 0; tlswhy(s, "unable to reach qmail-tlsd"); return 0; }
  /* one answer per request: the line, with the new descriptor on its first bytes */
  while (!len || line[len - 1] != '\n') {
    struct conn w = { tlsctl, c->timeout };
    ssize_t r;
    int got;
    unsigned int nfd;
    if (len == sizeof line) break;
    if (!waitfd(&w, IOPAUSE_READ)) break;
    r = qm_fdpass_recv(tlsctl, line + len, sizeof line - len, &got, 1, &nfd, 0);
    if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (r > 0 && nfd) { if (newfd < 0) newfd = got; else fd_close(got); }
    else if (r <= 0) { if (r == 0 && nfd) fd_close(got); tlshelper = 0; break; }
    len += (size_t)r;
  }
  k = len && line[len - 1] == '\n' ? qm_tlsctl_parse_report(&rep, line, len - 1) : -1;
  if (k > 0 && newfd >= 0 && ndelay_on(newfd) >= 0) {
    c->fd = newfd;
    remote_tls_note(s->tlsnote, rep.proto, rep.cipher, rep.verified);
    return 1;
  }
  if (newfd >= 0) fd_close(newfd);
  if (!k) tlswhy(s, rep.peer);
  else if (!tlshelper) tlswhy(s, "qmail-tlsd is gone");
  else tlswhy(s, "qmail-tlsd gave no usable answer");
  return 0;
}

/* Worker mode (qmail-rspawn(8)): with QMAIL_WORKER=6, fd 6 is the channel to
 * qmail-rspawn. A connection left open after a delivery is kept here: its
 * description goes to qmail-rspawn before the report ends, and the next job, to
 * the same host, comes on the channel. Without the channel a finished session
 * ends with QUIT as it always did. */
static int worker = -1;
static struct { int fd; remote_conninfo info; } kept = { -1, { { 0 }, "", 0, 0, 0 } };

/* The server hears QUIT if the socket has room; never waits for its reply. */
static void conn_end(int fd)
{
  (void)!send(fd, "QUIT\r\n", 6, MSG_DONTWAIT | MSG_NOSIGNAL);
  fd_close(fd);
}

/* The session on fd ended ready for another transaction: kept for the next job
 * when there can be one, ended otherwise. */
static void keep(int fd, remote_conninfo const *info)
{
  if (worker < 0 || kept.fd >= 0) { conn_end(fd); return; }
  kept.fd = fd;
  kept.info = *info;
  ipfmt(kept.info.ipstr, kept.info.ip);   /* the next job's reports name it */
}

/* Tells qmail-rspawn the kept connection waits for a job: 1 said, 0 not (the
 * connection is then ended). */
static int offer(void)
{
  char line[REMOTE_CONN_LINE_MAX];
  size_t n = remote_conn_fmt(line, &kept.info);
  if (n && send(worker, line, n, MSG_NOSIGNAL) == (ssize_t)n) return 1;
  conn_end(kept.fd);
  kept.fd = -1;
  return 0;
}

/* Waits for the next job: its message becomes fd 0 and its report pipe fd 1,
 * its command line *argv (pointing into a buffer of its own). 0 when the channel
 * ends or brings anything but a job: qmail-rspawn wants this worker gone. */
static int job_wait(int *argc, char const *const **argv)
{
  static char buf[REMOTE_JOB_MAX];
  static char const *av[REMOTE_JOB_ARGV_MAX];
  int fds[2], n;
  unsigned int nfd, i;
  ssize_t r;
  do r = qm_fdpass_recv(worker, buf, sizeof buf, fds, 2, &nfd, 0);
  while (r < 0 && errno == EINTR);
  if (r < 0) return 0;
  n = r > 0 && nfd == 2 ? remote_job_parse(av, buf, (size_t)r) : -1;
  if (n < 0) {
    for (i = 0; i < nfd && i < 2; i++) fd_close(fds[i]);
    return 0;
  }
  /* fd 0 is the last message, still open: nothing came there; fd 1 was closed */
  if (fd_move(0, fds[0]) < 0 || (fds[1] != 1 && fd_move(1, fds[1]) < 0)) return 0;
  *argc = n;
  *argv = av;
  return 1;
}

/* tcpto: read under a shared lock for the skip test, rewrite under an exclusive one. */
static int tcpto_skip(unsigned char const *ip)
{
  unsigned char f[REMOTE_TCPTO_SIZE];
  ssize_t n;
  int fd = open_read(TCPTO_PATH);
  if (fd < 0) return 0;
  if (flock(fd, LOCK_SH) < 0) { fd_close(fd); return 0; }
  n = allread(fd, (char *)f, sizeof f);
  fd_close(fd);
  return n > 0 && remote_tcpto_skip(f, (size_t)n, ip, (uint64_t)time(0), (unsigned long)getpid());
}

static void tcpto_update(unsigned char const *ip, int timedout)
{
  unsigned char f[REMOTE_TCPTO_SIZE];
  ssize_t n;
  int fd = open_write(TCPTO_PATH);
  if (fd < 0) return;
  if (flock(fd, LOCK_EX) < 0) { fd_close(fd); return; }
  memset(f, 0, sizeof f);
  n = pread(fd, f, sizeof f, 0);
  if (n >= 0) {
    int changed = 1;
    if (timedout) remote_tcpto_timedout(f, ip, (uint64_t)time(0));
    else changed = remote_tcpto_ok(f, ip);
    if (changed) (void)!pwrite(fd, f, sizeof f, 0);
  }
  fd_close(fd);
}

/* What every session of this delivery shares: the connection, the envelope,
 * the message, the reports (nextaddr: why an address failed); whether a
 * finished session may be kept (this is a worker). */
static void session_init(remote_smtp *s, struct conn *c, char const *ip, char const *helohost,
                         char const *const *argv, int argc, unsigned long long size,
                         remote_tlsdest const *dest, stralloc *nextaddr)
{
  memset(s, 0, sizeof *s);
  s->io.ctx = c;
  s->io.read = net_read;
  s->io.write = net_write;
  s->io.body = msg_read;
  s->ip = ip;
  s->helohost = helohost;
  s->sender = argv[2];
  s->rcpt = argv + 3;
  s->nrcpt = (size_t)(argc - 3);
  s->size = size;
  s->out = &out;
  s->next = nextaddr;
  s->tls = dest;
  s->keep = worker >= 0;
}

/* The control files. A worker reads them again for a job when its copy is a
 * second old or more: a change reaches the next deliveries within a second,
 * and a stream of jobs does not pay a dozen system calls each. */
#define CONTROL_FRESH_MS 1000
static struct {
  stralloc helo, routes, tlsdests;
  unsigned long tconnect, tremote;
  int64_t when;
  int ok;
} ctl = { STRALLOC_ZERO, STRALLOC_ZERO, STRALLOC_ZERO, 60, 1200, 0, 0 };

/* 1 with ctl current, 0 when a file could not be read (ctl then unusable). */
static int control_current(void)
{
  int64_t now = qm_now_ms();
  if (ctl.ok && now - ctl.when < CONTROL_FRESH_MS) return 1;
  ctl.ok = 0;
  ctl.helo.len = ctl.routes.len = ctl.tlsdests.len = 0;
  ctl.tconnect = 60; ctl.tremote = 1200; tdns = 20;
  if (qm_control_readline(&ctl.helo, "control/helohost") <= 0
    && qm_control_readline(&ctl.helo, "control/me") <= 0) return 0;
  if (qm_control_readlist(&ctl.routes, "control/smtproutes") < 0
    || qm_control_readulong(&ctl.tconnect, "control/timeoutconnect", 60) < 0
    || qm_control_readulong(&ctl.tremote, "control/timeoutremote", 1200) < 0
    || qm_control_readulong(&tdns, "control/timeoutdns", 20) < 0
    || qm_control_readlist(&ctl.tlsdests, "control/tlsdestinations") < 0)
    return 0;
  if (!ctl.tconnect) ctl.tconnect = 1;
  if (!ctl.tremote) ctl.tremote = 1;
  if (tdns > 600) tdns = 600;
  ctl.when = now;
  ctl.ok = 1;
  return 1;
}

/* One delivery: its reports in out (a message report always last). */
static void deliver(int argc, char const *const *argv)
{
  stralloc const *helo = &ctl.helo, *routes = &ctl.routes, *tlsdests = &ctl.tlsdests;
  remote_tlsdest dest;
  char const *x;
  int plainretry = 0;
  unsigned long tconnect, tremote;
  remote_route rt;
  remote_resolver res;
  static remote_dnsctx dctx;
  static remote_plan plan;
  struct ifaddrs *ifa = 0;
  struct stat st;
  enum remote_plan_result pr;
  int rr, reusefd = kept.fd;
  size_t i;
  unsigned long long size = 0;
  remote_conninfo reinfo = kept.info;

  kept.fd = -1;
  dnserr = 0;
  if (argc < 4) { say('Z', "qmail-remote was invoked improperly. (#4.3.0)\n"); goto end_kept; }
  if (!control_current()) { say('Z', "Unable to read control files. (#4.3.0)\n"); goto end_kept; }
  tconnect = ctl.tconnect;
  tremote = ctl.tremote;
  if (remote_tlsdest_find(&dest, tlsdests->s, tlsdests->len, argv[1]) < 0)
    { say('Z', "Unable to parse tlsdestinations. (#4.3.0)\n"); goto end_kept; }
  if (tlsctl < 0) {
    if (!tlsd_path) {
      x = getenv("QMAIL_TLSD");
      if (x && x[0] == '/' && access(x, X_OK) == 0) tlsd_path = x;
    }
    tlsd_cafile = dest.cafile;   /* this job's line: a helper not yet started takes it */
  }
  tlshelper = tlsctl >= 0 || tlsd_path;
  if (dest.policy != REMOTE_TLS_OPPORTUNISTIC && !tlshelper) {
    say('Z', "Sorry, tlsdestinations requires TLS for this domain and qmail-tlsd is not running. (#4.7.5)\n");
    goto end_kept;
  }
  if (fstat(0, &st) == 0 && S_ISREG(st.st_mode)) size = (unsigned long long)st.st_size;

  /* An idle plaintext connection to this host: straight to MAIL. If it turns out
   * stale before any recipient was taken, nothing was delivered and the normal
   * path below starts afresh; a host that must have TLS never uses one. */
  if (reusefd >= 0 && dest.policy != REMOTE_TLS_OPPORTUNISTIC) { conn_end(reusefd); reusefd = -1; }
  if (reusefd >= 0) {
    struct conn c = { reusefd, (unsigned int)tremote };
    remote_smtp s;
    enum remote_smtp_result r;
    session_init(&s, &c, reinfo.ipstr, helo->s, argv, argc, size, &dest, &next);
    s.reused = 1;
    s.caps = reinfo.caps;
    s.sizemax = reinfo.sizemax;
    r = remote_smtp_run(&s);
    if (r == REMOTE_SMTP_STALE) fd_close(c.fd);
    else {
      if (s.kept && reinfo.uses < 4294967295UL) { reinfo.uses++; keep(c.fd, &reinfo); }
      else if (s.kept) conn_end(c.fd);   /* no QUIT was sent */
      else fd_close(c.fd);
      if (r == REMOTE_SMTP_NOMEM) { out.len = 0; say('Z', "Out of memory. (#4.3.0)\n"); }
      return;   /* DONE; NEXT cannot come without a greeting */
    }
  }

  rr = remote_route_find(&rt, routes->s, routes->len, argv[1]);
  if (rr < 0) { say('Z', "Unable to parse smtproutes. (#4.3.0)\n"); return; }
  dctx.ask = dns_ask;
  remote_resolve_dns(&res, &dctx);
  if (getifaddrs(&ifa) < 0) ifa = 0;
  pr = remote_plan_make(&plan, argv[1], rr ? &rt : 0, &res, rnd, 0, isself, ifa);
  if (ifa) freeifaddrs(ifa);
  switch (pr) {
    case REMOTE_PLAN_OK: break;
    case REMOTE_PLAN_DNSTEMP:
      if (dnserr) {
        remote_report w = { &out, 0 };
        out.len = 0;
        if (!(remote_report_begin(&w, 'Z') && remote_report_cat(&w, "Unable to ask qmail-dns at " QM_DNS_SOCKET ": ")
          && remote_report_cat(&w, strerror(dnserr)) && remote_report_cat(&w, ". (#4.4.3)\n") && remote_report_end(&w)))
          out.len = 0;
        return;
      }
      say('Z', "Sorry, I couldn't find any host by that name. (#4.1.2)\n");
      return;
    case REMOTE_PLAN_NOHOST: {
      remote_report w = { &out, 0 };
      if (!(remote_report_begin(&w, 'D') && remote_report_cat(&w, "Sorry, I couldn't find any host named ")
        && remote_report_cat(&w, argv[1]) && remote_report_cat(&w, ". (#5.1.2)\n") && remote_report_end(&w)))
        out.len = 0;
      return;
    }
    case REMOTE_PLAN_NOADDR: say('D', "Sorry, I couldn't find a mail exchanger or IP address. (#5.4.4)\n"); return;
    case REMOTE_PLAN_NULLMX: say('D', "Sorry, this domain does not accept mail (null MX). (#5.1.10)\n"); return;
    case REMOTE_PLAN_SELF: say('D', "Sorry. Although I'm listed as a best-preference MX or A for that host,\n"
      "it isn't in my control/locals file, so I don't treat it as local. (#5.4.6)\n");
      return;
  }

  for (i = 0; i < plan.n; i++) {
    unsigned char const *ip = plan.addr[i].ip;
    static unsigned char const v4[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    int is6 = !!memcmp(ip, v4, 12);
    char ipstr[IP6_FMT + 1];
    struct conn c;
    tain deadline;
    remote_smtp s;
    enum remote_smtp_result r;
    int plain = plainretry, one = 1;
    plainretry = 0;
    if (plan.n > 1 && !plain && tcpto_skip(ip)) continue;
    c.fd = is6 ? socket_tcp6_nb() : socket_tcp4_nb();
    if (c.fd < 0) { say('Z', "Unable to create a socket. (#4.3.0)\n"); return; }
    if ((is6 ? socket_connect6(c.fd, (char const *)ip, plan.port)
             : socket_connect4(c.fd, (char const *)ip + 12, plan.port)) < 0
      && errno != EINPROGRESS) { fd_close(c.fd); continue; }
    tain_now_g();
    tain_addsec_g(&deadline, tconnect);
    if (!socket_waitconn_g(c.fd, &deadline)) {
      if (errno == ETIMEDOUT) tcpto_update(ip, 1);
      fd_close(c.fd);
      continue;
    }
    tcpto_update(ip, 0);
    /* commands and the body go out as whole writes; none should wait for an ACK */
    (void)setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c.timeout = (unsigned int)tremote;
    ipfmt(ipstr, ip);
    session_init(&s, &c, ipstr, helo->s, argv, argc, size, &dest, &next);
    s.tlshelper = tlshelper && !plain;
    s.tlsname = plan.addr[i].name;
    s.starttls = handover;
    r = remote_smtp_run(&s);
    if (c.fd >= 0 && s.kept && r == REMOTE_SMTP_DONE) {
      remote_conninfo info;
      memset(&info, 0, sizeof info);
      memcpy(info.ip, ip, 16);
      info.caps = s.caps & REMOTE_CONN_CAPS_MASK;
      info.sizemax = s.sizemax > 4294967295UL ? 4294967295UL : s.sizemax;
      info.uses = 1;
      keep(c.fd, &info);
    } else if (c.fd >= 0 && s.kept) conn_end(c.fd);
    else if (c.fd >= 0) fd_close(c.fd);
    /* opportunistic TLS that failed: the same address once more, in plaintext */
    if (r == REMOTE_SMTP_NEXT && s.tlsfailed && !plain && remote_tls_fallback(dest.policy)) {
      plainretry = 1;
      i--;     /* wraps at 0 and the loop's i++ brings it back: well defined for size_t */
      continue;
    }
    if (r == REMOTE_SMTP_NOMEM) { out.len = 0; say('Z', "Out of memory. (#4.3.0)\n"); return; }
    if (r == REMOTE_SMTP_DONE) return;
  }
  if (next.len) {
    /* the last address's own words: they take the place of everything in out */
    stralloc t = out;
    out = next;
    next = t;
    return;
  }
  say('Z', "Sorry, I wasn't able to establish an SMTP connection. (#4.4.1)\n");
  return;

 end_kept:
  /* a delivery that never came to its connection: the kept one is not used */
  if (reusefd >= 0) conn_end(reusefd);
}

int main(int argc, char const *const *argv)
{
  char const *x = getenv("QMAIL_WORKER");
  if (x && !strcmp(x, "6") && fcntl(WORKER_FD, F_GETFD) >= 0 && coe(WORKER_FD) >= 0) worker = WORKER_FD;
  x = getenv("QMAIL_TLSCTL");
  if (x && !strcmp(x, "5") && fcntl(TLSCTL_FD, F_GETFD) >= 0 && coe(TLSCTL_FD) >= 0) tlsctl = TLSCTL_FD;
  if (chdir(QM_HOME) < 0) {
    say('Z', "Unable to switch to home directory. (#4.3.0)\n");
    report_write();
    _exit(0);
  }
  for (;;) {
    out.len = next.len = 0;
    deliver(argc, argv);
    /* the offer goes before the report's end: qmail-rspawn reads it at that end */
    if (kept.fd >= 0) offer();
    report_write();
    if (kept.fd < 0) _exit(0);
    fd_close(1);
    if (!job_wait(&argc, &argv)) { conn_end(kept.fd); _exit(0); }
  }
}
