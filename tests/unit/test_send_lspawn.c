/* qmail-lspawn's pure parts: the reply for every exit code class, signals, output
 * cut at its NUL and at the size limit; the user answer parser on good and
 * damaged answers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <skalibs/stralloc.h>

#include "../../qmail-send/send_lspawn.h"

struct rep_case { int sig, code; char const *out; size_t len; char const *want; };

static void report_table(void **state)
{
  static struct rep_case const cases[] = {
    { 0, 0, "did 1+0+0\n", 10, "Kdid 1+0+0\n" },
    { 0, 111, "Unable to open mailbox.\n", 24, "ZUnable to open mailbox.\n" },
    { 0, 71, "x", 1, "Zx" },
    { 0, 74, "", 0, "Z" },
    { 0, 75, "", 0, "Z" },
    { 0, 100, "Sorry, no mailbox here by that name. (#5.1.1)\n", 46,
      "DSorry, no mailbox here by that name. (#5.1.1)\n" },
    { 0, 1, "odd", 3, "Dodd" },
    { 0, 255, "", 0, "D" },
    { 1, 9, "partial", 7, "Zqmail-local crashed.\n" },
    { 0, LSPAWN_EXIT_ROOT, "", 0, "ZNot allowed to deliver to the root account. (#4.3.0)\n" },
    { 0, LSPAWN_EXIT_EXECLOCAL, "", 0, "ZUnable to run qmail-local. (#4.3.0)\n" },
    { 0, LSPAWN_EXIT_EXECGETPW, "", 0, "ZUnable to run qmail-getpw. (#4.3.0)\n" },
    { 0, LSPAWN_EXIT_PERMLOCAL, "", 0, "DUnable to run qmail-local. (#5.3.0)\n" },
    { 0, LSPAWN_EXIT_NOALIAS, "", 0, "ZThe alias account does not exist. (#4.3.0)\n" },
    { 0, 0, "did\0hidden", 10, "Kdid" },
    { 0, 0, "\r\n\x80", 3, "K\r\n\x80" },
  };
  stralloc sa = STRALLOC_ZERO;
  size_t i;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    size_t n = strlen(cases[i].want);
    assert_int_equal(send_lspawn_report(&sa, cases[i].sig, cases[i].code, cases[i].out, cases[i].len), 1);
    if (sa.len != n || memcmp(sa.s, cases[i].want, n))
      fail_msg("case %zu: got '%.*s', want '%s'", i, (int)sa.len, sa.s, cases[i].want);
  }
  stralloc_free(&sa);
}

static void report_cut(void **state)
{
  size_t n = SEND_LSPAWN_OUT_MAX + 1;
  char *big = malloc(n);
  stralloc sa = STRALLOC_ZERO;
  static char const tail[] = "\nError report too long, sorry.\n";
  (void)state;
  assert_non_null(big);
  memset(big, 'e', n);
  assert_int_equal(send_lspawn_report(&sa, 0, 100, big, n), 1);
  assert_int_equal(sa.len, 1 + SEND_LSPAWN_OUT_MAX + sizeof tail - 1);
  assert_int_equal(sa.s[0], 'D');
  assert_memory_equal(sa.s + 1 + SEND_LSPAWN_OUT_MAX, tail, sizeof tail - 1);
  /* exactly at the limit: not cut */
  assert_int_equal(send_lspawn_report(&sa, 0, 0, big, SEND_LSPAWN_OUT_MAX), 1);
  assert_int_equal(sa.len, 1 + SEND_LSPAWN_OUT_MAX);
  free(big);
  stralloc_free(&sa);
}

#define S(lit) lit, sizeof lit - 1
struct pw_case { char const *in; size_t len; int want; char const *user, *home, *dash, *ext; unsigned long uid, gid; };

