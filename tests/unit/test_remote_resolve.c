/* qmail-dns answers through remote_resolve into remote_plan_make: MX with
 * preferences, null MX, NXDOMAIN, no MX (E) falling back to A/AAAA, temporary
 * failures (Z, D, no answer at all), one family failing, item counts at and over
 * the limits, host names without a terminating NUL. The daemon is a table. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../qmail-remote/remote_mx.h"
#include "../../qmail-remote/remote_resolve.h"

/* One scripted answer: type, name, status, items ("10:mx.a" for MX, "192.0.2.1"
 * style text for addresses written with inet-free helpers below). */
struct ans { enum qm_dns_type t; char const *name; char status; char const *items[4]; };

struct fake {
  struct ans const *tab;
  size_t n;
  int down;               /* every ask fails: no daemon */
  unsigned asked;
  int bigmx, bigaddr;     /* answer with QM_DNS_ITEMS_MAX items */
};

static void ip4(char *ip, unsigned a, unsigned b, unsigned c, unsigned d)
{
  memset(ip, 0, 16);
  ip[0] = (char)a; ip[1] = (char)b; ip[2] = (char)c; ip[3] = (char)d;
}

/* "192.0.2.N" -> ip4, "2001:db8::N" -> 16 bytes, N one byte */
static void parseip(char *ip, char const *s)
{
  unsigned n;
  if (sscanf(s, "192.0.2.%u", &n) == 1) { ip4(ip, 192, 0, 2, n); return; }
  assert_int_equal(sscanf(s, "2001:db8::%x", &n), 1);
  memset(ip, 0, 16);
  ip[0] = 0x20; ip[1] = 0x01; ip[2] = 0x0d; ip[3] = (char)0xb8; ip[15] = (char)n;
}

static int ask(void *ctx, struct qm_dns_answer *a, enum qm_dns_type t, char const *name)
{
  struct fake *f = ctx;
  size_t i, k;
  f->asked++;
  memset(a, 0, sizeof *a);
  if (f->down) return 0;
  if (t == QM_DNS_MX && f->bigmx) {
    a->status = 'K';
    a->n = QM_DNS_ITEMS_MAX;
    for (k = 0; k < a->n; k++) {
      a->mx[k].pref = (unsigned)k;
      /* the last one fills the field with no NUL at all: it must be skipped */
      if (k == a->n - 1) memset(a->mx[k].host, 'h', sizeof a->mx[k].host);
      else snprintf(a->mx[k].host, sizeof a->mx[k].host, "mx%zu.example.net", k);
    }
    return 1;
  }
  if (t != QM_DNS_MX && f->bigaddr) {
    a->status = 'K';
    a->n = QM_DNS_ITEMS_MAX;
    for (k = 0; k < a->n; k++) {
      if (t == QM_DNS_A) ip4(a->ip[k], 192, 0, 2, (unsigned)k);
      else parseip(a->ip[k], "2001:db8::1");
    }
    return 1;
  }
  for (i = 0; i < f->n; i++) {
    if (f->tab[i].t != t || strcmp(f->tab[i].name, name)) continue;
    a->status = f->tab[i].status;
    for (k = 0; k < 4 && f->tab[i].items[k]; k++) {
      if (t == QM_DNS_MX) {
        char const *c = strchr(f->tab[i].items[k], ':');
        a->mx[k].pref = (unsigned)atoi(f->tab[i].items[k]);
        strcpy(a->mx[k].host, c + 1);
      } else parseip(a->ip[k], f->tab[i].items[k]);
    }
    a->n = (unsigned)k;
    return 1;
  }
  a->status = 'E';     /* names not in the table exist without records */
  return 1;
}

static unsigned long first(void *ctx, unsigned long n) { (void)ctx; (void)n; return 0; }
static int notself(void *ctx, unsigned char const *ip) { (void)ctx; (void)ip; return 0; }

