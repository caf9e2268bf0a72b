/* qmail-tlsd: the suite's only TLS process. Loads certificates and keys as root,
 * starts the served program under its own account on a socketpair, becomes qmailt
 * and non-dumpable, then relays between the TLS connection and that program (see
 * PROTOCOL). Trusts the served program's control requests only as far as qm_tlsctl
 * parses them; never hands the served program a key, a TLS record, or a byte the
 * peer sent before the handshake. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <skalibs/sgetopt.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>

#include "qm_clock.h"
#include "qm_conf.h"
#include "qm_exit.h"
#include "qm_fdpass.h"
#include "qm_tlsctl.h"
#include "tlsd_plain.h"
#include "tlsd_req.h"

#define USAGE "qmail-tlsd -s [-i] [-R] [-D] -c cert -k key [-c cert -k key ...] [-u user] [-t user] [-h secs] -- prog...\n" \
  "       qmail-tlsd -C [-A cafile] [-u user] [-t user] [-h secs] [-- prog...]"

#define TLSD_CTL_FD 5            /* the served program's control descriptor */
#define TLSD_CERTS_MAX 16        /* certificate/key pairs, for SNI */
#define TLSD_BUF 16384
#define TLSD_HOLD_MS 3000        /* longest wait for a decision after STARTTLS */
#define TLSD_HANDSHAKE_SECS 60
#define TLSD_CIPHERS12 "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
  "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:" \
  "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256"
#define TLSD_SUITES13 "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256"

char const *PROG = "qmail-tlsd";

struct relay {
  int net, child, ctl;
  SSL *ssl;                      /* null in the plaintext phase */
  char in[TLSD_BUF];             /* network -> child */
  size_t inlen, inpos, infwd;    /* infwd: end of what may be forwarded now */
  char out[TLSD_BUF];            /* child -> network */
  size_t outlen, outpos;
  int neteof, childeof, ctleof;
  int hold;                      /* plaintext after a STARTTLS line is kept back */
  long holdstart;
  int rdwant, wrwant;            /* poll events SSL_read / SSL_write asked for */
  tlsd_plain scan;
  char ctlbuf[QM_TLSCTL_MAX];
  size_t ctllen;
  int ctlfd;                     /* a descriptor that came with a client request */
};

static SSL_CTX *ctxs[TLSD_CERTS_MAX];
static unsigned int nctx;
static char const *sni_seen;
static unsigned int handshake_secs = TLSD_HANDSHAKE_SECS;
static char pidstr[PID_FMT];

/* --- small system helpers --------------------------------------------------------- */

static int nonblock(int fd)
{
  int f = fcntl(fd, F_GETFL);
  return f < 0 ? -1 : fcntl(fd, F_SETFL, f | O_NONBLOCK);
}

static int send_all(int fd, char const *s, size_t len, int passfd)
{
  while (len) {
    ssize_t w = qm_fdpass_send(fd, s, len, passfd, 0);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) { struct pollfd p = { fd, POLLOUT, 0 }; poll(&p, 1, 1000); continue; }
      return 0;
    }
    passfd = -1;
    s += w; len -= (size_t)w;
  }
  return 1;
}

/* Puts the first OpenSSL error (or what) into buf for a log line. */
static char const *sslerr(char *buf, size_t n, char const *what)
{
  unsigned long e = ERR_get_error();
  if (!e) return what;
  ERR_error_string_n(e, buf, n);
  ERR_clear_error();
  return buf;
}

static void logfail(char const *what, char const *why)
{
  char safe[QM_TLSCTL_PEER_MAX + 1];
  qm_tlsctl_sanitize(safe, QM_TLSCTL_PEER_MAX, why, strlen(why), 1);
  strerr_warnw("pid=", pidstr, " ", what, ": ", safe);
}

/* --- privileges --------------------------------------------------------------------- */

struct account { uid_t uid; gid_t gid; char const *name; };

static void account(struct account *a, char const *name)
{
  struct passwd *pw;
  errno = 0;
  pw = getpwnam(name);
  if (!pw) {
    if (errno) strerr_diefu3sys(QM_EXIT_TEMP, "look up account ", name, "");
    strerr_dief3x(QM_EXIT_TEMP, "no account ", name, " on this system");
  }
  a->uid = pw->pw_uid; a->gid = pw->pw_gid; a->name = name;
}

/* One fixed order, then proof that it took and cannot be undone. */
static void become(struct account const *a)
{
  if (setgroups(1, &a->gid) < 0 || setgid(a->gid) < 0 || setuid(a->uid) < 0)
    strerr_diefu2sys(QM_EXIT_TEMP, "become ", a->name);
  if (getuid() != a->uid || geteuid() != a->uid || getgid() != a->gid || getegid() != a->gid)
    strerr_dief2x(QM_EXIT_TEMP, "ids did not change to ", a->name);
  if (a->uid && setuid(0) == 0) strerr_dief1x(QM_EXIT_TEMP, "could regain root");
}

/* Before the first peer byte: the helper's own account (when started as root),
 * non-dumpable, and SIGPIPE as an error. */
static void harden(struct account const *self)
{
  if (self) become(self);
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 || prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
    strerr_diefu1sys(QM_EXIT_TEMP, "make this process non-dumpable");
  signal(SIGPIPE, SIG_IGN);
}

/* --- TLS contexts ------------------------------------------------------------------- */

static int on_sni(SSL *ssl, int *al, void *arg)
{
  char const *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  unsigned int i;
  (void)al; (void)arg;
  if (!name) return SSL_TLSEXT_ERR_OK;
  sni_seen = name;
  for (i = 1; i < nctx; i++) {
    X509 *c = SSL_CTX_get0_certificate(ctxs[i]);
    if (c && X509_check_host(c, name, 0, 0, 0) == 1) {
      SSL_set_SSL_CTX(ssl, ctxs[i]);
      break;
    }
  }
  return SSL_TLSEXT_ERR_OK;
}

