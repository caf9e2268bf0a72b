/* qm_tlsctl: control requests (good and hostile), line framing, pins, and the report
 * line round trip with sanitized certificate subjects. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "qm_tlsctl.h"

#define PIN "0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789abcdef"

struct rcase { char const *in; size_t len; int want; int kind; int verify; char const *name; };
#define R(s, w, k, v, n) { s, sizeof s - 1, w, k, v, n }

static struct rcase const reqs[] = {
  R("starttls", 1, QM_TLSREQ_STARTTLS, 0, ""),
  R("plain", 1, QM_TLSREQ_PLAIN, 0, ""),
  R("starttls\r", 1, QM_TLSREQ_STARTTLS, 0, ""),
  R("starttls mx.example.net ca", 1, QM_TLSREQ_STARTTLS, QM_TLSVERIFY_CA, "mx.example.net"),
  R("starttls mx.example.net none", 1, QM_TLSREQ_STARTTLS, QM_TLSVERIFY_NONE, "mx.example.net"),
  R("starttls - none", 1, QM_TLSREQ_STARTTLS, QM_TLSVERIFY_NONE, ""),
  R("starttls - sha256:" PIN, 1, QM_TLSREQ_STARTTLS, QM_TLSVERIFY_PIN, ""),
  R("starttls - ca", -1, 0, 0, ""),                 /* a CA check needs a name */
  R("STARTTLS", -1, 0, 0, ""),
  R("starttls ", -1, 0, 0, ""),
  R("starttls  mx ca", -1, 0, 0, ""),
  R("starttls mx ca extra", -1, 0, 0, ""),
  R("starttls mx maybe", -1, 0, 0, ""),
  R("starttls m_x ca", -1, 0, 0, ""),
  R("starttls m\0x ca", -1, 0, 0, ""),
  R("starttls mx sha256:0123", -1, 0, 0, ""),
  R("starttls mx sha256:" PIN "00", -1, 0, 0, ""),
  R("starttls mx sha256:zz23456789abcdef0123456789ABCDEF0123456789abcdef0123456789abcdef", -1, 0, 0, ""),
  R("plain\n", -1, 0, 0, ""),
  R("", -1, 0, 0, ""),
  R("\xffstarttls", -1, 0, 0, ""),
};

static void requests(void **state)
{
  size_t i;
  (void)state;
  for (i = 0; i < sizeof reqs / sizeof reqs[0]; i++) {
    qm_tlsreq q;
    int r = qm_tlsctl_parse(&q, reqs[i].in, reqs[i].len);
    if (r != reqs[i].want) fail_msg("case %zu: got %d, want %d", i, r, reqs[i].want);
    if (r < 0) continue;
    if ((int)q.kind != reqs[i].kind || (int)q.verify != reqs[i].verify || strcmp(q.name, reqs[i].name))
      fail_msg("case %zu: got kind %d verify %d name '%s', want %d %d '%s'", i, q.kind, q.verify,
               q.name, reqs[i].kind, reqs[i].verify, reqs[i].name);
  }
}

static void long_name(void **state)
{
  char line[600];
  qm_tlsreq q;
  (void)state;
  memcpy(line, "starttls ", 9);
  memset(line + 9, 'a', 253);
  memcpy(line + 262, " ca", 3);
  assert_int_equal(qm_tlsctl_parse(&q, line, 265), 1);
  assert_int_equal(strlen(q.name), 253);
  memset(line + 9, 'a', 254);
  memcpy(line + 263, " ca", 3);
  assert_int_equal(qm_tlsctl_parse(&q, line, 266), -1);
}

