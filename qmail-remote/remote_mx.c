/* MX ordering and the connection plan. Trusts the resolver's answers only as far
 * as their sizes (at most REMOTE_MX_MAX records, REMOTE_ADDR_MAX addresses); the
 * host name comes from the envelope and is only passed to the resolver. */
#include <string.h>
#include <strings.h>
#include <skalibs/fmtscan.h>

#include "remote_mx.h"

void remote_mx_order(remote_mx *mx, size_t n, remote_rand_fn *rnd, void *rctx)
{
  size_t i, j;
  remote_mx t;
  for (i = 1; i < n; i++) {            /* insertion sort: n is small, and stable */
    t = mx[i];
    for (j = i; j > 0 && mx[j - 1].pref > t.pref; j--) mx[j] = mx[j - 1];
    mx[j] = t;
  }
  for (i = 0; i < n; i = j) {
    for (j = i + 1; j < n && mx[j].pref == mx[i].pref; j++) ;
    /* Fisher-Yates over [i, j) */
    for (size_t k = j - i; k > 1; k--) {
      size_t r = (size_t)rnd(rctx, (unsigned long)k);
      if (r >= k) r = k - 1;
      t = mx[i + k - 1];
      mx[i + k - 1] = mx[i + r];
      mx[i + r] = t;
    }
  }
}

static int isnull(remote_mx const *m)
{
  return !m->name[0] || (m->name[0] == '.' && !m->name[1]);
}

size_t remote_mx_dropnull(remote_mx *mx, size_t n, int *null)
{
  size_t i, k = 0;
  for (i = 0; i < n; i++) if (!isnull(mx + i)) mx[k++] = mx[i];
  *null = n > 0 && k == 0;
  return k;
}

size_t remote_addr_cutself(remote_addr *a, size_t n, remote_isself_fn *isself, void *sctx)
{
  size_t i, k;
  for (i = 0; i < n; i++) {
    if (!isself(sctx, a[i].ip)) continue;
    for (k = 0; k < n && a[k].pref < a[i].pref; k++) ;
    return k;
  }
  return n;
}

/* skalibs' ip4_scan takes "300" as a byte; insist on four parts of 0..255. */
static int dotquad(char const *s)
{
  unsigned int parts = 0, v = 0, nd = 0;
  for (;; s++) {
    if (*s >= '0' && *s <= '9') {
      v = v * 10 + (unsigned int)(*s - '0');
      if (++nd > 3 || v > 255) return 0;
    } else if (*s == '.' || !*s) {
      if (!nd || ++parts > 4) return 0;
      if (!*s) return parts == 4;
      v = nd = 0;
    } else return 0;
  }
}

int remote_addr_literal(unsigned char *ip, char const *s)
{
  char buf[REMOTE_DNS_NAME_MAX + 1];
  size_t len = strlen(s), used;
  if (len > REMOTE_DNS_NAME_MAX || !len) return 0;
  if (s[0] == '[') {
    if (len < 3 || s[len - 1] != ']') return 0;
    memcpy(buf, s + 1, len - 2);
    buf[len - 2] = 0;
  } else memcpy(buf, s, len + 1);
  len = strlen(buf);
  if (!strncasecmp(buf, "ipv6:", 5)) {     /* RFC 5321 IPv6 address literal */
    memmove(buf, buf + 5, len - 4);
    len -= 5;
  } else if (dotquad(buf)) {
    used = ip4_scan(buf, (char *)ip + 12);
    if (used && used == len) {
      memset(ip, 0, 10);
      ip[10] = ip[11] = 0xff;
      return 1;
    }
  }
  if (!strchr(buf, ':')) return 0;
  used = ip6_scan(buf, (char *)ip);
  return used && used == len;
}

static size_t addhost(remote_plan *p, remote_resolver const *res, char const *name,
  unsigned int pref, int *temp, int *nx)
{
  size_t n = 0, i;
  int r;
  if (p->n >= REMOTE_ADDR_MAX) return 0;
  r = res->addrs(res->ctx, name, p->addr + p->n, REMOTE_ADDR_MAX - p->n, &n);
  if (r == REMOTE_DNS_TEMP) *temp = 1;
  if (r == REMOTE_DNS_NXDOMAIN) *nx = 1;
  if (r != REMOTE_DNS_OK) return 0;
  if (n > REMOTE_ADDR_MAX - p->n) n = REMOTE_ADDR_MAX - p->n;
  for (i = 0; i < n; i++) {
    size_t l = strlen(name);
    p->addr[p->n + i].pref = pref;
    if (l > REMOTE_DNS_NAME_MAX) l = 0;
    memcpy(p->addr[p->n + i].name, name, l);
    p->addr[p->n + i].name[l] = 0;
  }
  p->n += n;
  return n;
}

enum remote_plan_result remote_plan_make(remote_plan *p, char const *host, remote_route const *rt,
  remote_resolver const *res, remote_rand_fn *rnd, void *rctx,
  remote_isself_fn *isself, void *sctx)
{
  remote_mx mx[REMOTE_MX_MAX];
  size_t n = 0, i;
  int temp = 0, nx = 0, null = 0, r;
  p->n = 0;
  p->port = 25;
  if (rt && rt->relay[0]) {
    /* a relay: its own addresses, no MX, no self check (the administrator chose it) */
    p->port = rt->port;
    if (remote_addr_literal(p->addr[0].ip, rt->relay)) {
      p->addr[0].pref = 0;
      p->addr[0].name[0] = 0;
      p->n = 1;
      return REMOTE_PLAN_OK;
    }
    if (rt->literal) return REMOTE_PLAN_NOHOST;
    addhost(p, res, rt->relay, 0, &temp, &nx);
    if (p->n) return REMOTE_PLAN_OK;
    return temp ? REMOTE_PLAN_DNSTEMP : nx ? REMOTE_PLAN_NOHOST : REMOTE_PLAN_NOADDR;
  }
  if (rt) p->port = rt->port;
  if (host[0] == '[') {
    if (!remote_addr_literal(p->addr[0].ip, host)) return REMOTE_PLAN_NOHOST;
    p->addr[0].pref = 0;
    p->addr[0].name[0] = 0;
    p->n = 1;
  } else {
    r = res->mx(res->ctx, host, mx, REMOTE_MX_MAX, &n);
    if (r == REMOTE_DNS_TEMP) return REMOTE_PLAN_DNSTEMP;
    if (r == REMOTE_DNS_NXDOMAIN) return REMOTE_PLAN_NOHOST;
    if (r != REMOTE_DNS_OK) n = 0;
    if (n > REMOTE_MX_MAX) n = REMOTE_MX_MAX;
    n = remote_mx_dropnull(mx, n, &null);
    if (null) return REMOTE_PLAN_NULLMX;
    if (!n) {
      addhost(p, res, host, 0, &temp, &nx);
      if (!p->n) return temp ? REMOTE_PLAN_DNSTEMP : nx ? REMOTE_PLAN_NOHOST : REMOTE_PLAN_NOADDR;
    } else {
      remote_mx_order(mx, n, rnd, rctx);
      for (i = 0; i < n; i++) addhost(p, res, mx[i].name, mx[i].pref, &temp, &nx);
      /* an MX whose address failed temporarily may be the best one: do not skip
       * to worse ones silently if nothing at all resolved */
      if (!p->n) return temp ? REMOTE_PLAN_DNSTEMP : REMOTE_PLAN_NOADDR;
    }
  }
  n = remote_addr_cutself(p->addr, p->n, isself, sctx);
  if (!n) return REMOTE_PLAN_SELF;
  p->n = n;
  return REMOTE_PLAN_OK;
}