static SSL_CTX *newctx(int server)
{
  char e[256];
  SSL_CTX *c = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
  if (!c
      || !SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION)
      || !SSL_CTX_set_cipher_list(c, TLSD_CIPHERS12)
      || !SSL_CTX_set_ciphersuites(c, TLSD_SUITES13))
    strerr_dief2x(QM_EXIT_TEMP, "unable to set up TLS: ", sslerr(e, sizeof e, "context"));
  SSL_CTX_set_options(c, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION
                         | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_TICKET);
  /* each connection is its own process: a session cache or ticket could never be
   * resumed here, and tickets would only leak session keys to disk-less peers */
  SSL_CTX_set_num_tickets(c, 0);
  SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  return c;
}

static int accept_any(int ok, X509_STORE_CTX *x)
{
  (void)ok; (void)x;
  return 1;   /* a client certificate is asked for to be logged, not to decide */
}

/* One certificate chain and its key in a new context; 0 and why in e if not. */
static SSL_CTX *load_pair(char const *cert, char const *key, int reqcert, int first, char *e, size_t elen)
{
  char x[256];
  SSL_CTX *c = newctx(1);
  char const *what = 0, *name = 0, *sep = ": ", *why = 0;
  if (SSL_CTX_use_certificate_chain_file(c, cert) != 1) { what = "unable to load certificate "; name = cert; }
  else if (SSL_CTX_use_PrivateKey_file(c, key, SSL_FILETYPE_PEM) != 1) { what = "unable to load key "; name = key; }
  else if (SSL_CTX_check_private_key(c) != 1) { what = "key "; name = key; sep = " does not match "; why = cert; }
  if (what) {
    if (!why) why = sslerr(x, sizeof x, "?");
    e[0] = 0;
    strncat(e, what, elen - 1);
    strncat(e, name, elen - 1 - strlen(e));
    strncat(e, sep, elen - 1 - strlen(e));
    strncat(e, why, elen - 1 - strlen(e));
    ERR_clear_error();
    SSL_CTX_free(c);
    return 0;
  }
  if (reqcert) SSL_CTX_set_verify(c, SSL_VERIFY_PEER, &accept_any);
  if (first) SSL_CTX_set_tlsext_servername_callback(c, &on_sni);
  return c;
}

/* The certificate and key files of server mode, and what they looked like when they
 * were last loaded: a daemon reloads them when they change. */
struct certfiles {
  char const *name[2 * TLSD_CERTS_MAX];   /* cert, key, cert, key ... */
  unsigned int n;                         /* pairs */
  int reqcert;
  struct stat st[2 * TLSD_CERTS_MAX];
  int stok[2 * TLSD_CERTS_MAX];
  long checked;
};

static void certfiles_stat(struct certfiles *cf, struct stat *st, int *ok)
{
  unsigned int i;
  for (i = 0; i < 2 * cf->n; i++) ok[i] = stat(cf->name[i], &st[i]) == 0;
}

/* Loads every pair into new contexts and, only if all of them load, puts them in
 * place of the old ones. 1 done; 0 with the old ones kept and why in e. */
static int certfiles_load(struct certfiles *cf, char *e, size_t elen)
{
  SSL_CTX *nc[TLSD_CERTS_MAX];
  unsigned int i;
  certfiles_stat(cf, cf->st, cf->stok);
  for (i = 0; i < cf->n; i++) {
    nc[i] = load_pair(cf->name[2 * i], cf->name[2 * i + 1], cf->reqcert, !i, e, elen);
    if (!nc[i]) {
      while (i--) SSL_CTX_free(nc[i]);
      return 0;
    }
  }
  for (i = 0; i < nctx; i++) SSL_CTX_free(ctxs[i]);
  for (i = 0; i < cf->n; i++) ctxs[i] = nc[i];
  nctx = cf->n;
  return 1;
}

static int certfiles_changed(struct certfiles *cf)
{
  struct stat st[2 * TLSD_CERTS_MAX];
  int ok[2 * TLSD_CERTS_MAX];
  unsigned int i;
  certfiles_stat(cf, st, ok);
  for (i = 0; i < 2 * cf->n; i++) {
    if (ok[i] != cf->stok[i]) return 1;
    if (ok[i] && (st[i].st_dev != cf->st[i].st_dev || st[i].st_ino != cf->st[i].st_ino
                  || st[i].st_size != cf->st[i].st_size
                  || st[i].st_mtim.tv_sec != cf->st[i].st_mtim.tv_sec
                  || st[i].st_mtim.tv_nsec != cf->st[i].st_mtim.tv_nsec
                  || st[i].st_ctim.tv_sec != cf->st[i].st_ctim.tv_sec
                  || st[i].st_ctim.tv_nsec != cf->st[i].st_ctim.tv_nsec)) return 1;
  }
  return 0;
}

/* A daemon's reload: on SIGHUP, or when a file changed (looked at once a second at
 * most, when a connection comes). A set that does not load leaves the old in use. */
static void certfiles_reload(struct certfiles *cf, int force)
{
  char e[512];
  long now = qm_now_ms();
  if (!force) {
    if (now - cf->checked < 1000 && now >= cf->checked) return;
    cf->checked = now;
    if (!certfiles_changed(cf)) return;
  }
  cf->checked = now;
  if (certfiles_load(cf, e, sizeof e)) strerr_warni("loaded certificates and keys again");
  else strerr_warnw("keeping the certificates and keys in use: ", e);
}

/* --- handshake and report ----------------------------------------------------------- */

static int handshake(SSL *ssl, int fd)
{
  long deadline = qm_now_ms() + (long)handshake_secs * 1000;
  for (;;) {
    struct pollfd p;
    long left;
    int r = SSL_do_handshake(ssl);
    if (r == 1) return 1;
    p.fd = fd; p.revents = 0;
    switch (SSL_get_error(ssl, r)) {
      case SSL_ERROR_WANT_READ: p.events = POLLIN; break;
      case SSL_ERROR_WANT_WRITE: p.events = POLLOUT; break;
      default: return 0;
    }
    left = deadline - qm_now_ms();
    if (left <= 0) { errno = ETIMEDOUT; return -1; }
    if (poll(&p, 1, (int)left) < 0 && errno != EINTR) return 0;
  }
}

