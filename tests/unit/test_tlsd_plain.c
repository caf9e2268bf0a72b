/* tlsd_plain: where the STARTTLS line ends, fed whole and byte by byte; lines that
 * only look like it, hostile bytes and long lines never hold. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "../../qmail-tls/tlsd_plain.h"

struct tcase { char const *in; size_t len; long want; };  /* want: bytes up to hold, -1 none */
#define T(s, w) { s, sizeof s - 1, w }

static struct tcase const cases[] = {
  T("STARTTLS\r\nRSET\r\n", 10),
  T("starttls\nRSET\r\n", 9),
  T("StartTLS  \t\r\n", 13),
  T("EHLO x\r\nSTARTTLS\r\nQUIT\r\n", 18),
  T("STARTTLS", -1),                    /* no line end yet */
  T("STARTTLSX\r\n", -1),
  T("XSTARTTLS\r\n", -1),
  T(" STARTTLS\r\n", -1),
  T("STARTTL\r\n", -1),
  T("STARTTLS x\r\n", -1),
  T("STARTT\0LS\r\n", -1),
  T("STARTTLS\r\r\n", 11),
  T("\r\n\nSTARTTLS\n", 12),
  T("STARTTLS\xff\r\n", -1),
  T("", -1),
};

static long whole(char const *s, size_t len)
{
  tlsd_plain p;
  int hold;
  size_t n;
  tlsd_plain_init(&p);
  n = tlsd_plain_scan(&p, s, len, &hold);
  if (!hold) { assert_int_equal(n, len); return -1; }
  return (long)n;
}

static long trickle(char const *s, size_t len)
{
  tlsd_plain p;
  size_t i;
  tlsd_plain_init(&p);
  for (i = 0; i < len; i++) {
    int hold;
    size_t n = tlsd_plain_scan(&p, s + i, 1, &hold);
    assert_int_equal(n, 1);
    if (hold) return (long)(i + 1);
  }
  return -1;
}

static void table(void **state)
{
  size_t i;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    long w = whole(cases[i].in, cases[i].len), t = trickle(cases[i].in, cases[i].len);
    if (w != cases[i].want || t != cases[i].want)
      fail_msg("case %zu: got %ld whole, %ld trickled, want %ld", i, w, t, cases[i].want);
  }
}

/* After a hold the scanner starts a fresh line: a second STARTTLS is found again. */
static void resumes(void **state)
{
  static char const s[] = "STARTTLS\r\nNOOP\r\nSTARTTLS\r\nX";
  tlsd_plain p;
  int hold;
  size_t n;
  (void)state;
  tlsd_plain_init(&p);
  n = tlsd_plain_scan(&p, s, sizeof s - 1, &hold);
  assert_int_equal(hold, 1); assert_int_equal(n, 10);
  n = tlsd_plain_scan(&p, s + 10, sizeof s - 11, &hold);
  assert_int_equal(hold, 1); assert_int_equal(n, 16);
  n = tlsd_plain_scan(&p, s + 26, 1, &hold);
  assert_int_equal(hold, 0); assert_int_equal(n, 1);
}

/* A very long line never matches, however it ends, and the column count saturates. */
static void long_lines(void **state)
{
  static char buf[70000];
  tlsd_plain p;
  int hold;
  (void)state;
  memset(buf, 'A', sizeof buf);
  memcpy(buf, "STARTTLS", 8);
  buf[sizeof buf - 1] = '\n';
  tlsd_plain_init(&p);
  assert_int_equal(tlsd_plain_scan(&p, buf, sizeof buf, &hold), sizeof buf);
  assert_int_equal(hold, 0);
  memset(buf + 8, ' ', sizeof buf - 9);
  tlsd_plain_init(&p);
  assert_int_equal(tlsd_plain_scan(&p, buf, sizeof buf, &hold), sizeof buf);
  assert_int_equal(hold, 1);   /* trailing blanks of any length are still the command */
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(table),
    cmocka_unit_test(resumes),
    cmocka_unit_test(long_lines),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
