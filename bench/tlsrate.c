/* The client of bench/tls: N SMTP sessions over STARTTLS against one address and
 * port, spread over W forked workers: connect, EHLO, STARTTLS, a full handshake
 * (the server's certificate verified against -C and the name -H; no resumption),
 * EHLO, with -m one message (MAIL, RCPT, DATA), QUIT. Prints the wall-clock rate and
 * the client's own CPU time, so a run can show the client was not the limit. Trusts
 * the server only to be slow or wrong, never to hang it (socket timeouts). Loopback
 * only by intent; it never retries a session. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include "bench_util.h"

#define PROG "tlsrate"
#define USAGE "tlsrate -n sessions -w workers -p port -C cafile -H name [-a ipv4] " \
              "[-m message -f sender -t rcpt]"
#define LINE_MAX_BYTES 1000   /* one reply line, as RFC 5321 bounds it */
#define REPLY_LINES_MAX 64    /* lines in one multi-line reply */
#define MSG_MAX (1 << 20)     /* the message file, before CRLF and dot-stuffing */
#define IO_TIMEOUT 30         /* seconds a read or write may block */

struct opts {
  long n, w, port;
  char const *addr, *ca, *host, *msgfile, *from, *rcpt;
  char *data;       /* the message as sent after DATA: CRLF, dot-stuffed, ending .CRLF */
  size_t datalen;
};

struct conn {
  int fd;
  SSL *ssl;        /* 0 before STARTTLS */
  char buf[4096];
  size_t len, pos;
};

static int conn_fill(struct conn *c)
{
  int r;
  c->pos = 0;
  if (c->ssl) {
    r = SSL_read(c->ssl, c->buf, sizeof c->buf);
  } else {
    do r = (int)read(c->fd, c->buf, sizeof c->buf); while (r < 0 && errno == EINTR);
  }
  if (r <= 0) return -1;
  c->len = (size_t)r;
  return 0;
}

/* Reads one reply; returns its code, or -1 on a broken, overlong or closed reply. */
static int reply(struct conn *c)
{
  char line[LINE_MAX_BYTES + 1];
  for (int lines = 0; lines < REPLY_LINES_MAX; lines++) {
    size_t n = 0;
    for (;;) {
      if (c->pos == c->len && conn_fill(c) < 0) return -1;
      char ch = c->buf[c->pos++];
      if (ch == '\n') break;
      if (n == LINE_MAX_BYTES) return -1;
      line[n++] = ch;
    }
    if (n < 4) return -1;
    if (line[3] == ' ' || (n == 4 && line[3] == '\r'))
      return (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    if (line[3] != '-') return -1;
  }
  return -1;
}

static int sendall(struct conn *c, char const *s, size_t n)
{
  while (n) {
    int r;
    if (c->ssl) {
      r = SSL_write(c->ssl, s, n > 65536 ? 65536 : (int)n);
    } else {
      do r = (int)write(c->fd, s, n); while (r < 0 && errno == EINTR);
    }
    if (r <= 0) return -1;
    s += r;
    n -= (size_t)r;
  }
  return 0;
}

static int cmd(struct conn *c, char const *s, int want)
{
  return sendall(c, s, strlen(s)) == 0 && reply(c) == want ? 0 : -1;
}

static int dial(struct opts const *o)
{
  struct sockaddr_in sa;
  struct timeval tv = { IO_TIMEOUT, 0 };
  int one = 1;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons((unsigned short)o->port);
  inet_pton(AF_INET, o->addr, &sa.sin_addr);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) { close(fd); return -1; }
  return fd;
}

/* One whole session; 0 if every reply was the expected one. first: print what the
 * handshake negotiated. */
static int session(struct opts const *o, SSL_CTX *ctx, int first)
{
  struct conn c;
  char line[2 * LINE_MAX_BYTES];
  int ok = -1;
  memset(&c, 0, sizeof c);
  c.fd = dial(o);
  if (c.fd < 0) return -1;
  if (reply(&c) != 220 || cmd(&c, "EHLO bench.example.net\r\n", 250)
      || cmd(&c, "STARTTLS\r\n", 220))
    goto done;
  if (c.pos != c.len) goto done;   /* nothing may follow the 220 in the clear */
  c.ssl = SSL_new(ctx);
  if (!c.ssl || !SSL_set_fd(c.ssl, c.fd) || !SSL_set1_host(c.ssl, o->host)
      || !SSL_set_tlsext_host_name(c.ssl, o->host) || SSL_connect(c.ssl) != 1)
    goto done;
  if (first) {
    int sig = 0;
    SSL_get_peer_signature_type_nid(c.ssl, &sig);
    char info[256];
    int n = snprintf(info, sizeof info, "info proto=%s cipher=%s group=%s key=%s\n",
                     SSL_get_version(c.ssl), SSL_get_cipher_name(c.ssl),
                     OBJ_nid2sn(SSL_get_negotiated_group(c.ssl) & ~TLSEXT_nid_unknown),
                     sig ? OBJ_nid2sn(sig) : "-");
    if (n > 0 && (size_t)n < sizeof info && write(1, info, (size_t)n) < 0) goto done;
  }
  if (cmd(&c, "EHLO bench.example.net\r\n", 250)) goto done;
  if (o->data) {
    snprintf(line, sizeof line, "MAIL FROM:<%s>\r\n", o->from);
    if (cmd(&c, line, 250)) goto done;
    snprintf(line, sizeof line, "RCPT TO:<%s>\r\n", o->rcpt);
    if (cmd(&c, line, 250) || cmd(&c, "DATA\r\n", 354)) goto done;
    if (sendall(&c, o->data, o->datalen) || reply(&c) != 250) goto done;
  }
  if (cmd(&c, "QUIT\r\n", 221)) goto done;
  ok = 0;
done:
  if (c.ssl) {
    if (ok == 0) SSL_shutdown(c.ssl);
    SSL_free(c.ssl);
  }
  close(c.fd);
  return ok;
}