/* Throws away whatever the peer sent that is still unread in the socket: it was sent
 * in plaintext before the handshake and must never be taken as part of it. */
static size_t drain(int fd)
{
  char junk[4096];
  size_t total = 0;
  for (;;) {
    ssize_t r = recv(fd, junk, sizeof junk, MSG_DONTWAIT);
    if (r > 0) { total += (size_t)r; continue; }
    if (r < 0 && errno == EINTR) continue;
    return total;
  }
}

static void subject(char *out, size_t max, X509 *c)
{
  BIO *b;
  long n;
  char *p;
  out[0] = 0;
  if (!c) return;
  b = BIO_new(BIO_s_mem());
  if (!b) return;
  X509_NAME_print_ex(b, X509_get_subject_name(c), 0, XN_FLAG_RFC2253);
  n = BIO_get_mem_data(b, &p);
  if (n > 0) qm_tlsctl_sanitize(out, max, p, (size_t)n, 1);
  BIO_free(b);
}

static void report(int ctl, SSL *ssl, char const *mode, char const *verified, int passfd)
{
  char line[QM_TLSCTL_MAX], peer[QM_TLSCTL_PEER_MAX + 1], sni[QM_TLSCTL_NAME_MAX + 1];
  char const *proto = SSL_get_version(ssl);
  char const *cipher = SSL_get_cipher_name(ssl);
  X509 *c = SSL_get1_peer_certificate(ssl);
  size_t n;
  subject(peer, QM_TLSCTL_PEER_MAX, c);
  X509_free(c);
  n = qm_tlsctl_report(line, proto, cipher, verified, peer);
  if (!sni_seen) strcpy(sni, "-");
  else qm_tlsctl_sanitize(sni, QM_TLSCTL_NAME_MAX, sni_seen, strlen(sni_seen), 0);
  line[n - 1] = 0;
  strerr_warni("pid=", pidstr, " tls=", mode, " sni=", sni, " ", line);
  line[n - 1] = '\n';
  if (!send_all(ctl, line, n, passfd)) strerr_warnwu1sys("report to the served program");
}

static void refuse(int ctl, char const *what, char const *why)
{
  char line[QM_TLSCTL_MAX];
  size_t n = qm_tlsctl_fail(line, why);
  logfail(what, why);
  send_all(ctl, line, n, -1);
}

/* --- the relay ---------------------------------------------------------------------- */

static ssize_t net_read(struct relay *r, char *b, size_t n)
{
  int k, e;
  if (!r->ssl) {
    ssize_t x = read(r->net, b, n);
    if (x < 0 && errno == EAGAIN) r->rdwant = POLLIN;
    return x;
  }
  k = SSL_read(r->ssl, b, (int)(n > INT_MAX ? INT_MAX : n));
  if (k > 0) { r->rdwant = 0; return k; }
  e = SSL_get_error(r->ssl, k);
  if (e == SSL_ERROR_WANT_READ) { r->rdwant = POLLIN; errno = EAGAIN; return -1; }
  if (e == SSL_ERROR_WANT_WRITE) { r->rdwant = POLLOUT; errno = EAGAIN; return -1; }
  if (e == SSL_ERROR_ZERO_RETURN) return 0;
  ERR_clear_error();
  if (e == SSL_ERROR_SYSCALL && !errno) errno = ECONNRESET;
  else if (e != SSL_ERROR_SYSCALL) errno = EPROTO;
  return -1;
}

static ssize_t net_write(struct relay *r, char const *b, size_t n)
{
  int k, e;
  if (!r->ssl) {
    ssize_t x = send(r->net, b, n, MSG_NOSIGNAL);
    if (x < 0 && errno == EAGAIN) r->wrwant = POLLOUT;
    return x;
  }
  k = SSL_write(r->ssl, b, (int)(n > INT_MAX ? INT_MAX : n));
  if (k > 0) { r->wrwant = 0; return k; }
  e = SSL_get_error(r->ssl, k);
  if (e == SSL_ERROR_WANT_READ) { r->wrwant = POLLIN; errno = EAGAIN; return -1; }
  if (e == SSL_ERROR_WANT_WRITE) { r->wrwant = POLLOUT; errno = EAGAIN; return -1; }
  ERR_clear_error();
  errno = EPIPE;
  return -1;
}

/* Lets the scanner decide how much of the held network input may go on. */
static void rescan(struct relay *r)
{
  int hold;
  size_t n = tlsd_plain_scan(&r->scan, r->in + r->infwd, r->inlen - r->infwd, &hold);
  r->infwd += n;
  if (hold) { r->hold = 1; r->holdstart = qm_now_ms(); }
}

/* Server: the served program said "starttls". Its reply is already in the socketpair
 * (it writes the reply before the request). Throw away every byte of plaintext
 * input, send the reply, then do the handshake. */
static int server_switch(struct relay *r, char const *mode, int reqcert, int discard)
{
  char e[256];
  size_t gone = r->inlen - r->inpos;
  /* Discard first, reply after: once the reply is out the peer's ClientHello may
   * arrive at any moment and must not be thrown away with the plaintext. */
  r->inlen = r->inpos = r->infwd = 0;
  r->hold = 0;
  /* with implicit TLS the socket already holds the ClientHello: keep it */
  if (discard) gone += drain(r->net);
  if (gone) {
    char num[SIZE_FMT];
    num[size_fmt(num, gone)] = 0;
    strerr_warnw("pid=", pidstr, " discarded ", num, " bytes of plaintext sent before the handshake");
  }
  for (;;) {
    ssize_t n;
    if (r->outpos < r->outlen
        && !send_all(r->net, r->out + r->outpos, r->outlen - r->outpos, -1)) return 0;
    r->outpos = r->outlen = 0;
    n = read(r->child, r->out, sizeof r->out);
    if (n <= 0) break;
    r->outlen = (size_t)n;
  }
  r->ssl = SSL_new(ctxs[0]);
  if (!r->ssl || !SSL_set_fd(r->ssl, r->net)) {
    refuse(r->ctl, "set up TLS", sslerr(e, sizeof e, "SSL_new"));
    return 0;
  }
  SSL_set_accept_state(r->ssl);
  if (handshake(r->ssl, r->net) <= 0) {
    refuse(r->ctl, "handshake failed", errno == ETIMEDOUT ? "timeout" : sslerr(e, sizeof e, "connection closed"));
    return 0;
  }
  report(r->ctl, r->ssl, mode, reqcert ? "peer" : "none", -1);
  return 1;
}

