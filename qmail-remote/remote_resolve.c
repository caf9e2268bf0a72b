/* qmail-dns answers as remote_resolver results. Copies at most the caller's max
 * and QM_DNS_ITEMS_MAX items; never reads an answer's text. */
#include <string.h>

#include "remote_resolve.h"

static int status(struct qm_dns_answer const *a)
{
  switch (a->status) {
    case 'K': return a->n ? REMOTE_DNS_OK : REMOTE_DNS_NODATA;
    case 'E': return REMOTE_DNS_NODATA;
    case 'X': return REMOTE_DNS_NXDOMAIN;
    default: return REMOTE_DNS_TEMP;     /* Z, and D (a request we should not have made) */
  }
}

/* Asks one question; its status, and in *k how many items may be read. */
static int question(remote_dnsctx *d, enum qm_dns_type t, char const *name, size_t *k)
{
  int st;
  *k = 0;
  if (!d->ask(d->actx, &d->a, t, name)) return REMOTE_DNS_TEMP;
  st = status(&d->a);
  if (st == REMOTE_DNS_OK) *k = d->a.n > QM_DNS_ITEMS_MAX ? QM_DNS_ITEMS_MAX : d->a.n;
  return st;
}

static int dns_mx(void *ctx, char const *domain, remote_mx *out, size_t max, size_t *n)
{
  remote_dnsctx *d = ctx;
  size_t i, k;
  int st = question(d, QM_DNS_MX, domain, &k);
  *n = 0;
  if (st != REMOTE_DNS_OK) return st;
  for (i = 0; i < k && *n < max; i++) {
    size_t len = strnlen(d->a.mx[i].host, QM_DNS_HOST_MAX + 1);
    if (len > QM_DNS_HOST_MAX || len > REMOTE_DNS_NAME_MAX) continue;
    out[*n].pref = d->a.mx[i].pref;
    memcpy(out[*n].name, d->a.mx[i].host, len);
    out[*n].name[len] = 0;
    (*n)++;
  }
  return *n ? REMOTE_DNS_OK : REMOTE_DNS_NODATA;
}

/* One family's records appended to out; its status. */
static int family(remote_dnsctx *d, enum qm_dns_type t, char const *name, remote_addr *out, size_t max, size_t *n)
{
  static unsigned char const v4[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
  size_t i, k;
  int st = question(d, t, name, &k);
  if (st != REMOTE_DNS_OK) return st;
  for (i = 0; i < k && *n < max; i++) {
    remote_addr *a = out + *n;
    a->pref = 0;
    if (t == QM_DNS_A) { memcpy(a->ip, v4, 12); memcpy(a->ip + 12, d->a.ip[i], 4); }
    else memcpy(a->ip, d->a.ip[i], 16);
    (*n)++;
  }
  return REMOTE_DNS_OK;
}

static int dns_addrs(void *ctx, char const *name, remote_addr *out, size_t max, size_t *n)
{
  remote_dnsctx *d = ctx;
  int s4, s6;
  *n = 0;
  s4 = family(d, QM_DNS_A, name, out, max, n);
  s6 = family(d, QM_DNS_AAAA, name, out, max, n);
  if (*n) return REMOTE_DNS_OK;
  if (s4 == REMOTE_DNS_TEMP || s6 == REMOTE_DNS_TEMP) return REMOTE_DNS_TEMP;
  if (s4 == REMOTE_DNS_NXDOMAIN || s6 == REMOTE_DNS_NXDOMAIN) return REMOTE_DNS_NXDOMAIN;
  return REMOTE_DNS_NODATA;
}

void remote_resolve_dns(remote_resolver *r, remote_dnsctx *d)
{
  r->ctx = d;
  r->mx = dns_mx;
  r->addrs = dns_addrs;
}
