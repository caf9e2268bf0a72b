/* The client side of the qmail-dns protocol: answer frames fed whole and byte by
 * byte, answers parsed strictly (statuses, TTLs, MX items, addresses, counts), and
 * request frames refused for names a daemon could be confused by. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "qm_dnsclient.h"

static struct qm_dns_answer a;

static int parse(enum qm_dns_type t, char const *s)
{
  return qm_dnsclient_parse(&a, t, s, strlen(s));
}

static void answers_ok(void **state)
{
  (void)state;
  assert_int_equal(parse(QM_DNS_MX, "K300 10:mx1.example.org 20:mx2.example.org"), 1);
  assert_int_equal(a.status, 'K');
  assert_int_equal(a.ttl, 300);
  assert_int_equal(a.n, 2);
  assert_int_equal(a.mx[1].pref, 20);
  assert_string_equal(a.mx[1].host, "mx2.example.org");
  assert_int_equal(parse(QM_DNS_MX, "K0 0:."), 1);
  assert_string_equal(a.mx[0].host, ".");
  assert_int_equal(parse(QM_DNS_A, "K4294967295 192.0.2.1 1.2.3.4"), 1);
  assert_int_equal(a.ttl, 4294967295UL);
  assert_memory_equal(a.ip[1], "\1\2\3\4", 4);
  assert_int_equal(parse(QM_DNS_AAAA, "K5 2001:db8::11"), 1);
  assert_memory_equal(a.ip[0], "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x11", 16);
  assert_int_equal(parse(QM_DNS_A, "X60"), 1);
  assert_int_equal(a.status, 'X');
  assert_int_equal(parse(QM_DNS_A, "E0"), 1);
  assert_int_equal(parse(QM_DNS_A, "Zno DNS server answered\n\001"), 1);
  assert_int_equal(a.status, 'Z');
  assert_string_equal(a.text, "no DNS server answered??");
  assert_int_equal(parse(QM_DNS_A, "Dinvalid domain name"), 1);
  assert_string_equal(a.text, "invalid domain name");
}

static void answers_refused(void **state)
{
  static char const *const bad[] = {
    "", "K", "K300", "K300 ", "K300  192.0.2.1", "K300 192.0.2.1 ", "K-1 192.0.2.1",
    "K4294967296 192.0.2.1", "K300 192.0.2.256", "K300 192.0.2", "K300 192.0.2.1x",
    "X", "X60 junk", "E6o", "Q1", "S hits=1", "K300 2001:db8::1",
    "K300 10.0.0.1\n", "K99999999999 1.2.3.4",
  };
  static char const *const badmx[] = {
    "K300 mx.example.org", "K300 10:", "K300 65536:mx.example.org", "K300 10:mx..org",
    "K300 10:.mx.org", "K300 10:mx.org.", "K300 10:MX.org", "K300 10:m x.org",
    "K300 10:mx\xc3\xa9.org", "K300 :mx.org", "K300 10;mx.org",
  };
  (void)state;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    if (parse(QM_DNS_A, bad[i]) != -1) fail_msg("A answer %zu \"%s\": got ok, want -1", i, bad[i]);
  for (size_t i = 0; i < sizeof badmx / sizeof badmx[0]; i++)
    if (parse(QM_DNS_MX, badmx[i]) != -1) fail_msg("MX answer %zu \"%s\": got ok, want -1", i, badmx[i]);
  /* a NUL inside the payload ends nothing: it is refused */
  assert_int_equal(qm_dnsclient_parse(&a, QM_DNS_A, "K1 1.2.3.4\0", 11), -1);
  /* more items than the daemon ever sends */
  char many[2048] = "K1";
  for (int i = 0; i < QM_DNS_ITEMS_MAX + 1; i++) strcat(many, " 192.0.2.1");
  assert_int_equal(parse(QM_DNS_A, many), -1);
  many[strlen(many) - 10] = 0;
  assert_int_equal(parse(QM_DNS_A, many), 1);
  assert_int_equal(a.n, QM_DNS_ITEMS_MAX);
}

static void frames(void **state)
{
  static struct { char const *in; size_t len; int want; } const cases[] = {
    { "5:K1 1.,", 8, 1 }, { "0:,", 3, 1 }, { "05:K1 1.,", 9, -1 }, { "5:K1 1.;", 8, -1 },
    { "16385:", 6, -1 }, { "16384", 5, 0 }, { "999999", 6, -1 }, { "a", 1, -1 }, { ":", 1, -1 },
  };
  (void)state;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    size_t off, plen, used;
    int r = qm_dnsclient_frame(cases[i].in, cases[i].len, QM_DNS_ANSWER_MAX, &off, &plen, &used);
    if (r != cases[i].want) fail_msg("frame %zu: got %d, want %d", i, r, cases[i].want);
    for (size_t n = 0; n < cases[i].len && cases[i].want > 0; n++) {
      r = qm_dnsclient_frame(cases[i].in, n, QM_DNS_ANSWER_MAX, &off, &plen, &used);
      if (r != 0) fail_msg("frame %zu prefix %zu: got %d, want 0", i, n, r);
    }
  }
}

static void requests(void **state)
{
  char out[400];
  char longname[QM_DNS_HOST_MAX + 3];
  size_t n;
  (void)state;
  n = qm_dnsclient_request(out, sizeof out, QM_DNS_MX, "example.org");
  assert_int_equal(n, 18);
  assert_memory_equal(out, "14:MX example.org,", 18);
  n = qm_dnsclient_request(out, sizeof out, QM_DNS_AAAA, "a.b");
  assert_memory_equal(out, "8:AAAA a.b,", n);
  assert_int_equal(qm_dnsclient_request(out, sizeof out, QM_DNS_A, ""), 0);
  assert_int_equal(qm_dnsclient_request(out, sizeof out, QM_DNS_A, "a b"), 0);
  assert_int_equal(qm_dnsclient_request(out, sizeof out, QM_DNS_A, "a\nb"), 0);
  assert_int_equal(qm_dnsclient_request(out, sizeof out, QM_DNS_A, "a\xc3\xa9"), 0);
  assert_int_equal(qm_dnsclient_request(out, sizeof out, (enum qm_dns_type)9, "a"), 0);
  assert_int_equal(qm_dnsclient_request(out, 10, QM_DNS_MX, "example.org"), 0);
  memset(longname, 'a', sizeof longname - 1);
  longname[sizeof longname - 1] = 0;
  assert_int_equal(qm_dnsclient_request(out, sizeof out, QM_DNS_A, longname), 0);
  longname[sizeof longname - 2] = 0;
  assert_true(qm_dnsclient_request(out, sizeof out, QM_DNS_A, longname) > 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(answers_ok),
    cmocka_unit_test(answers_refused),
    cmocka_unit_test(frames),
    cmocka_unit_test(requests),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