/* One step of the ctl channel in server mode: 1 go on, 0 end the connection. */
static int server_ctl(struct relay *r, char const *mode, int reqcert)
{
  ssize_t n = read(r->ctl, r->ctlbuf + r->ctllen, sizeof r->ctlbuf - r->ctllen);
  if (n < 0) return errno == EAGAIN || errno == EINTR;
  if (!n) { r->ctleof = 1; return 1; }
  r->ctllen += (size_t)n;
  for (;;) {
    qm_tlsreq q;
    long l = qm_tlsctl_line(r->ctlbuf, r->ctllen);
    if (!l) return 1;
    if (l < 0 || qm_tlsctl_parse(&q, r->ctlbuf, (size_t)l - 1) < 0 || q.client) {
      refuse(r->ctl, "control", "malformed request");
      return 0;
    }
    memmove(r->ctlbuf, r->ctlbuf + l, r->ctllen - (size_t)l);
    r->ctllen -= (size_t)l;
    if (q.kind == QM_TLSREQ_PLAIN) {
      if (r->hold) { r->hold = 0; rescan(r); }
    } else if (r->ssl) {
      refuse(r->ctl, "control", "TLS already active");
    } else if (!server_switch(r, mode, reqcert, 1)) return 0;
  }
}

/* Moves bytes both ways until the served program closes its side (or, in client
 * mode, sends a new request). Returns 1 when the ctl channel needs attention. */
static int relay(struct relay *r, int server, char const *mode, int reqcert)
{
  for (;;) {
    struct pollfd p[3];
    int progress = 0, np = 0, ti = -1;
    ssize_t n;
    if (r->inpos == r->inlen && !r->neteof && !r->hold && !r->childeof) {
      r->inpos = r->inlen = r->infwd = 0;
      n = net_read(r, r->in, sizeof r->in);
      if (n > 0) {
        r->inlen = (size_t)n; progress = 1;
        if (r->ssl) r->infwd = r->inlen; else rescan(r);
      } else if (!n || errno != EAGAIN) {
        r->neteof = 1; progress = 1;
        shutdown(r->child, SHUT_WR);
      }
    }
    if (r->inpos < r->infwd) {
      n = send(r->child, r->in + r->inpos, r->infwd - r->inpos, MSG_NOSIGNAL);
      if (n > 0) { r->inpos += (size_t)n; progress = 1; }
      else if (n < 0 && errno != EAGAIN) return 0;
    }
    /* While held, the program's output may be its 220 to STARTTLS: it must not reach
     * the peer before the plaintext is discarded, or the peer's ClientHello could be
     * thrown away with it. */
    if (r->outpos == r->outlen && !r->childeof && !r->hold) {
      r->outpos = r->outlen = 0;
      n = read(r->child, r->out, sizeof r->out);
      if (n > 0) { r->outlen = (size_t)n; progress = 1; }
      else if (!n || errno != EAGAIN) { r->childeof = 1; progress = 1; }
    }
    if (r->outpos < r->outlen) {
      n = net_write(r, r->out + r->outpos, r->outlen - r->outpos);
      if (n > 0) { r->outpos += (size_t)n; progress = 1; }
      else if (n < 0 && errno != EAGAIN) return 0;
    }
    if (r->childeof && r->outpos == r->outlen) return 0;
    if (r->hold && qm_now_ms() - r->holdstart >= TLSD_HOLD_MS) {
      /* the served program never decided: it was not a command (say, a body line) */
      r->hold = 0; rescan(r); progress = 1;
    }
    if (progress) continue;

    p[np].fd = r->net; p[np].events = 0; p[np].revents = 0;
    if (r->inpos == r->inlen && !r->neteof && !r->hold) p[np].events |= r->ssl ? r->rdwant : POLLIN;
    if (r->outpos < r->outlen) p[np].events |= r->ssl ? r->wrwant : POLLOUT;
    if (!p[np].events) p[np].fd = -1;   /* a hung-up socket would wake poll forever */
    np++;
    p[np].fd = r->child; p[np].events = 0; p[np].revents = 0;
    if (r->outpos == r->outlen && !r->childeof && !r->hold) p[np].events |= POLLIN;
    if (r->inpos < r->infwd) p[np].events |= POLLOUT;
    if (!p[np].events) p[np].fd = -1;
    np++;
    if (!r->ctleof) {
      ti = np;
      p[np].fd = r->ctl; p[np].events = POLLIN; p[np].revents = 0; np++;
    }
    if (poll(p, (nfds_t)np, r->hold ? TLSD_HOLD_MS / 10 : -1) < 0) {
      if (errno == EINTR) continue;
      strerr_diefu1sys(QM_EXIT_TEMP, "poll");
    }
    if (ti >= 0 && p[ti].revents) {
      if (!server) return 1;
      if (!server_ctl(r, mode, reqcert)) return 0;
    }
  }
}

/* --- the served program ------------------------------------------------------------- */

/* vfork: the child only rearranges descriptors, drops privileges and execs, so it
 * need not copy this process's page tables (the OpenSSL state of a daemon's
 * session), nor tear them down again at exec. It shares this process's memory until
 * it execs and writes none of it: the environment is set here first, and skalibs'
 * strerr_die* end with _exit. */
