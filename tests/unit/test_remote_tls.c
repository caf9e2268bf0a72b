/* tlsdestinations and the TLS decisions: exact domains, .suffix longest first, case,
 * first line wins, cafile and sha256 forms, malformed lines (defer), hostile bytes,
 * overlong paths; the STARTTLS decision and the fallback in a table; the request
 * line for qmail-tlsd and the report note. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../qmail-remote/remote_tls.h"

#define PIN "0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789abcdef"
#define PINC "01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef"
#define LIST "example.com\0.sub.example.com:cafile:/etc/ca.pem\0.example.com:sha256:" PIN "\0" \
  "Pinned.Test:sha256:" PINC "\0dup.test:cafile:/first\0dup.test\0" \
  "bad.test:cafile:relative\0bad2.test:sha256:0123\0bad3.test:md5:00\0bad4.test:\0" \
  "bad5.test:cafile:\0.\0.test\0"

enum { OPP = REMOTE_TLS_OPPORTUNISTIC, CA = REMOTE_TLS_CA, PINP = REMOTE_TLS_PIN };

static struct { char const *host; int rc; int policy; char const *cafile; } const t[] = {
  { "example.com", 1, CA, "" },
  { "EXAMPLE.com", 1, CA, "" },
  { "mx.example.com", 1, PINP, "" },
  { "a.sub.example.com", 1, CA, "/etc/ca.pem" },
  { "x.a.sub.example.com", 1, CA, "/etc/ca.pem" },
  { "sub.example.com", 1, PINP, "" },           /* ".sub.example.com" is for subdomains only */
  { "pinned.test", 1, PINP, "" },
  { "dup.test", 1, CA, "/first" },
  { "any.test", 1, CA, "" },
  { "test", 0, OPP, "" },
  { "example.org", 0, OPP, "" },
  { "xexample.com", 0, OPP, "" },
  { "bad.test", -1, OPP, "" },
  { "bad2.test", -1, OPP, "" },
  { "bad3.test", -1, OPP, "" },
  { "bad4.test", -1, OPP, "" },
  { "bad5.test", -1, OPP, "" },
  { "ok.bad.test", 1, CA, "" },                 /* ".test" matches; "bad.test" is not a suffix key */
  { "", 0, OPP, "" },
  { "[192.0.2.1]", 0, OPP, "" },
  { "example.com:sha256:" PIN, 0, OPP, "" },
  { "example.com.", 0, OPP, "" },
};

static void test_find(void **state)
{
  size_t i;
  (void)state;
  for (i = 0; i < sizeof t / sizeof t[0]; i++) {
    remote_tlsdest d;
    int rc = remote_tlsdest_find(&d, LIST, sizeof LIST - 1, t[i].host);
    if (rc != t[i].rc) fail_msg("%s: rc got %d want %d", t[i].host, rc, t[i].rc);
    if ((int)d.policy != t[i].policy) fail_msg("%s: policy got %d want %d", t[i].host, (int)d.policy, t[i].policy);
    if (strcmp(d.cafile, t[i].cafile)) fail_msg("%s: cafile got %s want %s", t[i].host, d.cafile, t[i].cafile);
  }
}

static void test_pin_value(void **state)
{
  static unsigned char const want[32] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
    0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
    0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef };
  remote_tlsdest d;
  (void)state;
  assert_int_equal(remote_tlsdest_find(&d, LIST, sizeof LIST - 1, "pinned.test"), 1);
  assert_memory_equal(d.pin, want, 32);
  assert_int_equal(remote_tlsdest_find(&d, LIST, sizeof LIST - 1, "mx.example.com"), 1);
  assert_memory_equal(d.pin, want, 32);
}

/* The part after the key, fed as it is: hostile and boundary values. */
static void test_parse_hostile(void **state)
{
  static struct { char const *s; size_t len; int rc; } const p[] = {
    { "", 0, 1 },
    { ":", 1, -1 },
    { ":cafile:/a\0b", 12, -1 },
    { ":cafile:/a\nb", 12, 1 },                      /* a byte of a path, not a line end */
    { ":sha256:" PIN "\r", 73, -1 },
    { ":sha256:" PIN "0", 73, -1 },
    { ":sha256:" PIN, 72, 1 },
    { ":sha256:" PIN, 71, -1 },                     /* one hex digit short */
    { ":SHA256:" PIN, 72, -1 },
    { ":sha256:\xff" PIN, 73, -1 },
    { ":cafile", 7, -1 },
    { "x", 1, -1 },
  };
  size_t i;
  (void)state;
  for (i = 0; i < sizeof p / sizeof p[0]; i++) {
    remote_tlsdest d;
    int rc = remote_tlsdest_parse(&d, p[i].s, p[i].len);
    if (rc != p[i].rc) fail_msg("case %zu: rc got %d want %d", i, rc, p[i].rc);
  }
}

