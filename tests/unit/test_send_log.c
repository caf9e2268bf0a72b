/* qmail-send's log lines: exact bytes of each line in qmail's words, qmail's
 * sanitizing of hostile text (newline, CR, NUL, space, %, 8-bit, DEL), the cut of
 * overlong fields, and the report letters. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <skalibs/stralloc.h>

#include "../../qmail-send/send_log.h"

static void expect(stralloc *sa, char const *want)
{
  size_t n = strlen(want);
  if (sa->len != n || memcmp(sa->s, want, n))
    fail_msg("got '%.*s', want '%s'", (int)sa->len, sa->s, want);
  sa->len = 0;
}

struct safe_case { char const *in; size_t len; char const *want; };

static void safe_table(void **state)
{
  static struct safe_case const cases[] = {
    { "plain@example.org", 17, "plain@example.org" },
    { "a b\tc", 5, "a_b_c" },
    { "line1\nline2\n", 12, "line1/line2/" },
    { "cr\r", 3, "cr_" },
    { "n\0ul", 4, "n_ul" },
    { "100%", 4, "100_" },
    { "\x7f\x80\xff~", 4, "___~" },
    { "", 0, "" },
  };
  stralloc sa = STRALLOC_ZERO;
  size_t i;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    assert_int_equal(send_log_safe(&sa, cases[i].in, cases[i].len), 1);
    expect(&sa, cases[i].want);
  }
  stralloc_free(&sa);
}

static void safe_cuts_overlong(void **state)
{
  size_t n = SEND_LOG_FIELD_MAX * 3;
  char *big = malloc(n);
  stralloc sa = STRALLOC_ZERO;
  size_t i;
  (void)state;
  assert_non_null(big);
  memset(big, '\n', n);
  assert_int_equal(send_log_safe(&sa, big, n), 1);
  assert_int_equal(sa.len, SEND_LOG_FIELD_MAX);
  for (i = 0; i < sa.len; i++) assert_int_equal(sa.s[i], '/');
  free(big);
  stralloc_free(&sa);
}

static void lines(void **state)
{
  stralloc sa = STRALLOC_ZERO;
  (void)state;
  assert_int_equal(send_log_new(&sa, 1048623), 1);
  expect(&sa, "new msg 1048623\n");
  assert_int_equal(send_log_end(&sa, 18446744073709551615ULL), 1);
  expect(&sa, "end msg 18446744073709551615\n");
  assert_int_equal(send_log_info(&sa, 1048623, 1234, "joe@ex.org", 10, "4711", "0"), 1);
  expect(&sa, "info msg 1048623: bytes 1234 from <joe@ex.org> qp 4711 uid 0\n");
  assert_int_equal(send_log_info(&sa, 5, 0, "", 0, "", ""), 1);
  expect(&sa, "info msg 5: bytes 0 from <> qp  uid \n");
  assert_int_equal(send_log_info(&sa, 5, 1, "evil\nnew msg 1", 14, "1", "2"), 1);
  expect(&sa, "info msg 5: bytes 1 from <evil/new_msg_1> qp 1 uid 2\n");
  assert_int_equal(send_log_starting(&sa, 17, 1048623, 1, "bob@example.net", 15), 1);
  expect(&sa, "starting delivery 17: msg 1048623 to remote bob@example.net\n");
  assert_int_equal(send_log_starting(&sa, 1, 2, 0, "a b@c", 5), 1);
  expect(&sa, "starting delivery 1: msg 2 to local a_b@c\n");
  assert_int_equal(send_log_status(&sa, 1, 10, 0, 20, 0), 1);
  expect(&sa, "status: local 1/10 remote 0/20\n");
  assert_int_equal(send_log_status(&sa, 0, 10, 3, 0, 1), 1);
  expect(&sa, "status: local 0/10 remote 3/0 exitasap\n");
  assert_int_equal(send_log_bounce(&sa, 99, 4712), 1);
  expect(&sa, "bounce msg 99 qp 4712\n");
  assert_int_equal(send_log_line3(&sa, "warning: unable to stat ", "mess/3/49", 9, "; will try again later"), 1);
  expect(&sa, "warning: unable to stat mess/3/49; will try again later\n");
  stralloc_free(&sa);
}

struct dlv_case { char const *report; size_t len; char const *want; };

static void delivery_table(void **state)
{
  static struct dlv_case const cases[] = {
    { "Kdid 0+0+1\n", 11, "delivery 17: success: did_0+0+1/\n" },
    { "K1.2.3.4 accepted message.\nRemote host said: 250 ok\n", 52,
      "delivery 17: success: 1.2.3.4_accepted_message./Remote_host_said:_250_ok/\n" },
    { "ZSorry, I wasn't able to establish an SMTP connection. (#4.4.1)\n", 64,
      "delivery 17: deferral: Sorry,_I_wasn't_able_to_establish_an_SMTP_connection._(#4.4.1)/\n" },
    { "DSorry, no mailbox here by that name. (#5.1.1)\n", 47,
      "delivery 17: failure: Sorry,_no_mailbox_here_by_that_name._(#5.1.1)/\n" },
    { "K", 1, "delivery 17: success: \n" },
    { "X oops", 6, "delivery 17: report mangled, will defer\n" },
    { "", 0, "delivery 17: report mangled, will defer\n" },
  };
  stralloc sa = STRALLOC_ZERO;
  size_t i;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    assert_int_equal(send_log_delivery(&sa, 17, cases[i].report, cases[i].len), 1);
    expect(&sa, cases[i].want);
  }
  stralloc_free(&sa);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(safe_table),
    cmocka_unit_test(safe_cuts_overlong),
    cmocka_unit_test(lines),
    cmocka_unit_test(delivery_table),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
