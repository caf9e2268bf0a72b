/* smtproutes lookup: exact host, .suffix longest first, the default line, first
 * line wins, case, ports, bracketed IPv6 relays and malformed lines. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../qmail-remote/remote_route.h"

#define LIST "example.com:relay.a\0.example.com:relay.b:2525\0.com:relay.c\0" \
  "Example.Net:\0v6.test:[2001:db8::1]:26\0bad.test:r:x\0bad2.test:[1.2.3.4\0" \
  "bad3.test:r:0\0bad4.test:r:65536\0dup.test:first\0dup.test:second\0"
#define DEFLIST "x.org:rx\0:default.relay\0"

static struct { char const *list; size_t len; char const *host; int rc; char const *relay; unsigned int port; int literal; } const t[] = {
  { LIST, sizeof LIST - 1, "example.com", 1, "relay.a", 25, 0 },
  { LIST, sizeof LIST - 1, "EXAMPLE.COM", 1, "relay.a", 25, 0 },
  { LIST, sizeof LIST - 1, "mx.example.com", 1, "relay.b", 2525, 0 },
  { LIST, sizeof LIST - 1, "a.b.example.com", 1, "relay.b", 2525, 0 },
  { LIST, sizeof LIST - 1, "other.com", 1, "relay.c", 25, 0 },
  { LIST, sizeof LIST - 1, "example.net", 1, "", 25, 0 },
  { LIST, sizeof LIST - 1, "v6.test", 1, "2001:db8::1", 26, 1 },
  { LIST, sizeof LIST - 1, "dup.test", 1, "first", 25, 0 },
  { LIST, sizeof LIST - 1, "example.org", 0, 0, 0, 0 },
  { LIST, sizeof LIST - 1, "xexample.com", 1, "relay.c", 25, 0 },
  { LIST, sizeof LIST - 1, "bad.test", -1, 0, 0, 0 },
  { LIST, sizeof LIST - 1, "bad2.test", -1, 0, 0, 0 },
  { LIST, sizeof LIST - 1, "bad3.test", -1, 0, 0, 0 },
  { LIST, sizeof LIST - 1, "bad4.test", -1, 0, 0, 0 },
  { DEFLIST, sizeof DEFLIST - 1, "y.org", 1, "default.relay", 25, 0 },
  { DEFLIST, sizeof DEFLIST - 1, "x.org", 1, "rx", 25, 0 },
  { DEFLIST, sizeof DEFLIST - 1, "", 1, "default.relay", 25, 0 },
  { DEFLIST, sizeof DEFLIST - 1, "x.org:evil", 1, "default.relay", 25, 0 },
  { "", 0, "x.org", 0, 0, 0, 0 },
};

static void test_table(void **state)
{
  size_t i;
  (void)state;
  for (i = 0; i < sizeof t / sizeof t[0]; i++) {
    remote_route rt;
    int rc = remote_route_find(&rt, t[i].list, t[i].len, t[i].host);
    if (rc != t[i].rc) fail_msg("%s: rc got %d want %d", t[i].host, rc, t[i].rc);
    if (rc != 1) continue;
    if (strcmp(rt.relay, t[i].relay)) fail_msg("%s: relay got %s want %s", t[i].host, rt.relay, t[i].relay);
    if (rt.port != t[i].port) fail_msg("%s: port got %u want %u", t[i].host, rt.port, t[i].port);
    if (rt.literal != t[i].literal) fail_msg("%s: literal got %d want %d", t[i].host, rt.literal, t[i].literal);
  }
}

static void test_overlong(void **state)
{
  static char buf[REMOTE_ROUTE_HOST_MAX + 10];
  remote_route rt;
  (void)state;
  memset(buf, 'a', sizeof buf);
  assert_int_equal(remote_route_parse(&rt, buf, REMOTE_ROUTE_HOST_MAX), 1);
  assert_int_equal(strlen(rt.relay), REMOTE_ROUTE_HOST_MAX);
  assert_int_equal(remote_route_parse(&rt, buf, REMOTE_ROUTE_HOST_MAX + 1), -1);
  assert_int_equal(remote_route_parse(&rt, "[]", 2), -1);
  assert_int_equal(remote_route_parse(&rt, "r:", 2), -1);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_table),
    cmocka_unit_test(test_overlong),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
