/* qmail-rspawn's reply for a finished qmail-remote: every exit class, each pair
 * of recipient and message reports, missing and mangled reports, output cut at
 * any byte (no prefix of a report may come out as K), hostile bytes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <skalibs/stralloc.h>

#include "../../qmail-remote/remote_rspawn.h"

#define S(lit) lit, sizeof lit - 1
struct rep_case { int sig, code; char const *out; size_t len; char const *want; };

static void report_table(void **state)
{
  static struct rep_case const cases[] = {
    { 1, 9, S("r\0Kok\0"), "Zqmail-remote crashed.\n" },
    { 0, 111, S("r\0Kok\0"), "ZUnable to run qmail-remote.\n" },
    { 0, 100, S(""), "DUnable to run qmail-remote.\n" },
    { 0, 1, S(""), "DUnable to run qmail-remote.\n" },
    { 0, 0, S(""), "Zqmail-remote produced no output.\n" },
    { 0, 0, S("r\0K1.2.3.4 accepted message.\n\0"), "K1.2.3.4 accepted message.\n" },
    { 0, 0, S("hno\n\0DGiving up on 1.2.3.4.\n\0"), "Dno\nGiving up on 1.2.3.4.\n" },
    { 0, 0, S("slater\n\0DGiving up.\n\0"), "Zlater\nGiving up.\n" },
    { 0, 0, S("slater\n\0Zdied\n\0"), "Zlater\ndied\n" },
    { 0, 0, S("hno\n\0Kweird\n\0"), "Dno\n" },
    { 0, 0, S("hno\n\0Zdied\n\0"), "Dno\n" },
    { 0, 0, S("r\0Zdied after data\n\0"), "Zdied after data\n" },
    { 0, 0, S("r\0Drefused data\n\0"), "Drefused data\n" },
    { 0, 0, S("ZSorry, I wasn't able to establish an SMTP connection. (#4.4.1)\n\0"),
      "ZSorry, I wasn't able to establish an SMTP connection. (#4.4.1)\n" },
    { 0, 0, S("DSorry, no host.\n\0"), "DSorry, no host.\n" },
    { 0, 0, S("Kno recipient report\n\0"), "Kno recipient report\n" },
    /* mangled: unknown letters, empty reports, no message report, two recipients */
    { 0, 0, S("xK\0Kok\0"), "Zqmail-remote produced a mangled report.\n" },
    { 0, 0, S("\0Kok\0"), "Zqmail-remote produced a mangled report.\n" },
    { 0, 0, S("r\0"), "Zqmail-remote produced a mangled report.\n" },
    { 0, 0, S("r\0r\0Kok\0"), "Zqmail-remote produced a mangled report.\n" },
    { 0, 0, S("r\0K"), "Zqmail-remote produced a mangled report.\n" },
    { 0, 0, S("r\0\0"), "Zqmail-remote produced a mangled report.\n" },
    /* text after the message report is ignored */
    { 0, 0, S("r\0Kok\0Dlater\0"), "Kok" },
    /* bytes are passed on as they are, up to the NUL */
    { 0, 0, S("h\r\x80\x1b\0D\n\0"), "D\r\x80\x1b\n" },
  };
  stralloc sa = STRALLOC_ZERO;
  size_t i;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    size_t n = strlen(cases[i].want);
    assert_int_equal(remote_rspawn_report(&sa, cases[i].sig, cases[i].code, cases[i].out, cases[i].len), 1);
    if (sa.len != n || memcmp(sa.s, cases[i].want, n))
      fail_msg("case %zu: got '%.*s', want '%s'", i, (int)sa.len, sa.s, cases[i].want);
  }
  stralloc_free(&sa);
}

/* Output cut at every byte: only the whole output may be accepted. */
static void report_prefixes(void **state)
{
  static char const full[] = "r\0K127.0.0.2 accepted message.\nRemote host said: 250 ok\n";
  size_t len = sizeof full, i;    /* the final NUL included */
  stralloc sa = STRALLOC_ZERO;
  (void)state;
  for (i = 0; i <= len; i++) {
    assert_int_equal(remote_rspawn_report(&sa, 0, 0, full, i), 1);
    if (i < len && sa.s[0] != 'Z') fail_msg("prefix %zu: got letter %c, want Z", i, sa.s[0]);
    if (i == len && sa.s[0] != 'K') fail_msg("whole: got letter %c, want K", sa.s[0]);
    if (memchr(sa.s, 0, sa.len)) fail_msg("prefix %zu: a NUL in the reply", i);
  }
  stralloc_free(&sa);
}

/* A huge report is read only up to the limit; past it the report counts as cut. */
static void report_limit(void **state)
{
  size_t n = REMOTE_RSPAWN_OUT_MAX + 100;
  char *big = malloc(n);
  stralloc sa = STRALLOC_ZERO;
  (void)state;
  assert_non_null(big);
  memset(big, 'k', n);
  big[0] = 'r'; big[1] = 0; big[2] = 'K';
  big[REMOTE_RSPAWN_OUT_MAX - 1] = 0;      /* ends just inside the limit */
  assert_int_equal(remote_rspawn_report(&sa, 0, 0, big, n), 1);
  assert_int_equal(sa.s[0], 'K');
  assert_int_equal(sa.len, REMOTE_RSPAWN_OUT_MAX - 3 + 1 - 1);
  big[REMOTE_RSPAWN_OUT_MAX - 1] = 'k';
  big[REMOTE_RSPAWN_OUT_MAX] = 0;          /* just outside: cut, deferred */
  assert_int_equal(remote_rspawn_report(&sa, 0, 0, big, n), 1);
  assert_int_equal(sa.s[0], 'Z');
  assert_int_equal(remote_rspawn_report(&sa, 0, 0, big, SIZE_MAX), 1);
  assert_int_equal(sa.s[0], 'Z');
  free(big);
  stralloc_free(&sa);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(report_table),
    cmocka_unit_test(report_prefixes),
    cmocka_unit_test(report_limit),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