static enum remote_plan_result plan(struct fake *f, remote_plan *p, char const *host)
{
  static remote_dnsctx d;
  remote_resolver r;
  memset(&d, 0, sizeof d);
  d.ask = ask;
  d.actx = f;
  remote_resolve_dns(&r, &d);
  return remote_plan_make(p, host, 0, &r, first, 0, notself, 0);
}

static char const *fmt(unsigned char const *ip)
{
  static char buf[64];
  static unsigned char const v4[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
  if (!memcmp(ip, v4, 12)) snprintf(buf, sizeof buf, "%u.%u.%u.%u", ip[12], ip[13], ip[14], ip[15]);
  else snprintf(buf, sizeof buf, "v6:%02x%02x..%02x", ip[0], ip[1], ip[15]);
  return buf;
}

struct plan_case {
  char const *host;
  enum remote_plan_result want;
  char const *addrs[6];   /* "pref/ip" in order */
};

static struct ans const zone[] = {
  { QM_DNS_MX, "two.test", 'K', { "20:mx2.two.test", "10:mx1.two.test" } },
  { QM_DNS_A, "mx1.two.test", 'K', { "192.0.2.1" } },
  { QM_DNS_AAAA, "mx1.two.test", 'K', { "2001:db8::1" } },
  { QM_DNS_A, "mx2.two.test", 'K', { "192.0.2.2" } },
  { QM_DNS_MX, "null.test", 'K', { "0:." } },
  { QM_DNS_MX, "nx.test", 'X', { 0 } },
  { QM_DNS_MX, "tmp.test", 'Z', { 0 } },
  { QM_DNS_MX, "refused.test", 'D', { 0 } },
  { QM_DNS_A, "bare.test", 'K', { "192.0.2.7", "192.0.2.8" } },
  { QM_DNS_A, "v6only.test", 'E', { 0 } },
  { QM_DNS_AAAA, "v6only.test", 'K', { "2001:db8::6" } },
  { QM_DNS_A, "half.test", 'Z', { 0 } },
  { QM_DNS_AAAA, "half.test", 'K', { "2001:db8::9" } },
  { QM_DNS_A, "halftmp.test", 'Z', { 0 } },
  { QM_DNS_MX, "gone.test", 'K', { "10:nxmx.gone.test" } },
  { QM_DNS_A, "nxmx.gone.test", 'X', { 0 } },
  { QM_DNS_AAAA, "nxmx.gone.test", 'X', { 0 } },
  { QM_DNS_MX, "tmpmx.test", 'K', { "10:t.tmpmx.test" } },
  { QM_DNS_A, "t.tmpmx.test", 'Z', { 0 } },
  { QM_DNS_AAAA, "t.tmpmx.test", 'Z', { 0 } },
  { QM_DNS_A, "nxa.test", 'X', { 0 } },
  { QM_DNS_AAAA, "nxa.test", 'X', { 0 } },
  { QM_DNS_MX, "emptyk.test", 'K', { 0 } },
  { QM_DNS_A, "emptyk.test", 'K', { "192.0.2.3" } },
};

static void plan_table(void **state)
{
  static struct plan_case const cases[] = {
    { "two.test", REMOTE_PLAN_OK, { "10/192.0.2.1", "10/v6:2001..01", "20/192.0.2.2" } },
    { "null.test", REMOTE_PLAN_NULLMX, { 0 } },
    { "nx.test", REMOTE_PLAN_NOHOST, { 0 } },
    { "tmp.test", REMOTE_PLAN_DNSTEMP, { 0 } },
    { "refused.test", REMOTE_PLAN_DNSTEMP, { 0 } },
    { "bare.test", REMOTE_PLAN_OK, { "0/192.0.2.7", "0/192.0.2.8" } },
    { "v6only.test", REMOTE_PLAN_OK, { "0/v6:2001..06" } },
    { "half.test", REMOTE_PLAN_OK, { "0/v6:2001..09" } },
    { "halftmp.test", REMOTE_PLAN_DNSTEMP, { 0 } },
    { "gone.test", REMOTE_PLAN_NOADDR, { 0 } },
    { "tmpmx.test", REMOTE_PLAN_DNSTEMP, { 0 } },
    { "nxa.test", REMOTE_PLAN_NOHOST, { 0 } },
    { "nothing.test", REMOTE_PLAN_NOADDR, { 0 } },
    { "emptyk.test", REMOTE_PLAN_OK, { "0/192.0.2.3" } },
  };
  size_t i, k;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct fake f = { zone, sizeof zone / sizeof zone[0], 0, 0, 0, 0 };
    static remote_plan p;
    enum remote_plan_result r = plan(&f, &p, cases[i].host);
    if (r != cases[i].want) fail_msg("%s: got result %d, want %d", cases[i].host, r, cases[i].want);
    if (r != REMOTE_PLAN_OK) continue;
    for (k = 0; k < 6 && cases[i].addrs[k]; k++) {
      char got[80];
      if (k >= p.n) fail_msg("%s: got %zu addresses, want more", cases[i].host, p.n);
      snprintf(got, sizeof got, "%u/%s", p.addr[k].pref, fmt(p.addr[k].ip));
      if (strcmp(got, cases[i].addrs[k])) fail_msg("%s #%zu: got %s, want %s", cases[i].host, k, got, cases[i].addrs[k]);
    }
    if (p.n != k) fail_msg("%s: got %zu addresses, want %zu", cases[i].host, p.n, k);
  }
}

