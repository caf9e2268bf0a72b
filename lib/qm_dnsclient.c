/* Talks to qmail-dns over its local socket: one request frame out, one answer
 * frame back, each within the caller's deadline. The answer is parsed strictly
 * (counts, lengths, address syntax, host name bytes), so a confused or hostile
 * daemon can make the caller defer, never overflow or connect somewhere odd. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/iopause.h>
#include <skalibs/socket.h>
#include <skalibs/tai.h>
#include <skalibs/types.h>

#include "qm_dnsclient.h"

#define DIGITS_MAX 5

int qm_dnsclient_frame(char const *buf, size_t len, size_t max,
                       size_t *off, size_t *plen, size_t *used)
{
  size_t n = 0, i = 0;
  while (i < len && buf[i] >= '0' && buf[i] <= '9') {
    if (i >= DIGITS_MAX || (i == 1 && buf[0] == '0')) return -1;
    n = n * 10 + (size_t)(buf[i] - '0');
    i++;
  }
  if (n > max) return -1;
  if (i == len) return 0;
  if (!i || buf[i] != ':') return -1;
  i++;
  if (len - i < n + 1) return 0;
  if (buf[i + n] != ',') return -1;
  *off = i;
  *plen = n;
  *used = i + n + 1;
  return 1;
}

size_t qm_dnsclient_request(char *out, size_t max, enum qm_dns_type type, char const *name)
{
  char const *word = type == QM_DNS_MX ? "MX" : type == QM_DNS_A ? "A" :
                     type == QM_DNS_AAAA ? "AAAA" : 0;
  size_t nlen = strlen(name), wlen, plen, w;
  char num[UINT64_FMT];
  if (!word || !nlen || nlen > QM_DNS_HOST_MAX + 1) return 0;
  for (size_t i = 0; i < nlen; i++)
    if ((unsigned char)name[i] <= ' ' || (unsigned char)name[i] >= 127) return 0;
  wlen = strlen(word);
  plen = wlen + 1 + nlen;
  w = size_fmt(num, plen);
  if (w + 1 + plen + 1 > max) return 0;
  memcpy(out, num, w);
  out[w++] = ':';
  memcpy(out + w, word, wlen);
  w += wlen;
  out[w++] = ' ';
  memcpy(out + w, name, nlen);
  w += nlen;
  out[w++] = ',';
  return w;
}

/* A decimal number of at most digits digits, no larger than max; its length or 0. */
static size_t number(char const *s, size_t len, unsigned long max, unsigned long *v)
{
  size_t i = 0;
  unsigned long n = 0;
  while (i < len && s[i] >= '0' && s[i] <= '9') {
    if (i >= 10) return 0;
    n = n * 10 + (unsigned long)(s[i] - '0');
    i++;
  }
  if (!i || n > max) return 0;
  *v = n;
  return i;
}

static int hostbytes(char const *s, size_t n)
{
  if (n == 1 && s[0] == '.') return 1;   /* null MX */
  if (!n || n > QM_DNS_HOST_MAX || s[0] == '.' || s[n - 1] == '.') return 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
          c == '.'))
      return 0;
    if (c == '.' && s[i + 1] == '.') return 0;
  }
  return 1;
}

static int item(struct qm_dns_answer *a, enum qm_dns_type type, char const *s, size_t n)
{
  char tmp[64];
  if (!n || a->n >= QM_DNS_ITEMS_MAX) return 0;
  if (type == QM_DNS_MX) {
    unsigned long pref;
    size_t d = number(s, n, 65535, &pref);
    if (!d || d >= n || s[d] != ':' || !hostbytes(s + d + 1, n - d - 1)) return 0;
    a->mx[a->n].pref = (unsigned)pref;
    memcpy(a->mx[a->n].host, s + d + 1, n - d - 1);
    a->mx[a->n].host[n - d - 1] = 0;
  } else {
    /* inet_pton, not skalibs' scanners: it takes the whole item or nothing and
     * refuses octets over 255 */
    if (n >= sizeof tmp || memchr(s, 0, n)) return 0;
    memcpy(tmp, s, n);
    tmp[n] = 0;
    if (inet_pton(type == QM_DNS_A ? AF_INET : AF_INET6, tmp, a->ip[a->n]) != 1) return 0;
  }
  a->n++;
  return 1;
}