static void pw_table(void **state)
{
  static struct pw_case const cases[] = {
    { S("joe\0" "1000\0" "100\0" "/home/joe\0" "\0" "\0"), 1, "joe", "/home/joe", "", "", 1000, 100 },
    { S("joe\0" "1000\0" "100\0" "/home/joe\0" "-\0" "Foo-bar"), 1, "joe", "/home/joe", "-", "Foo-bar", 1000, 100 },
    { S("alias\0" "7790\0" "2108\0" "/var/qmail/alias\0" "-\0" "x\x80\r\0"), 1, "alias", "/var/qmail/alias", "-", "x\x80\r", 7790, 2108 },
    { S("a\0" "0\0" "0\0" "/\0" "\0" "\0"), 1, "a", "/", "", "", 0, 0 },
    { S("a\0" "4294967294\0" "1\0" "/h\0" "\0" "\0"), 1, "a", "/h", "", "", 4294967294UL, 1 },
    { S("a\0" "4294967295\0" "1\0" "/h\0" "\0" "\0"), -1, 0, 0, 0, 0, 0, 0 },
    { S("a\0" "99999999999999999999\0" "1\0" "/h\0" "\0" "\0"), -1, 0, 0, 0, 0, 0, 0 },
    { S("\0" "1\0" "1\0" "/h\0" "\0" "\0"), -1, 0, 0, 0, 0, 0, 0 },
    { S("a\0" "1\0" "1\0" "h\0" "\0" "\0"), -1, 0, 0, 0, 0, 0, 0 },
    { S("a\0" "-1\0" "1\0" "/h\0" "\0" "\0"), -1, 0, 0, 0, 0, 0, 0 },
    { S("a\0" "\0" "1\0" "/h\0" "\0" "\0"), -1, 0, 0, 0, 0, 0, 0 },
    { S("a\0" "1 \0" "1\0" "/h\0" "\0" "\0"), -1, 0, 0, 0, 0, 0, 0 },
    { S("a\0" "1\0" "1\0" "/h\0" "\0"), -1, 0, 0, 0, 0, 0, 0 },
    { S("a\0" "1\0" "1\0" "/h\0" "\0" "\0" "more"), -1, 0, 0, 0, 0, 0, 0 },
    { S("a\0" "1\0" "1\0" "/h\0" "\0" "\0" "\0"), -1, 0, 0, 0, 0, 0, 0 },
    { S(""), -1, 0, 0, 0, 0, 0, 0 },
  };
  size_t i;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    send_pw pw;
    /* a private copy with the NUL the parser wants after the bytes */
    char *buf = malloc(cases[i].len + 1);
    int r;
    assert_non_null(buf);
    memcpy(buf, cases[i].in, cases[i].len);
    buf[cases[i].len] = 0;
    r = send_lspawn_pwparse(&pw, buf, cases[i].len);
    if (r != cases[i].want) fail_msg("case %zu: got %d, want %d", i, r, cases[i].want);
    if (r == 1) {
      assert_string_equal(pw.user, cases[i].user);
      assert_string_equal(pw.home, cases[i].home);
      assert_string_equal(pw.dash, cases[i].dash);
      assert_string_equal(pw.ext, cases[i].ext);
      assert_int_equal(pw.uid, cases[i].uid);
      assert_int_equal(pw.gid, cases[i].gid);
    }
    free(buf);
  }
}

static void pw_limits(void **state)
{
  size_t n = SEND_LSPAWN_PW_MAX + 1;
  char *buf = calloc(n + 1, 1);
  send_pw pw;
  (void)state;
  assert_non_null(buf);
  memcpy(buf, "a\0" "1\0" "1\0" "/h\0" "\0", 10);
  memset(buf + 10, 'x', n - 10);
  assert_int_equal(send_lspawn_pwparse(&pw, buf, n), -1);
  buf[n - 1] = 0;
  assert_int_equal(send_lspawn_pwparse(&pw, buf, n - 1), 1);
  assert_int_equal(strlen(pw.ext), n - 11);
  /* the caller forgot the NUL after the bytes */
  assert_int_equal(send_lspawn_pwparse(&pw, buf, n - 2), -1);
  free(buf);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(report_table),
    cmocka_unit_test(report_cut),
    cmocka_unit_test(pw_table),
    cmocka_unit_test(pw_limits),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