/* No daemon: every question fails, and the plan is a temporary failure. */
static void daemon_down(void **state)
{
  struct fake f = { zone, sizeof zone / sizeof zone[0], 1, 0, 0, 0 };
  static remote_plan p;
  (void)state;
  assert_int_equal(plan(&f, &p, "two.test"), REMOTE_PLAN_DNSTEMP);
  assert_int_equal(f.asked, 1);
  f.asked = 0;
  assert_int_equal(plan(&f, &p, "[192.0.2.1]"), REMOTE_PLAN_OK);
  assert_int_equal(f.asked, 0);
}

/* Full answers: 32 MX (the last one's name unterminated) and 32 + 32 addresses,
 * cut to REMOTE_ADDR_MAX in all. */
static void limits(void **state)
{
  struct fake f = { 0, 0, 0, 0, 1, 1 };
  static remote_plan p;
  static remote_dnsctx d;
  remote_resolver r;
  remote_mx mx[REMOTE_MX_MAX];
  remote_addr a[4];
  size_t n = 99;
  (void)state;
  d.ask = ask;
  d.actx = &f;
  remote_resolve_dns(&r, &d);
  assert_int_equal(r.mx(r.ctx, "big.test", mx, REMOTE_MX_MAX, &n), REMOTE_DNS_OK);
  assert_int_equal(n, QM_DNS_ITEMS_MAX - 1);
  assert_string_equal(mx[3].name, "mx3.example.net");
  assert_int_equal(r.mx(r.ctx, "big.test", mx, 2, &n), REMOTE_DNS_OK);
  assert_int_equal(n, 2);
  assert_int_equal(r.addrs(r.ctx, "big.test", a, 4, &n), REMOTE_DNS_OK);
  assert_int_equal(n, 4);
  assert_int_equal(r.addrs(r.ctx, "big.test", a, 0, &n), REMOTE_DNS_NODATA);
  assert_int_equal(n, 0);
  assert_int_equal(plan(&f, &p, "big.test"), REMOTE_PLAN_OK);
  assert_int_equal(p.n, REMOTE_ADDR_MAX);
  assert_int_equal(p.addr[0].pref, 0);
  assert_int_equal(p.addr[REMOTE_ADDR_MAX - 1].pref, 0);   /* the first MX fills the table */
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(plan_table),
    cmocka_unit_test(daemon_down),
    cmocka_unit_test(limits),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
