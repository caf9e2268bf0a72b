/* MX ordering with an injected random source, null MX, the self cut, literals and
 * the whole plan against a table resolver. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../qmail-remote/remote_mx.h"

/* scripted random source: returns the next value mod n */
struct rnd { unsigned long v[16]; size_t i; };
static unsigned long rnd(void *ctx, unsigned long n)
{
  struct rnd *r = ctx;
  return r->v[r->i++ % 16] % n;
}

static void mx(remote_mx *m, unsigned int pref, char const *name)
{
  m->pref = pref;
  strcpy(m->name, name);
}

static void test_order(void **state)
{
  remote_mx m[5];
  struct rnd r0 = { { 0 }, 0 }, r1 = { { 1, 1, 0 }, 0 };
  (void)state;
  mx(m, 20, "c"); mx(m + 1, 10, "a"); mx(m + 2, 10, "b"); mx(m + 3, 5, "z"); mx(m + 4, 20, "d");
  remote_mx_order(m, 5, rnd, &r0);
  /* sorted by pref; random 0 each time rotates equals in a known way */
  assert_int_equal(m[0].pref, 5);
  assert_int_equal(m[1].pref, 10);
  assert_int_equal(m[2].pref, 10);
  assert_int_equal(m[3].pref, 20);
  assert_int_equal(m[4].pref, 20);
  assert_string_equal(m[0].name, "z");
  /* Fisher-Yates with r=0 for k=2 swaps the pair: [a,b] -> [b,a] */
  assert_string_equal(m[1].name, "b");
  assert_string_equal(m[2].name, "a");
  mx(m, 10, "a"); mx(m + 1, 10, "b"); mx(m + 2, 10, "c");
  remote_mx_order(m, 3, rnd, &r1);
  /* k=3: r=1 swaps [2] and [1] -> a c b; k=2: r=1 keeps -> a c b */
  assert_string_equal(m[0].name, "a");
  assert_string_equal(m[1].name, "c");
  assert_string_equal(m[2].name, "b");
}

static void test_order_spreads(void **state)
{
  /* every one of three equal MXs comes first for some random value */
  unsigned int seen = 0, v;
  (void)state;
  for (v = 0; v < 6; v++) {
    remote_mx m[3];
    struct rnd r = { { v / 2, v % 2 }, 0 };
    mx(m, 0, "a"); mx(m + 1, 0, "b"); mx(m + 2, 0, "c");
    remote_mx_order(m, 3, rnd, &r);
    seen |= 1u << (m[0].name[0] - 'a');
  }
  assert_int_equal(seen, 7);
}

static void test_null(void **state)
{
  remote_mx m[3];
  int null;
  (void)state;
  mx(m, 0, ".");
  assert_int_equal(remote_mx_dropnull(m, 1, &null), 0);
  assert_int_equal(null, 1);
  mx(m, 0, ""); mx(m + 1, 10, "b");
  assert_int_equal(remote_mx_dropnull(m, 2, &null), 1);
  assert_int_equal(null, 0);
  assert_string_equal(m[0].name, "b");
  assert_int_equal(remote_mx_dropnull(m, 0, &null), 0);
  assert_int_equal(null, 0);
}

static int isself(void *ctx, unsigned char const *ip)
{
  (void)ctx;
  return ip[15] == 99;
}

static void addr(remote_addr *a, unsigned int pref, unsigned char last)
{
  memset(a->ip, 0, 16);
  a->ip[15] = last;
  a->pref = pref;
}

static void test_cutself(void **state)
{
  remote_addr a[4];
  (void)state;
  addr(a, 10, 1); addr(a + 1, 20, 2); addr(a + 2, 20, 99); addr(a + 3, 30, 3);
  assert_int_equal(remote_addr_cutself(a, 4, isself, 0), 1);
  addr(a, 10, 99);
  assert_int_equal(remote_addr_cutself(a, 4, isself, 0), 0);
  addr(a, 10, 1); addr(a + 1, 20, 2); addr(a + 2, 20, 3); addr(a + 3, 30, 4);
  assert_int_equal(remote_addr_cutself(a, 4, isself, 0), 4);
}

static void test_literal(void **state)
{
  static struct { char const *s; int ok; unsigned char last; } const t[] = {
    { "192.0.2.7", 1, 7 }, { "[192.0.2.8]", 1, 8 }, { "[IPv6:2001:db8::9]", 1, 9 },
    { "2001:db8::a", 1, 10 }, { "[192.0.2.8", 0, 0 }, { "example.org", 0, 0 },
    { "192.0.2.300", 0, 0 }, { "", 0, 0 }, { "[]", 0, 0 }, { "1.2.3.4x", 0, 0 },
  };
  size_t i;
  (void)state;
  for (i = 0; i < sizeof t / sizeof t[0]; i++) {
    unsigned char ip[16];
    int got = remote_addr_literal(ip, t[i].s);
    if (got != t[i].ok) fail_msg("%s: got %d want %d", t[i].s, got, t[i].ok);
    if (got && ip[15] != t[i].last) fail_msg("%s: last byte got %u want %u", t[i].s, ip[15], t[i].last);
  }
}