static int worker(int i, void *v)
{
  struct opts const *o = v;
  long mine = o->n / o->w + (i < o->n % o->w);
  SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
  if (!ctx || SSL_CTX_load_verify_locations(ctx, o->ca, 0) != 1) return 111;
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, 0);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  for (long k = 0; k < mine; k++)
    if (session(o, ctx, i == 0 && k == 0) < 0) {
      char msg[96];
      int n = snprintf(msg, sizeof msg, PROG ": worker %d: session %ld failed\n", i, k);
      if (n > 0) { ssize_t w = write(2, msg, (size_t)n); (void)w; }
      SSL_CTX_free(ctx);
      return 1;
    }
  SSL_CTX_free(ctx);
  return 0;
}

/* The message file as DATA sends it: lines end in CRLF, leading dots doubled. */
static void load_message(struct opts *o)
{
  int fd = open(o->msgfile, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0) bench_die(PROG, "unable to open", o->msgfile);
  if (st.st_size <= 0 || st.st_size > MSG_MAX) bench_die(PROG, "message size out of range", o->msgfile);
  size_t n = (size_t)st.st_size;
  char *raw = malloc(n);
  /* at most 3 bytes out per byte in (".\n" becomes "..\r\n"), and the final ".CRLF" */
  o->data = malloc(3 * n + 8);
  if (!raw || !o->data) bench_die(PROG, "out of memory", 0);
  if (read(fd, raw, n) != (ssize_t)n) bench_die(PROG, "unable to read", o->msgfile);
  close(fd);
  size_t k = 0;
  int bol = 1;
  for (size_t i = 0; i < n; i++) {
    if (bol && raw[i] == '.') o->data[k++] = '.';
    if (raw[i] == '\n') o->data[k++] = '\r';
    o->data[k++] = raw[i];
    bol = raw[i] == '\n';
  }
  if (!bol) { o->data[k++] = '\r'; o->data[k++] = '\n'; }
  memcpy(o->data + k, ".\r\n", 3);
  o->datalen = k + 3;
  free(raw);
}

int main(int argc, char **argv)
{
  struct opts o;
  int c, failed = 0;
  struct rusage ru;
  memset(&o, 0, sizeof o);
  o.addr = "127.0.0.1";
  while ((c = getopt(argc, argv, "n:w:p:a:C:H:m:f:t:")) != -1) {
    switch (c) {
    case 'n': o.n = bench_number(optarg, 1, 1000000, USAGE); break;
    case 'w': o.w = bench_number(optarg, 1, BENCH_GANG_MAX, USAGE); break;
    case 'p': o.port = bench_number(optarg, 1, 65535, USAGE); break;
    case 'a': o.addr = optarg; break;
    case 'C': o.ca = optarg; break;
    case 'H': o.host = optarg; break;
    case 'm': o.msgfile = optarg; break;
    case 'f': o.from = optarg; break;
    case 't': o.rcpt = optarg; break;
    default: bench_usage(USAGE);
    }
  }
  struct in_addr probe;
  if (!o.n || !o.w || !o.port || !o.ca || !o.host || inet_pton(AF_INET, o.addr, &probe) != 1)
    bench_usage(USAGE);
  if (o.msgfile) {
    if (!o.from || !o.rcpt || strlen(o.from) > 256 || strlen(o.rcpt) > 256) bench_usage(USAGE);
    load_message(&o);
  }
  if (o.w > o.n) o.w = o.n;
  double secs = bench_gang((int)o.w, &worker, &o, PROG, &failed);
  if (getrusage(RUSAGE_CHILDREN, &ru) < 0) bench_die(PROG, "unable to getrusage", 0);
  double cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6
               + (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
  printf("sessions=%ld workers=%ld secs=%.3f client_cpu=%.3f client_cpu_pct=%.1f rate=%.1f\n",
         o.n, o.w, secs, cpu, secs > 0 ? 100.0 * cpu / secs : 0.0, secs > 0 ? o.n / secs : 0.0);
  return failed ? 1 : 0;
}