static void pins(void **state)
{
  unsigned char pin[QM_TLSCTL_PIN_LEN];
  char colons[200];
  size_t i, n = 0;
  (void)state;
  assert_int_equal(qm_tlsctl_parse_pin(pin, PIN, 64), 1);
  assert_int_equal(pin[0], 0x01); assert_int_equal(pin[31], 0xef);
  for (i = 0; i < 32; i++) { if (i) colons[n++] = ':'; memcpy(colons + n, PIN + 2 * i, 2); n += 2; }
  assert_int_equal(qm_tlsctl_parse_pin(pin, colons, n), 1);
  assert_int_equal(pin[15], 0xef);
  assert_int_equal(qm_tlsctl_parse_pin(pin, colons, n - 1), 0);
  assert_int_equal(qm_tlsctl_parse_pin(pin, PIN, 63), 0);
  assert_int_equal(qm_tlsctl_parse_pin(pin, "", 0), 0);
  assert_int_equal(qm_tlsctl_parse_pin(pin, ":" PIN, 65), 0);
}

static void lines(void **state)
{
  char big[QM_TLSCTL_MAX + 10];
  (void)state;
  assert_int_equal(qm_tlsctl_line("plain\nx", 7), 6);
  assert_int_equal(qm_tlsctl_line("plai", 4), 0);
  assert_int_equal(qm_tlsctl_line("", 0), 0);
  memset(big, 'a', sizeof big);
  assert_int_equal(qm_tlsctl_line(big, QM_TLSCTL_MAX - 1), 0);
  assert_int_equal(qm_tlsctl_line(big, QM_TLSCTL_MAX), -1);
  big[QM_TLSCTL_MAX - 1] = '\n';
  assert_int_equal(qm_tlsctl_line(big, sizeof big), QM_TLSCTL_MAX);
}

static void report_roundtrip(void **state)
{
  char line[QM_TLSCTL_MAX], peer[400];
  qm_tlsreport r;
  size_t n;
  (void)state;
  n = qm_tlsctl_report(line, "TLSv1.3", "TLS_AES_256_GCM_SHA384", "ca", "CN=mx.example.net,O=Test Org");
  {
    static char const want[] = "ok TLSv1.3 TLS_AES_256_GCM_SHA384 ca CN=mx.example.net,O=Test Org\n";
    if (n != sizeof want - 1 || memcmp(line, want, n))
      fail_msg("got '%.*s', want '%s'", (int)n, line, want);
  }
  assert_int_equal(qm_tlsctl_parse_report(&r, line, n - 1), 1);
  assert_string_equal(r.proto, "TLSv1.3");
  assert_string_equal(r.cipher, "TLS_AES_256_GCM_SHA384");
  assert_string_equal(r.verified, "ca");
  assert_string_equal(r.peer, "CN=mx.example.net,O=Test Org");

  /* a hostile subject: newlines, NUL-free control bytes, 8-bit, far too long */
  memset(peer, 'x', sizeof peer - 1); peer[sizeof peer - 1] = 0;
  memcpy(peer, "CN=a\nok forged\r\x01\xc3\xa9", 18);
  n = qm_tlsctl_report(line, "TLS v1", 0, "", peer);
  assert_true(n < QM_TLSCTL_MAX);
  assert_int_equal(memchr(line, '\n', n) - (void *)line, (long)n - 1);
  assert_int_equal(qm_tlsctl_parse_report(&r, line, n - 1), 1);
  assert_string_equal(r.proto, "TLS_v1");
  assert_string_equal(r.cipher, "-");
  assert_string_equal(r.verified, "-");
  assert_int_equal(strlen(r.peer), QM_TLSCTL_PEER_MAX);
  assert_int_equal(memcmp(r.peer, "CN=a?ok forged????", 18), 0);

  n = qm_tlsctl_fail(line, "hostname mismatch");
  assert_int_equal(qm_tlsctl_parse_report(&r, line, n - 1), 0);
  assert_string_equal(r.peer, "hostname mismatch");
  assert_int_equal(qm_tlsctl_parse_report(&r, "ok a b", 6), -1);
  assert_int_equal(qm_tlsctl_parse_report(&r, "ok a b c\n", 9), -1);
  assert_int_equal(qm_tlsctl_parse_report(&r, "fail ", 5), -1);
  assert_int_equal(qm_tlsctl_parse_report(&r, "okay a b c d", 12), -1);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(requests),
    cmocka_unit_test(long_name),
    cmocka_unit_test(pins),
    cmocka_unit_test(lines),
    cmocka_unit_test(report_roundtrip),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
