/* Name conversions: dotted text to wire and back, with the limits (63-byte labels,
 * 255-byte names) at their edges and the bytes that must never pass. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../qmail-dns/qdns_name.h"

static void fromtext_table(void **state)
{
  static struct { char const *in; size_t len; size_t want; char const *back; } const cases[] = {
    { "example.org", 11, 13, "example.org" },
    { "Example.ORG.", 12, 13, "example.org" },
    { "a", 1, 3, "a" },
    { "_25._tcp.mx.example.org", 23, 25, "_25._tcp.mx.example.org" },
    { "", 0, 0, 0 },
    { ".", 1, 0, 0 },
    { "..", 2, 0, 0 },
    { "a..b", 4, 0, 0 },
    { ".a", 2, 0, 0 },
    { "a b", 3, 0, 0 },
    { "a\nb", 3, 0, 0 },
    { "a\rb", 3, 0, 0 },
    { "a\0b", 3, 0, 0 },
    { "caf\xc3\xa9.org", 9, 0, 0 },
    { "a:b", 3, 0, 0 },
    { "a/b", 3, 0, 0 },
  };
  (void)state;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    unsigned char w[QDNS_NAME_WIRE_MAX];
    char t[QDNS_NAME_TEXT_MAX + 1];
    size_t got = qdns_name_fromtext(w, cases[i].in, cases[i].len);
    if (got != cases[i].want) fail_msg("case %zu: got %zu, want %zu", i, got, cases[i].want);
    if (!got) continue;
    assert_int_equal(qdns_name_wirelen(w, sizeof w), got);
    assert_true(qdns_name_totext(t, w) > 0);
    assert_string_equal(t, cases[i].back);
  }
}

static void label_and_name_limits(void **state)
{
  char s[400];
  unsigned char w[QDNS_NAME_WIRE_MAX];
  char t[QDNS_NAME_TEXT_MAX + 1];
  (void)state;
  memset(s, 'x', 64);
  assert_int_equal(qdns_name_fromtext(w, s, 63), 65);
  assert_int_equal(qdns_name_fromtext(w, s, 64), 0);
  /* 63.63.63.61 = 253 text bytes, 255 wire bytes: the largest */
  memset(s, 'y', sizeof s);
  s[63] = s[127] = s[191] = '.';
  assert_int_equal(qdns_name_fromtext(w, s, 253), 255);
  assert_int_equal(qdns_name_totext(t, w), 253);
  assert_int_equal(qdns_name_fromtext(w, s, 254), 0);   /* 62-byte last label: 256 */
  s[253] = '.';
  assert_int_equal(qdns_name_fromtext(w, s, 254), 255); /* a final dot is free */
  assert_int_equal(qdns_name_fromtext(w, s, 400), 0);
  assert_int_equal(qdns_name_fromtext(w, s, (size_t)-1), 0);
}

static void totext_refuses(void **state)
{
  char t[QDNS_NAME_TEXT_MAX + 1];
  (void)state;
  assert_int_equal(qdns_name_totext(t, (unsigned char const *)"\3a b\0"), 0);
  assert_int_equal(qdns_name_totext(t, (unsigned char const *)"\3a\0b\0"), 0);
  assert_int_equal(qdns_name_totext(t, (unsigned char const *)"\3a\377b\0"), 0);
  assert_int_equal(qdns_name_totext(t, (unsigned char const *)"\100aaaa"), 0);  /* 64 */
  assert_int_equal(qdns_name_totext(t, (unsigned char const *)"\0"), 1);
  assert_string_equal(t, ".");
  assert_int_equal(qdns_name_totext(t, (unsigned char const *)"\2MX\3Org\0"), 6);
  assert_string_equal(t, "mx.org");
}

static void wirelen_and_equal(void **state)
{
  unsigned char w[300];
  (void)state;
  assert_int_equal(qdns_name_wirelen((unsigned char const *)"\1a\0", 3), 3);
  assert_int_equal(qdns_name_wirelen((unsigned char const *)"\1a\0", 2), 0);
  memset(w, 1, sizeof w);   /* labels of one byte '\1' forever: never ends */
  assert_int_equal(qdns_name_wirelen(w, sizeof w), 0);
  assert_true(qdns_name_equal((unsigned char const *)"\2Ab\0", (unsigned char const *)"\2aB\0"));
  assert_false(qdns_name_equal((unsigned char const *)"\2ab\0", (unsigned char const *)"\2ac\0"));
  assert_false(qdns_name_equal((unsigned char const *)"\2ab\0", (unsigned char const *)"\2ab\1a\0"));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(fromtext_table),
    cmocka_unit_test(label_and_name_limits),
    cmocka_unit_test(totext_refuses),
    cmocka_unit_test(wirelen_and_equal),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