int qm_dnsclient_parse(struct qm_dns_answer *a, enum qm_dns_type type,
                       char const *s, size_t len)
{
  size_t i = 1, d;
  a->n = 0;
  a->ttl = 0;
  a->text[0] = 0;
  if (!len) return -1;
  a->status = s[0];
  switch (s[0]) {
  case 'Z': case 'D': {
    size_t w = 0;
    for (; i < len && w < QM_DNS_TEXT_MAX; i++)
      a->text[w++] = (s[i] >= 32 && s[i] < 127) ? s[i] : '?';
    a->text[w] = 0;
    return 1;
  }
  case 'K': case 'E': case 'X':
    d = number(s + 1, len - 1, 0xffffffffUL, &a->ttl);
    if (!d) return -1;
    i += d;
    if (s[0] != 'K') return i == len ? 1 : -1;
    while (i < len) {
      size_t start;
      if (s[i++] != ' ') return -1;
      start = i;
      while (i < len && s[i] != ' ') i++;
      if (!item(a, type, s + start, i - start)) return -1;
    }
    return a->n ? 1 : -1;
  default:
    return -1;
  }
}

int qm_dnsclient_open(qm_dnsclient *c, char const *path, tain const *deadline)
{
  c->len = 0;
  c->fd = ipc_stream_nbcoe();
  if (c->fd < 0) return 0;
  if (!ipc_timed_connect_g(c->fd, path, deadline)) {
    int e = errno;
    fd_close(c->fd);
    c->fd = -1;
    errno = e;
    return 0;
  }
  return 1;
}

void qm_dnsclient_close(qm_dnsclient *c)
{
  if (c->fd >= 0) fd_close(c->fd);
  c->fd = -1;
  c->len = 0;
}

/* Waits for fd to be ready for events before the deadline: 1 ready, 0 errno set. */
static int waitfor(int fd, short events, tain const *deadline)
{
  iopause_fd x = { .fd = fd, .events = events };
  int r;
  tain_now_g();
  r = iopause_g(&x, 1, deadline);
  if (r < 0) return 0;
  if (!r) { errno = ETIMEDOUT; return 0; }
  return 1;
}

/* Sends one request frame and reads one answer frame: its payload in *p, *plen. */
static int exchange(qm_dnsclient *c, char const *req, size_t reqlen,
                    char const **p, size_t *plen, tain const *deadline)
{
  size_t sent = 0, off, used;
  if (c->fd < 0) { errno = EBADF; return 0; }
  while (sent < reqlen) {
    ssize_t r = fd_write(c->fd, req + sent, reqlen - sent);
    if (r < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK) return 0;
      if (!waitfor(c->fd, IOPAUSE_WRITE, deadline)) return 0;
      continue;
    }
    sent += (size_t)r;
  }
  for (;;) {
    int f = qm_dnsclient_frame(c->buf, c->len, QM_DNS_ANSWER_MAX, &off, plen, &used);
    if (f < 0) { errno = EPROTO; return 0; }
    if (f > 0) break;
    ssize_t r = fd_read(c->fd, c->buf + c->len, sizeof c->buf - c->len);
    if (r < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK) return 0;
      if (!waitfor(c->fd, IOPAUSE_READ, deadline)) return 0;
      continue;
    }
    if (!r) { errno = EPIPE; return 0; }
    c->len += (size_t)r;
  }
  /* One request, one answer: anything after it is a protocol error. */
  if (used != c->len) { errno = EPROTO; return 0; }
  c->len = 0;
  *p = c->buf + off;
  return 1;
}

int qm_dnsclient_ask(qm_dnsclient *c, struct qm_dns_answer *a, enum qm_dns_type type,
                     char const *name, tain const *deadline)
{
  char req[QM_DNS_HOST_MAX + 16];
  char const *p;
  size_t plen, reqlen = qm_dnsclient_request(req, sizeof req, type, name);
  if (!reqlen) { errno = EINVAL; return 0; }
  if (!exchange(c, req, reqlen, &p, &plen, deadline)) return 0;
  if (qm_dnsclient_parse(a, type, p, plen) < 0) { errno = EPROTO; return 0; }
  return 1;
}

int qm_dnsclient_stats(qm_dnsclient *c, char *out, size_t max, tain const *deadline)
{
  char const *p;
  size_t plen;
  if (!max) { errno = EINVAL; return 0; }
  if (!exchange(c, "5:STATS,", 8, &p, &plen, deadline)) return 0;
  if (!plen || p[0] != 'S') { errno = EPROTO; return 0; }
  if (plen > max - 1) plen = max - 1;
  for (size_t i = 0; i < plen; i++) out[i] = (p[i] >= 32 && p[i] < 127) ? p[i] : '?';
  out[plen] = 0;
  return 1;
}
