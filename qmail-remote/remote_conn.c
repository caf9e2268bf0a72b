/* The description line of an idle connection and qmail-rspawn's cache of them.
 * Trusts nothing in a line: fixed fields, bounded numbers, an address that must
 * read back whole; the cache never holds a descriptor twice, never hands one out
 * twice, and never keeps more than its limits allow. */
#include <string.h>
#include <skalibs/fmtscan.h>
#include <skalibs/types.h>

#include "remote_conn.h"
#include "qm_put.h"

#define NUM_DIGITS_MAX 10          /* a field's number fits in 32 bits */
#define NUM_MAX 4294967295UL

static unsigned char const v4pfx[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

static void ipfmt(remote_conninfo *info)
{
  if (!memcmp(info->ip, v4pfx, 12)) info->ipstr[ip4_fmt(info->ipstr, (char const *)info->ip + 12)] = 0;
  else info->ipstr[ip6_fmt(info->ipstr, (char const *)info->ip)] = 0;
}

size_t remote_conn_fmt(char *buf, remote_conninfo const *info)
{
  remote_conninfo c = *info;
  size_t n = 0;
  if (c.caps & ~REMOTE_CONN_CAPS_MASK || c.sizemax > NUM_MAX || !c.uses || c.uses > NUM_MAX) return 0;
  ipfmt(&c);
  /* 3 + 45 + 6 + 10 + 6 + 10 + 6 + 10 + 1 = 97 bytes at most */
  n = qm_put_str(buf, n, "ip="); n = qm_put_str(buf, n, c.ipstr);
  n = qm_put_str(buf, n, " caps="); n = qm_put_ulong(buf, n, c.caps);
  n = qm_put_str(buf, n, " size="); n = qm_put_ulong(buf, n, c.sizemax);
  n = qm_put_str(buf, n, " uses="); n = qm_put_ulong(buf, n, c.uses);
  buf[n++] = '\n';
  return n;
}

/* "key=" then up to the next space (or the end); 1 with the value's bounds, 0 not that. */
static int field(char const *s, size_t len, size_t *pos, char const *key, size_t *vstart, size_t *vlen)
{
  size_t k = strlen(key), i;
  if (len - *pos < k || memcmp(s + *pos, key, k)) return 0;
  i = *vstart = *pos + k;
  while (i < len && s[i] != ' ') i++;
  *vlen = i - *vstart;
  if (!*vlen) return 0;
  if (i < len) i++;          /* the single space before the next field */
  *pos = i;
  return 1;
}

static int number(char const *s, size_t len, unsigned long *x)
{
  unsigned long v = 0;
  size_t i;
  if (!len || len > NUM_DIGITS_MAX || (len > 1 && s[0] == '0')) return 0;
  for (i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9') return 0;
    v = v * 10 + (unsigned long)(s[i] - '0');
  }
  if (v > NUM_MAX) return 0;
  *x = v;
  return 1;
}

/* Dotted quad, each part 0-255 without leading zero (skalibs' ip4_scan is laxer). */
static int ip4(unsigned char *ip, char const *s, size_t len)
{
  size_t i = 0;
  unsigned int part;
  for (part = 0; part < 4; part++) {
    unsigned int v = 0, digits = 0;
    if (part && (i >= len || s[i++] != '.')) return 0;
    while (i < len && s[i] >= '0' && s[i] <= '9' && digits < 4) { v = v * 10 + (unsigned int)(s[i++] - '0'); digits++; }
    if (!digits || digits > 3 || v > 255 || (digits > 1 && s[i - digits] == '0')) return 0;
    ip[part] = (unsigned char)v;
  }
  return i == len;
}

static int address(remote_conninfo *info, char const *s, size_t len)
{
  char tmp[REMOTE_CONN_IP_MAX + 1];
  if (!len || len > REMOTE_CONN_IP_MAX) return 0;
  memcpy(tmp, s, len);
  tmp[len] = 0;
  if (!memchr(tmp, ':', len)) {
    memcpy(info->ip, v4pfx, 12);
    if (!ip4(info->ip + 12, tmp, len)) return 0;
  } else if (ip6_scan(tmp, (char *)info->ip) != len) return 0;
  ipfmt(info);
  return 1;
}

int remote_conn_parse(remote_conninfo *info, char const *s, size_t len)
{
  size_t pos = 0, v, vl;
  unsigned long caps;
  if (len >= REMOTE_CONN_LINE_MAX || memchr(s, 0, len) || memchr(s, '\n', len)) return -1;
  if (len && s[len - 1] == ' ') return -1;
  if (!field(s, len, &pos, "ip=", &v, &vl) || !address(info, s + v, vl)) return -1;
  if (!field(s, len, &pos, "caps=", &v, &vl) || !number(s + v, vl, &caps)) return -1;
  if (caps & ~(unsigned long)REMOTE_CONN_CAPS_MASK) return -1;
  info->caps = (unsigned int)caps;
  if (!field(s, len, &pos, "size=", &v, &vl) || !number(s + v, vl, &info->sizemax)) return -1;
  if (!field(s, len, &pos, "uses=", &v, &vl) || !number(s + v, vl, &info->uses)) return -1;
  if (!info->uses || pos != len) return -1;
  return 1;
}

/* The host as a key: lower case, 1..REMOTE_CONN_HOST_MAX bytes; 0 not usable. */
static int key(char *k, char const *host)
{
  size_t i;
  for (i = 0; host[i]; i++) {
    char ch = host[i];
    if (i == REMOTE_CONN_HOST_MAX) return 0;
    k[i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
  }
  k[i] = 0;
  return i > 0;
}

static int expired(remote_conncache const *c, remote_conncache_entry const *e, uint64_t now)
{
  return now >= e->since && now - e->since >= c->idle;
}

static void removeat(remote_conncache *c, unsigned int i)
{
  memmove(&c->e[i], &c->e[i + 1], (c->n - i - 1) * sizeof c->e[0]);
  c->n--;
}

void remote_conncache_init(remote_conncache *c, unsigned int max, unsigned int perhost,
  unsigned long maxuses, uint64_t idle)
{
  c->n = 0;
  c->max = max > REMOTE_CONN_CACHE_MAX ? REMOTE_CONN_CACHE_MAX : max;
  c->perhost = perhost > c->max ? c->max : perhost;
  c->maxuses = maxuses;
  c->idle = idle;
}

int remote_conncache_put(remote_conncache *c, char const *host, int fd,
  remote_conninfo const *info, uint64_t now)
{
  char k[REMOTE_CONN_HOST_MAX + 1];
  unsigned int i, same = 0;
  if (!c->idle || fd < 0 || !key(k, host) || info->uses >= c->maxuses || c->n >= c->max) return 0;
  for (i = 0; i < c->n; i++) {
    if (c->e[i].fd == fd) return 0;
    if (!strcmp(c->e[i].host, k)) same++;
  }
  if (same >= c->perhost) return 0;
  c->e[c->n].fd = fd;
  memcpy(c->e[c->n].host, k, strlen(k) + 1);
  c->e[c->n].info = *info;
  c->e[c->n].since = now;
  c->n++;
  return 1;
}

int remote_conncache_take(remote_conncache *c, char const *host, remote_conninfo *info, uint64_t now)
{
  char k[REMOTE_CONN_HOST_MAX + 1];
  unsigned int i;
  if (!key(k, host)) return -1;
  for (i = c->n; i--;)
    if (!strcmp(c->e[i].host, k) && !expired(c, &c->e[i], now)) {
      int fd = c->e[i].fd;
      *info = c->e[i].info;
      removeat(c, i);
      return fd;
    }
  return -1;
}

int remote_conncache_expire(remote_conncache *c, uint64_t now)
{
  unsigned int i;
  for (i = 0; i < c->n; i++)
    if (expired(c, &c->e[i], now)) {
      int fd = c->e[i].fd;
      removeat(c, i);
      return fd;
    }
  return -1;
}

uint64_t remote_conncache_wait(remote_conncache const *c, uint64_t now)
{
  uint64_t best = UINT64_MAX;
  unsigned int i;
  for (i = 0; i < c->n; i++) {
    uint64_t left;
    if (expired(c, &c->e[i], now)) return 0;
    /* a clock that went back counts as no time gone */
    left = now >= c->e[i].since ? c->idle - (now - c->e[i].since) : c->idle;
    if (left < best) best = left;
  }
  return best;
}

int remote_conncache_drop(remote_conncache *c)
{
  int fd;
  if (!c->n) return -1;
  fd = c->e[c->n - 1].fd;
  c->n--;
  return fd;
}
