/* qmail-lspawn's pure part: the reply for every exit code class (each private
 * QM_QLX_* code with its text), signals, output cut at its NUL and at the size
 * limit. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <skalibs/stralloc.h>

#include "qm_users.h"
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
    { 0, QM_QLX_ROOT, "", 0, "ZNot allowed to deliver to the root account. (#4.3.0)\n" },
    { 0, QM_QLX_EXECSOFT, "", 0, "ZUnable to run qmail-local. (#4.3.0)\n" },
    { 0, QM_QLX_EXECPW, "", 0, "ZUnable to run qmail-getpw. (#4.3.0)\n" },
    { 0, QM_QLX_EXECHARD, "", 0, "DUnable to run qmail-local. (#5.3.0)\n" },
    { 0, QM_QLX_NOALIAS, "", 0, "ZThe alias account does not exist. (#4.3.0)\n" },
    { 0, QM_QLX_USAGE, "", 0, "ZInternal qmail-lspawn bug. (#4.3.0)\n" },
    { 0, QM_QLX_NFS, "", 0, "ZTemporary failure looking up a home directory (NFS?). (#4.3.0)\n" },
    { 0, QM_QLX_CDB, "", 0, "ZUnable to read users/cdb. (#4.3.0)\n" },
    { 0, QM_QLX_SYS, "", 0, "ZTemporary failure in the user lookup. (#4.3.0)\n" },
    { 0, QM_QLX_NOMEM, "", 0, "ZOut of memory. (#4.3.0)\n" },
    { 0, 114, "", 0, "D" },
    { 0, 122, "x", 1, "Dx" },
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

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(report_table),
    cmocka_unit_test(report_cut),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
