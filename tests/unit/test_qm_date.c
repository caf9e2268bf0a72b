/* qm_date: fixed points worked out independently (leap days, the epoch, year 0,
 * both ends of a 64-bit time_t), and a sweep over four centuries checked against
 * the C library's gmtime_r, which shares no code with the unit. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "qm_date.h"

struct date_case { long long t; char const *rfc; char const *stamp; };

static void fixed_points(void **state)
{
  static struct date_case const cases[] = {
    { 0, "1 Jan 1970 00:00:00 -0000", "19700101000000" },
    { 1704272707, "3 Jan 2024 09:05:07 -0000", "20240103090507" },
    { -1, "31 Dec 1969 23:59:59 -0000", "19691231235959" },
    { 951782400, "29 Feb 2000 00:00:00 -0000", "20000229000000" },
    { 951868799, "29 Feb 2000 23:59:59 -0000", "20000229235959" },
    { 4107542400LL, "1 Mar 2100 00:00:00 -0000", "21000301000000" },
    { 4107456000LL, "28 Feb 2100 00:00:00 -0000", "21000228000000" },
    { 2147483647, "19 Jan 2038 03:14:07 -0000", "20380119031407" },
    { 2147483648LL, "19 Jan 2038 03:14:08 -0000", "20380119031408" },
    { -62135596800LL, "1 Jan 1 00:00:00 -0000", "00010101000000" },
    { -62135596801LL, "31 Dec 0 23:59:59 -0000", "00001231235959" },
    { 253402300799LL, "31 Dec 9999 23:59:59 -0000", "99991231235959" },
    { 253402300800LL, "1 Jan 10000 00:00:00 -0000", "100000101000000" },
    { 1709164800LL, "29 Feb 2024 00:00:00 -0000", "20240229000000" },
    { 1735689599LL, "31 Dec 2024 23:59:59 -0000", "20241231235959" },
  };
  size_t i;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char buf[QM_DATE_822_MAX], st[QM_DATE_STAMP_MAX];
    size_t n = qm_date_fmt822(buf, (time_t)cases[i].t);
    size_t m = qm_date_fmtstamp(st, (time_t)cases[i].t);
    if (strcmp(buf, cases[i].rfc) || n != strlen(cases[i].rfc))
      fail_msg("t=%lld: got \"%s\" (%zu), want \"%s\"", cases[i].t, buf, n, cases[i].rfc);
    if (strcmp(st, cases[i].stamp) || m != strlen(cases[i].stamp))
      fail_msg("t=%lld: stamp got \"%s\", want \"%s\"", cases[i].t, st, cases[i].stamp);
  }
}

static void extremes(void **state)
{
  char buf[QM_DATE_822_MAX], st[QM_DATE_STAMP_MAX];
  (void)state;
  if (sizeof(time_t) < 8) skip();
  qm_date_fmt822(buf, (time_t)INT64_MAX);
  assert_string_equal(buf, "4 Dec 292277026596 15:30:07 -0000");
  qm_date_fmt822(buf, (time_t)INT64_MIN);
  assert_string_equal(buf, "27 Jan -292277022657 08:29:52 -0000");
  qm_date_fmtstamp(st, (time_t)INT64_MIN);
  assert_string_equal(st, "-2922770226570127082952");
  assert_true(strlen(buf) < QM_DATE_822_MAX);
  assert_true(strlen(st) < QM_DATE_STAMP_MAX);
}

static void sweep_against_gmtime(void **state)
{
  static char const mon[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
  /* 1800 to 2200 in uneven steps, so every month, day and time of day is hit. */
  long long t;
  unsigned long n = 0;
  (void)state;
  for (t = -5364662400LL; t < 7258118400LL; t += 86400LL * 13 + 3607 * 7 + 11, n++) {
    struct tm tm;
    char want[64], got[QM_DATE_822_MAX];
    time_t tt = (time_t)t;
    qm_date d;
    assert_non_null(gmtime_r(&tt, &tm));
    snprintf(want, sizeof want, "%d %s %d %02d:%02d:%02d -0000", tm.tm_mday,
             mon[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    qm_date_fmt822(got, tt);
    if (strcmp(got, want)) fail_msg("t=%lld: got \"%s\", want \"%s\"", t, got, want);
    qm_date_split(&d, tt);
    if (d.year != tm.tm_year + 1900LL || d.month != (unsigned)tm.tm_mon + 1)
      fail_msg("t=%lld: split got %lld-%u, want %d-%d", t, d.year, d.month,
               tm.tm_year + 1900, tm.tm_mon + 1);
  }
  assert_true(n > 10000);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(fixed_points),
    cmocka_unit_test(extremes),
    cmocka_unit_test(sweep_against_gmtime),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