/* A table resolver: MX answers and addresses by name. */
static int fmx(void *ctx, char const *d, remote_mx *out, size_t max, size_t *n)
{
  (void)ctx; (void)max;
  *n = 0;
  if (!strcmp(d, "mx.test")) { mx(out, 20, "b.mx.test"); mx(out + 1, 10, "a.mx.test"); *n = 2; return REMOTE_DNS_OK; }
  if (!strcmp(d, "null.test")) { mx(out, 0, "."); *n = 1; return REMOTE_DNS_OK; }
  if (!strcmp(d, "self.test")) { mx(out, 10, "me.test"); mx(out + 1, 20, "b.mx.test"); *n = 2; return REMOTE_DNS_OK; }
  if (!strcmp(d, "temp.test")) return REMOTE_DNS_TEMP;
  if (!strcmp(d, "nx.test")) return REMOTE_DNS_NXDOMAIN;
  return REMOTE_DNS_NODATA;
}

static int faddrs(void *ctx, char const *name, remote_addr *out, size_t max, size_t *n)
{
  (void)ctx; (void)max;
  *n = 0;
  if (!strcmp(name, "a.mx.test")) { addr(out, 0, 1); *n = 1; }
  else if (!strcmp(name, "b.mx.test")) { addr(out, 0, 2); addr(out + 1, 0, 3); *n = 2; }
  else if (!strcmp(name, "me.test")) { addr(out, 0, 99); *n = 1; }
  else if (!strcmp(name, "plain.test")) { addr(out, 0, 5); *n = 1; }
  else if (!strcmp(name, "relay.test")) { addr(out, 0, 6); *n = 1; }
  else return REMOTE_DNS_NXDOMAIN;
  return REMOTE_DNS_OK;
}

static void test_plan(void **state)
{
  static struct { char const *host; char const *relay; unsigned int port; enum remote_plan_result res; char const *lasts; } const t[] = {
    { "mx.test", 0, 25, REMOTE_PLAN_OK, "\1\2\3" },
    { "plain.test", 0, 25, REMOTE_PLAN_OK, "\5" },
    { "null.test", 0, 25, REMOTE_PLAN_NULLMX, "" },
    { "self.test", 0, 25, REMOTE_PLAN_SELF, "" },
    { "temp.test", 0, 25, REMOTE_PLAN_DNSTEMP, "" },
    { "nx.test", 0, 25, REMOTE_PLAN_NOHOST, "" },
    { "none.test", 0, 25, REMOTE_PLAN_NOHOST, "" },
    { "[192.0.2.4]", 0, 25, REMOTE_PLAN_OK, "\4" },
    { "[bogus]", 0, 25, REMOTE_PLAN_NOHOST, "" },
    { "null.test", "relay.test", 2525, REMOTE_PLAN_OK, "\6" },
    { "x.test", "192.0.2.7", 26, REMOTE_PLAN_OK, "\7" },
    { "x.test", "nowhere.test", 25, REMOTE_PLAN_NOHOST, "" },
  };
  remote_resolver res = { 0, fmx, faddrs };
  static remote_plan p;
  size_t i, k;
  (void)state;
  for (i = 0; i < sizeof t / sizeof t[0]; i++) {
    struct rnd r = { { 0 }, 0 };
    remote_route rt;
    enum remote_plan_result got;
    if (t[i].relay) { strcpy(rt.relay, t[i].relay); rt.port = t[i].port; rt.literal = 0; }
    got = remote_plan_make(&p, t[i].host, t[i].relay ? &rt : 0, &res, rnd, &r, isself, 0);
    if (got != t[i].res) fail_msg("%s: got %d want %d", t[i].host, got, t[i].res);
    if (got != REMOTE_PLAN_OK) continue;
    if (p.n != strlen(t[i].lasts)) fail_msg("%s: %zu addresses want %zu", t[i].host, p.n, strlen(t[i].lasts));
    for (k = 0; k < p.n; k++)
      if (p.addr[k].ip[15] != (unsigned char)t[i].lasts[k]) fail_msg("%s: address %zu got %u", t[i].host, k, p.addr[k].ip[15]);
    if (p.port != t[i].port) fail_msg("%s: port got %u want %u", t[i].host, p.port, t[i].port);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_order),
    cmocka_unit_test(test_order_spreads),
    cmocka_unit_test(test_null),
    cmocka_unit_test(test_cutself),
    cmocka_unit_test(test_literal),
    cmocka_unit_test(test_plan),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