static pid_t spawn(char const *const *argv, int data, int ctl, int server,
                   struct account const *as, char const *mode)
{
  pid_t pid;
  char num[INT_FMT];
  num[int_fmt(num, TLSD_CTL_FD)] = 0;
  if (setenv("QMAIL_TLSCTL", num, 1) < 0 || setenv("QMAIL_TLSMODE", mode, 1) < 0)
    strerr_diefu1sys(QM_EXIT_TEMP, "set up the environment");
  pid = vfork();
  if (pid < 0) strerr_diefu1sys(QM_EXIT_TEMP, "fork");
  if (pid) return pid;
  if (server) {
    if (dup2(data, 0) < 0 || dup2(data, 1) < 0) strerr_diefu1sys(QM_EXIT_TEMP, "dup2");
  }
  /* dup2 onto itself would keep FD_CLOEXEC */
  if (ctl == TLSD_CTL_FD ? fcntl(ctl, F_SETFD, 0) < 0 : dup2(ctl, TLSD_CTL_FD) < 0)
    strerr_diefu1sys(QM_EXIT_TEMP, "dup2");
  if (as) become(as);
  execvp(argv[0], (char *const *)argv);
  strerr_diefu2sys(QM_EXIT_TEMP, "run ", argv[0]);
}

static int status(pid_t pid)
{
  int ws;
  while (waitpid(pid, &ws, 0) < 0)
    if (errno != EINTR) return QM_EXIT_TEMP;
  if (WIFEXITED(ws)) return WEXITSTATUS(ws);
  return QM_EXIT_TEMP;
}

/* --- client mode -------------------------------------------------------------------- */

/* Reads one request and the descriptor that came with it: 1, 0 on EOF, -1 bad. */
static int client_request(struct relay *r, qm_tlsreq *q)
{
  for (;;) {
    long l = qm_tlsctl_line(r->ctlbuf, r->ctllen);
    struct msghdr m;
    struct iovec v;
    union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int))]; } c;
    struct cmsghdr *h;
    ssize_t n;
    if (l < 0) return -1;
    if (l > 0) {
      int ok = qm_tlsctl_parse(q, r->ctlbuf, (size_t)l - 1) > 0 && q->client;
      memmove(r->ctlbuf, r->ctlbuf + l, r->ctllen - (size_t)l);
      r->ctllen -= (size_t)l;
      return ok ? 1 : -1;
    }
    memset(&m, 0, sizeof m);
    v.iov_base = r->ctlbuf + r->ctllen; v.iov_len = sizeof r->ctlbuf - r->ctllen;
    m.msg_iov = &v; m.msg_iovlen = 1;
    m.msg_control = c.b; m.msg_controllen = sizeof c.b;
    n = recvmsg(r->ctl, &m, MSG_CMSG_CLOEXEC);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) { struct pollfd p = { r->ctl, POLLIN, 0 }; poll(&p, 1, -1); continue; }
      return -1;
    }
    if (!n) return 0;
    for (h = CMSG_FIRSTHDR(&m); h; h = CMSG_NXTHDR(&m, h)) {
      if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS) {
        size_t k, nfd = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (k = 0; k < nfd; k++) {
          int fd;
          memcpy(&fd, CMSG_DATA(h) + k * sizeof(int), sizeof fd);
          if (r->ctlfd < 0) r->ctlfd = fd; else close(fd);
        }
      }
    }
    r->ctllen += (size_t)n;
  }
}

static int pin_matches(SSL *ssl, unsigned char const *pin)
{
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  X509 *c = SSL_get1_peer_certificate(ssl);
  int ok = c && X509_digest(c, EVP_sha256(), md, &mdlen) && mdlen == QM_TLSCTL_PIN_LEN
           && !CRYPTO_memcmp(md, pin, QM_TLSCTL_PIN_LEN);
  X509_free(c);
  return ok;
}

/* The CA store is read when a request first asks for a check against it, not at
 * start: parsing the system's whole bundle costs tens of milliseconds, and most
 * sessions (no STARTTLS, or opportunistic ones) never need it. */
static char const *cafile;

static int ca_load(void)
{
  static int loaded;
  if (!loaded)
    loaded = cafile ? SSL_CTX_load_verify_locations(ctxs[0], cafile, 0) == 1
                    : SSL_CTX_set_default_verify_paths(ctxs[0]) == 1;
  return loaded;
}

static void client_session(struct relay *r, qm_tlsreq const *q)
{
  char e[256];
  int sp[2];
  static char const *const vnames[] = { "none", "ca", "pin" };
  size_t gone;
  r->net = r->ctlfd; r->ctlfd = -1;
  gone = drain(r->net);
  if (gone) {
    char num[SIZE_FMT];
    num[size_fmt(num, gone)] = 0;
    strerr_warnw("pid=", pidstr, " discarded ", num, " bytes of plaintext sent before the handshake");
  }
  sni_seen = q->name[0] ? q->name : 0;
  if (q->verify == QM_TLSVERIFY_CA && !ca_load()) {
    refuse(r->ctl, "unable to load CA certificates", sslerr(e, sizeof e, cafile ? cafile : "default"));
    goto done;
  }
  r->ssl = SSL_new(ctxs[0]);
  if (!r->ssl || !SSL_set_fd(r->ssl, r->net)
      || (q->name[0] && !SSL_set_tlsext_host_name(r->ssl, q->name))) {
    refuse(r->ctl, "set up TLS", sslerr(e, sizeof e, "SSL_new"));
    goto done;
  }
  if (q->verify == QM_TLSVERIFY_CA) {
    SSL_set_verify(r->ssl, SSL_VERIFY_PEER, 0);
    SSL_set_hostflags(r->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (!SSL_set1_host(r->ssl, q->name)) { refuse(r->ctl, "set up TLS", "host name"); goto done; }
  } else SSL_set_verify(r->ssl, SSL_VERIFY_NONE, 0);
  SSL_set_connect_state(r->ssl);
  if (handshake(r->ssl, r->net) <= 0) {
    long v = SSL_get_verify_result(r->ssl);
    refuse(r->ctl, "handshake failed", errno == ETIMEDOUT ? "timeout"
           : v != X509_V_OK ? X509_verify_cert_error_string(v) : sslerr(e, sizeof e, "connection closed"));
    goto done;
  }
  if (q->verify == QM_TLSVERIFY_PIN && !pin_matches(r->ssl, q->pin)) {
    refuse(r->ctl, "verify", "certificate fingerprint does not match");
    goto done;
  }
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
    refuse(r->ctl, "set up the session", strerror(errno));
    goto done;
  }
  report(r->ctl, r->ssl, "client", vnames[q->verify], sp[1]);
  close(sp[1]);
  r->child = sp[0];
  if (nonblock(r->net) < 0 || nonblock(r->child) < 0) strerr_diefu1sys(QM_EXIT_TEMP, "set up descriptors");
  r->inlen = r->inpos = r->infwd = r->outlen = r->outpos = 0;
  r->neteof = r->childeof = 0;
  r->rdwant = r->wrwant = 0;
  relay(r, 0, "client", 0);
  if (!r->neteof) SSL_shutdown(r->ssl);
  close(r->child);
 done:
  SSL_free(r->ssl);
  r->ssl = 0;
  close(r->net);
  r->net = -1;
}

