/* qmail-lspawn and qmail-getpw -s frame their questions and answers as netstrings:
 * what one side writes (skalibs' netstring_appendb) the other reads back exactly, and nothing malformed, too long
 * or cut short is ever taken for a message. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <skalibs/netstring.h>
#include <skalibs/stralloc.h>

#include "qm_getpw.h"

static ssize_t get(char const *s, size_t max, size_t *off, size_t *plen)
{
  return qm_getpw_get(s, strlen(s), max, off, plen);
}

static void round_trip(void **state)
{
  stralloc sa = STRALLOC_ZERO;
  size_t off = 99, plen = 99;
  char bin[3] = { 'a', 0, 'b' };
  (void)state;
  assert_true(netstring_appendb(&sa, "joe-ext", 7));
  assert_true(netstring_appendb(&sa, "", 0));
  assert_true(netstring_appendb(&sa, bin, 3));
  assert_int_equal(sa.len, 10 + 3 + 6);
  assert_memory_equal(sa.s, "7:joe-ext,0:,3:a\0b,", sa.len);
  assert_int_equal(qm_getpw_get(sa.s, sa.len, 100, &off, &plen), 10);
  assert_int_equal(off, 2);
  assert_int_equal(plen, 7);
  assert_int_equal(qm_getpw_get(sa.s + 10, sa.len - 10, 100, &off, &plen), 3);
  assert_int_equal(plen, 0);
  assert_int_equal(qm_getpw_get(sa.s + 13, sa.len - 13, 100, &off, &plen), 6);
  assert_memory_equal(sa.s + 13 + off, bin, 3);
  stralloc_free(&sa);
}

static void incomplete_needs_more(void **state)
{
  size_t off, plen, i;
  char const *whole = "12:hello world!,";
  char part[32];
  (void)state;
  /* every proper prefix asks for more, never a verdict */
  for (i = 0; i < strlen(whole); i++) {
    memcpy(part, whole, i);
    assert_int_equal(qm_getpw_get(part, i, 100, &off, &plen), 0);
  }
  assert_int_equal(get(whole, 100, &off, &plen), 16);
}

static void malformed_refused(void **state)
{
  size_t off, plen;
  (void)state;
  assert_int_equal(get(":abc,", 100, &off, &plen), -1);      /* no length */
  assert_int_equal(get("03:abc,", 100, &off, &plen), -1);    /* leading zero */
  assert_int_equal(get("00:,", 100, &off, &plen), -1);
  assert_int_equal(get("-3:abc,", 100, &off, &plen), -1);
  assert_int_equal(get("3 :abc,", 100, &off, &plen), -1);
  assert_int_equal(get("3:abc;", 100, &off, &plen), -1);     /* wrong terminator */
  assert_int_equal(get("2:abc,", 100, &off, &plen), -1);     /* length shorter than the bytes */
  assert_int_equal(get("\n3:abc,", 100, &off, &plen), -1);
}

static void limits_checked_on_the_digits(void **state)
{
  size_t off, plen;
  (void)state;
  assert_int_equal(get("5:abcde,", 5, &off, &plen), 8);
  assert_int_equal(get("6:abcdef,", 5, &off, &plen), -1);
  /* refused from the digits alone, before any payload arrives */
  assert_int_equal(get("6", 5, &off, &plen), -1);
  assert_int_equal(get("18446744073709551616:", (size_t)-1, &off, &plen), -1);
  assert_int_equal(get("99999999999999999999999", (size_t)-1, &off, &plen), -1);
  assert_int_equal(get("18446744073709551615:", (size_t)-1, &off, &plen), 0);
  assert_int_equal(get("4097:", QM_GETPW_REQUEST_MAX, &off, &plen), -1);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(round_trip),
    cmocka_unit_test(incomplete_needs_more),
    cmocka_unit_test(malformed_refused),
    cmocka_unit_test(limits_checked_on_the_digits),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