static void test_overlong_path(void **state)
{
  static char line[8 + REMOTE_TLS_PATH_MAX + 2];
  remote_tlsdest d;
  (void)state;
  memcpy(line, ":cafile:", 8);
  memset(line + 8, 'a', sizeof line - 8);
  line[8] = '/';
  assert_int_equal(remote_tlsdest_parse(&d, line, 8 + REMOTE_TLS_PATH_MAX), 1);
  assert_int_equal(strlen(d.cafile), REMOTE_TLS_PATH_MAX);
  assert_int_equal(remote_tlsdest_parse(&d, line, 8 + REMOTE_TLS_PATH_MAX + 1), -1);
}

static void test_decide(void **state)
{
  static struct { int policy, helper, offered, named; enum remote_tls_act want; int fallback; } const d[] = {
    { OPP, 1, 1, 1, REMOTE_TLS_START, 1 },
    { OPP, 1, 1, 0, REMOTE_TLS_START, 1 },     /* unverified needs no name */
    { OPP, 1, 0, 1, REMOTE_TLS_PLAIN, 1 },
    { OPP, 0, 1, 1, REMOTE_TLS_PLAIN, 1 },
    { OPP, 0, 0, 0, REMOTE_TLS_PLAIN, 1 },
    { CA, 1, 1, 1, REMOTE_TLS_START, 0 },
    { CA, 1, 1, 0, REMOTE_TLS_REFUSE, 0 },
    { CA, 1, 0, 1, REMOTE_TLS_REFUSE, 0 },
    { CA, 0, 1, 1, REMOTE_TLS_REFUSE, 0 },
    { PINP, 1, 1, 0, REMOTE_TLS_START, 0 },    /* a pin checks the certificate, not a name */
    { PINP, 1, 0, 1, REMOTE_TLS_REFUSE, 0 },
    { PINP, 0, 1, 1, REMOTE_TLS_REFUSE, 0 },
  };
  size_t i;
  (void)state;
  for (i = 0; i < sizeof d / sizeof d[0]; i++) {
    enum remote_tls_act a = remote_tls_decide((enum remote_tls_policy)d[i].policy, d[i].helper, d[i].offered, d[i].named);
    if (a != d[i].want) fail_msg("case %zu: act got %d want %d", i, (int)a, (int)d[i].want);
    if (remote_tls_fallback((enum remote_tls_policy)d[i].policy) != d[i].fallback)
      fail_msg("case %zu: fallback got %d want %d", i, !d[i].fallback, d[i].fallback);
  }
}

static void test_request(void **state)
{
  char out[REMOTE_TLS_REQ_MAX];
  char name[REMOTE_TLS_NAME_MAX + 2];
  remote_tlsdest d;
  size_t n;
  (void)state;
  memset(&d, 0, sizeof d);
  n = remote_tls_request(out, "mx.example.com", &d);
  assert_int_equal(n, strlen("starttls mx.example.com none\n"));
  assert_memory_equal(out, "starttls mx.example.com none\n", n);
  n = remote_tls_request(out, "", &d);
  assert_memory_equal(out, "starttls - none\n", n);
  d.policy = REMOTE_TLS_CA;
  n = remote_tls_request(out, "mx.example.com", &d);
  assert_memory_equal(out, "starttls mx.example.com ca\n", n);
  assert_int_equal(remote_tlsdest_parse(&d, ":sha256:" PINC, 8 + sizeof PINC - 1), 1);
  n = remote_tls_request(out, "m", &d);
  assert_int_equal(n, strlen("starttls m sha256:" PIN "\n"));
  assert_memory_equal(out, "starttls m sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n", n);
  assert_int_equal(remote_tls_request(out, "a b", &d), 0);
  assert_int_equal(remote_tls_request(out, "a\nb", &d), 0);
  assert_int_equal(remote_tls_request(out, "a\r", &d), 0);
  memset(name, 'a', sizeof name - 1);
  name[sizeof name - 1] = 0;
  assert_int_equal(remote_tls_request(out, name, &d), 0);
  name[sizeof name - 2] = 0;
  n = remote_tls_request(out, name, &d);
  assert_true(n > 0 && n <= REMOTE_TLS_REQ_MAX && out[n - 1] == '\n');
}

static void test_note(void **state)
{
  char out[REMOTE_TLS_NOTE_MAX], big[400];
  (void)state;
  remote_tls_note(out, "TLSv1.3", "TLS_AES_256_GCM_SHA384", "ca");
  assert_string_equal(out, "TLSv1.3 TLS_AES_256_GCM_SHA384, verified (ca)");
  remote_tls_note(out, "TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256", "none");
  assert_string_equal(out, "TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256, unverified");
  remote_tls_note(out, "TLSv1.3", "X", "pin");
  assert_string_equal(out, "TLSv1.3 X, verified (pin)");
  memset(big, 'c', sizeof big - 1);
  big[sizeof big - 1] = 0;
  remote_tls_note(out, "TLSv1.3", big, "ca");
  assert_int_equal(strlen(out), REMOTE_TLS_NOTE_MAX - 1);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_find),
    cmocka_unit_test(test_pin_value),
    cmocka_unit_test(test_parse_hostile),
    cmocka_unit_test(test_overlong_path),
    cmocka_unit_test(test_decide),
    cmocka_unit_test(test_request),
    cmocka_unit_test(test_note),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