/* --- server mode: one connection ------------------------------------------------------ */

struct srvcfg {
  int implicit, reqcert;
  char const *mode;
  struct account const *child;   /* -u, when started as root */
  struct account const *self;    /* -t, when started as root */
};

/* The connection is on fds 0 and 1: starts argv as the served program on a
 * socketpair, becomes the -t user and non-dumpable, relays. Returns the exit code. */
static int server_conn(char const *const *argv, struct srvcfg const *cfg)
{
  static struct relay r;
  int data[2], ctl[2];
  pid_t pid;
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ctl) < 0
      || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, data) < 0)
    strerr_diefu1sys(QM_EXIT_TEMP, "create socketpair");
  pid = spawn(argv, data[1], ctl[1], 1, cfg->child, cfg->mode);
  close(ctl[1]);
  close(data[1]);

  harden(cfg->self);

  r.ctl = ctl[0];
  r.ctlfd = -1;
  tlsd_plain_init(&r.scan);
  r.net = 0;
  r.child = data[0];
  /* fd 1 is the same connection; keeping it would only hold the socket open */
  {
    int nul = open("/dev/null", O_WRONLY);
    if (nul < 0 || dup2(nul, 1) < 0) strerr_diefu1sys(QM_EXIT_TEMP, "open /dev/null");
    if (nul != 1) close(nul);
  }
  if (nonblock(r.net) < 0 || nonblock(r.child) < 0 || nonblock(r.ctl) < 0)
    strerr_diefu1sys(QM_EXIT_TEMP, "set up descriptors");
  if (cfg->implicit && !server_switch(&r, cfg->mode, cfg->reqcert, 0)) {
    close(r.child); close(r.ctl);
    status(pid);
    return QM_EXIT_TEMP;
  }
  relay(&r, 1, cfg->mode, cfg->reqcert);
  if (r.ssl && !r.neteof) SSL_shutdown(r.ssl);
  close(r.net); close(r.child); close(r.ctl);
  return status(pid);
}

/* --- daemon mode (-D) ------------------------------------------------------------------ */

#define TLSD_REQ_SECS 10          /* longest a front may take to send its request */

/* Says a line to the front; it may be gone, which changes nothing here. */
static void tell(int fd, char const *a, char const *b)
{
  char line[256];
  size_t n = strlen(a), m = strlen(b);
  if (n + m + 1 > sizeof line) m = sizeof line - n - 1;
  memcpy(line, a, n);
  memcpy(line + n, b, m);
  line[n + m] = '\n';
  send_all(fd, line, n + m + 1, -1);
}

static void __attribute__((noreturn)) session_refuse(int fd, char const *why)
{
  strerr_warnw("pid=", pidstr, " refused a request: ", why);
  tell(fd, "fail ", why);
  _exit(QM_EXIT_TEMP);
}

/* Takes the SCM_RIGHTS descriptors of one message: the first set of exactly three is
 * the connection (fds 0, 1, 2 of the front); anything else is closed and counts bad. */
static int take_fds(struct msghdr *m, int *fds, int *nfds)
{
  struct cmsghdr *h;
  int ok = !(m->msg_flags & MSG_CTRUNC);
  for (h = CMSG_FIRSTHDR(m); h; h = CMSG_NXTHDR(m, h)) {
    size_t k, n;
    if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS) { ok = 0; continue; }
    n = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (k = 0; k < n; k++) {
      int fd;
      memcpy(&fd, CMSG_DATA(h) + k * sizeof(int), sizeof fd);
      if (!*nfds && n == 3) fds[k] = fd;
      else { close(fd); ok = 0; }
    }
    if (!*nfds && n == 3) *nfds = 3;
  }
  return ok;
}

/* A forked child of the daemon, still root: reads the front's request on fd, takes
 * over its connection, environment and limits, then does what a one-shot server
 * would do, and tells the front the exit code. Never returns. */
static void __attribute__((noreturn)) session(int fd, struct srvcfg const *cfg)
{
  static tlsd_req q;
  extern char **environ;
  int fds[3] = { -1, -1, -1 }, nfds = 0, r = 0, rc, i;
  long deadline = qm_now_ms() + TLSD_REQ_SECS * 1000L;
  char num[INT_FMT];
  tlsd_req_init(&q);
  while (!r) {
    char buf[4096];
    struct msghdr m;
    struct iovec v;
    union { struct cmsghdr h; char b[CMSG_SPACE(3 * sizeof(int))]; } c;
    struct pollfd p = { fd, POLLIN, 0 };
    long left = deadline - qm_now_ms();
    ssize_t n;
    size_t took;
    if (left <= 0) session_refuse(fd, "timeout reading the request");
    if (poll(&p, 1, (int)left) < 0 && errno != EINTR) session_refuse(fd, "poll failed");
    memset(&m, 0, sizeof m);
    v.iov_base = buf; v.iov_len = sizeof buf;
    m.msg_iov = &v; m.msg_iovlen = 1;
    m.msg_control = c.b; m.msg_controllen = sizeof c.b;
    n = recvmsg(fd, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      session_refuse(fd, "unable to read the request");
    }
    if (!take_fds(&m, fds, &nfds)) session_refuse(fd, "unexpected descriptors");
    if (!n) session_refuse(fd, "truncated request");
    r = tlsd_req_feed(&q, buf, (size_t)n, &took);
    if (r < 0) session_refuse(fd, tlsd_req_strerror(q.err));
    if (r > 0 && took != (size_t)n) session_refuse(fd, "bytes after the request");
  }
  if (nfds != 3) session_refuse(fd, "no connection descriptors");
  /* received descriptors may have any number: lift them clear of 0-2 first */
  for (i = 0; i < 3; i++) {
    if (fds[i] < 3) {
      int d = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
      if (d < 0) session_refuse(fd, "dup failed");
      fds[i] = d;
    }
  }
  for (i = 0; i < 3; i++) if (dup2(fds[i], i) < 0) session_refuse(fd, "dup2 failed");
  for (i = 0; i < 3; i++) if (fds[i] > 2) close(fds[i]);
  for (i = 0; i < TLSD_REQ_NLIMITS; i++)
    if (q.limset[i] && setrlimit(tlsd_req_limits[i].resource, &q.lim[i]) < 0)
      session_refuse(fd, "unable to set resource limits");
  environ = q.envp;
  tell(fd, "go", "");
  rc = server_conn((char const *const *)q.argv, cfg);
  num[int_fmt(num, rc)] = 0;
  tell(fd, "exit ", num);
  _exit(rc);
}

/* Starts the listener (tcpserver and its chain) with QMAIL_TLSD naming the request
 * socket, then forks a session for every request until the listener exits. */
static int daemon_run(char const *const *argv, struct srvcfg const *cfg, struct certfiles *cf)
{
  int sv[2], sfd;
  sigset_t set, old;
  pid_t listener, me = getpid();
  char num[INT_FMT];
  if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0)
    strerr_diefu1sys(QM_EXIT_TEMP, "create socketpair");
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD); sigaddset(&set, SIGTERM); sigaddset(&set, SIGINT); sigaddset(&set, SIGHUP);
  if (sigprocmask(SIG_BLOCK, &set, &old) < 0) strerr_diefu1sys(QM_EXIT_TEMP, "block signals");
  sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) strerr_diefu1sys(QM_EXIT_TEMP, "create signalfd");
  num[int_fmt(num, sv[1])] = 0;
  listener = fork();
  if (listener < 0) strerr_diefu1sys(QM_EXIT_TEMP, "fork");
  if (!listener) {
    /* the listener dies with the daemon: a tcpserver left behind would hold the port
     * and pass connections to fronts that can reach nobody */
    if (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) < 0 || getppid() != me) _exit(QM_EXIT_TEMP);
    sigprocmask(SIG_SETMASK, &old, 0);
    if (fcntl(sv[1], F_SETFD, 0) < 0 || setenv("QMAIL_TLSD", num, 1) < 0)
      strerr_diefu1sys(QM_EXIT_TEMP, "set up the listener");
    execvp(argv[0], (char *const *)argv);
    strerr_diefu2sys(QM_EXIT_TEMP, "run ", argv[0]);
  }
  close(sv[1]);
  if (nonblock(sv[0]) < 0) strerr_diefu1sys(QM_EXIT_TEMP, "set up descriptors");
  for (;;) {
    struct pollfd p[2] = { { sfd, POLLIN, 0 }, { sv[0], POLLIN, 0 } };
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      strerr_diefu1sys(QM_EXIT_TEMP, "poll");
    }
    for (;;) {
      struct signalfd_siginfo si;
      if (read(sfd, &si, sizeof si) != (ssize_t)sizeof si) break;
      if (si.ssi_signo == SIGHUP) certfiles_reload(cf, 1);
      else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) kill(listener, (int)si.ssi_signo);
      else for (;;) {
        int ws;
        pid_t w = waitpid(-1, &ws, WNOHANG);
        if (w <= 0) break;
        if (w == listener) {
          /* running sessions go on by themselves; a new daemon starts a new listener */
          if (WIFEXITED(ws)) return WEXITSTATUS(ws);
          return QM_EXIT_TEMP;
        }
      }
    }
    for (;;) {
      char b[16];
      struct msghdr m;
      struct iovec v;
      union { struct cmsghdr h; char c[CMSG_SPACE(4 * sizeof(int))]; } c;
      struct cmsghdr *h;
      int fd = -1, bad = 0;
      pid_t pid;
      ssize_t n;
      memset(&m, 0, sizeof m);
      v.iov_base = b; v.iov_len = sizeof b;
      m.msg_iov = &v; m.msg_iovlen = 1;
      m.msg_control = c.c; m.msg_controllen = sizeof c.c;
      n = recvmsg(sv[0], &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN) break;
        strerr_diefu1sys(QM_EXIT_TEMP, "receive a request");
      }
      for (h = CMSG_FIRSTHDR(&m); h; h = CMSG_NXTHDR(&m, h)) {
        size_t k, nf;
        if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS) { bad = 1; continue; }
        nf = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (k = 0; k < nf; k++) {
          int x;
          memcpy(&x, CMSG_DATA(h) + k * sizeof(int), sizeof x);
          if (fd < 0) fd = x; else { close(x); bad = 1; }
        }
      }
      if (n != 1 || b[0] != 'c' || fd < 0 || bad || (m.msg_flags & (MSG_CTRUNC | MSG_TRUNC))) {
        if (fd >= 0) close(fd);
        strerr_warnw("ignored a malformed request datagram");
        continue;
      }
      certfiles_reload(cf, 0);
      pid = fork();
      if (pid < 0) {
        strerr_warnwu1sys("fork for a connection");
        close(fd);
        continue;
      }
      if (!pid) {
        close(sv[0]);
        close(sfd);
        sigprocmask(SIG_SETMASK, &old, 0);
        pidstr[pid_fmt(pidstr, getpid())] = 0;
        session(fd, cfg);
      }
      close(fd);
    }
  }
}

/* --- main --------------------------------------------------------------------------- */

int main(int argc, char const *const *argv)
{
  static struct relay r;
  static struct certfiles cf;
  char const *childuser = 0, *selfuser = QM_USER_QMAILT;
  int server = -1, implicit = 0, reqcert = 0, daemon = 0;
  unsigned int ncert = 0, nkey = 0;
  struct account as_child, as_self;
  struct srvcfg cfg;
  int ctl[2], rc;
  pid_t pid;
  char const *mode;
  subgetopt l = SUBGETOPT_ZERO;

  for (;;) {
    int opt = subgetopt_r(argc, argv, "sCiRDc:k:A:u:t:h:", &l);
    if (opt == -1) break;
    switch (opt) {
      case 's': server = 1; break;
      case 'C': server = 0; break;
      case 'i': implicit = 1; break;
      case 'R': reqcert = 1; break;
      case 'D': daemon = 1; break;
      case 'c': if (ncert == TLSD_CERTS_MAX) strerr_dief1x(QM_EXIT_PERM, "too many certificates"); cf.name[2 * ncert++] = l.arg; break;
      case 'k': if (nkey == TLSD_CERTS_MAX) strerr_dief1x(QM_EXIT_PERM, "too many keys"); cf.name[2 * nkey++ + 1] = l.arg; break;
      case 'A': cafile = l.arg; break;
      case 'u': childuser = l.arg; break;
      case 't': selfuser = l.arg; break;
      case 'h': if (!uint0_scan(l.arg, &handshake_secs) || !handshake_secs) strerr_dieusage(QM_EXIT_PERM, USAGE); break;
      default: strerr_dieusage(QM_EXIT_PERM, USAGE);
    }
  }
  argc -= l.ind; argv += l.ind;
  /* -C without a program: the caller started us and gave us the control socket */
  if (server < 0 || (!argc && (server || childuser))) strerr_dieusage(QM_EXIT_PERM, USAGE);
  if (server && (!ncert || ncert != nkey)) strerr_dieusage(QM_EXIT_PERM, USAGE);
  if (!server && (ncert || nkey || implicit || reqcert || daemon)) strerr_dieusage(QM_EXIT_PERM, USAGE);
  if (!geteuid() && !childuser && argc)
    strerr_dief1x(QM_EXIT_PERM, "started as root: -u must name the served program's account");
  if (geteuid() && childuser)
    strerr_dief1x(QM_EXIT_PERM, "-u needs root");
  pidstr[pid_fmt(pidstr, getpid())] = 0;
  mode = !server ? "client" : implicit ? "implicit" : "starttls";

  /* everything that needs root or may read files happens here, before any peer byte */
  OPENSSL_init_ssl(0, 0);
  {
    unsigned char seed[16];
    if (RAND_bytes(seed, sizeof seed) != 1) strerr_dief1x(QM_EXIT_TEMP, "no random numbers");
  }
  if (server) {
    char e[512];
    cf.n = ncert;
    cf.reqcert = reqcert;
    cf.checked = qm_now_ms();
    if (!certfiles_load(&cf, e, sizeof e)) strerr_dief1x(QM_EXIT_TEMP, e);
  } else {
    ctxs[nctx++] = newctx(0);
    /* -A must at least be readable now, so that a wrong path shows at once */
    if (cafile && access(cafile, R_OK) < 0) strerr_diefu2sys(QM_EXIT_TEMP, "read ", cafile);
  }
  if (childuser) account(&as_child, childuser);
  if (!geteuid()) account(&as_self, selfuser);

  if (server) {
    cfg.implicit = implicit;
    cfg.reqcert = reqcert;
    cfg.mode = mode;
    cfg.child = childuser ? &as_child : 0;
    cfg.self = !geteuid() ? &as_self : 0;
    if (daemon) return daemon_run(argv, &cfg, &cf);
    return server_conn(argv, &cfg);
  }

  if (!argc) {
    int type;
    socklen_t tl = sizeof type;
    if (getsockopt(TLSD_CTL_FD, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 || type != SOCK_STREAM)
      strerr_dief1x(QM_EXIT_TEMP, "-C without a program needs the control socket on fd 5");
    ctl[0] = TLSD_CTL_FD;
    pid = 0;
  } else {
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ctl) < 0)
      strerr_diefu1sys(QM_EXIT_TEMP, "create socketpair");
    pid = spawn(argv, -1, ctl[1], 0, childuser ? &as_child : 0, mode);
    close(ctl[1]);
  }
  harden(!geteuid() ? &as_self : 0);
  r.ctl = ctl[0];
  r.ctlfd = -1;
  tlsd_plain_init(&r.scan);

  /* client: stdin and stdout belong to the served program alone */
  {
    int nul = open("/dev/null", O_RDWR);
    if (nul < 0 || dup2(nul, 0) < 0 || dup2(nul, 1) < 0) strerr_diefu1sys(QM_EXIT_TEMP, "open /dev/null");
    if (nul > 1) close(nul);
  }
  for (;;) {
    qm_tlsreq q;
    int k = client_request(&r, &q);
    if (!k) break;
    if (k < 0 || r.ctlfd < 0) {
      if (r.ctlfd >= 0) { close(r.ctlfd); r.ctlfd = -1; }
      refuse(r.ctl, "control", "malformed request");
      continue;
    }
    client_session(&r, &q);
  }
  close(r.ctl);
  rc = pid ? status(pid) : 0;
  return rc;
}
