/* qmail-qread's lines and record walker: qmail's exact layout, unsafe bytes made
 * safe, truncated and empty records. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../qmail-qread/qread_fmt.h"

static void expect(stralloc *sa, char const *want)
{
  if (sa->len != strlen(want) || memcmp(sa->s, want, sa->len))
    fail_msg("got \"%.*s\" want \"%s\"", (int)sa->len, sa->s, want);
  sa->len = 0;
}

static void msg_lines(void **state)
{
  stralloc sa = STRALLOC_ZERO;
  (void)state;
  assert_true(qread_fmt_msg(&sa, 1704272707, 1048623, 412, "joe@example.org", 15, QREAD_PREPROCESSED));
  expect(&sa, "3 Jan 2024 09:05:07 GMT  #1048623  412  <joe@example.org> \n");
  assert_true(qread_fmt_msg(&sa, 1735689599, 7, 0, "", 0, QREAD_BOUNCING));
  expect(&sa, "31 Dec 2024 23:59:59 GMT  #7  0  <>  bouncing\n");
  assert_true(qread_fmt_msg(&sa, 0, 18446744073709551615UL, 18446744073709551615ULL, "a\nb\0c\x7f\xff%", 8, QREAD_TODO));
  expect(&sa, "1 Jan 1970 00:00:00 GMT  #18446744073709551615  18446744073709551615  <a_b_c__%>  not yet preprocessed\n");
  stralloc_free(&sa);
}

static void rcpt_lines(void **state)
{
  stralloc sa = STRALLOC_ZERO;
  (void)state;
  assert_true(qread_fmt_rcpt(&sa, 0, "remote", "bob@example.net", 15));
  expect(&sa, "\tremote\tbob@example.net\n");
  assert_true(qread_fmt_rcpt(&sa, 1, "local", "alice@example.org", 17));
  expect(&sa, "  done\tlocal\talice@example.org\n");
  assert_true(qread_fmt_rcpt(&sa, 0, "todo", "\t\r\n ", 4));
  expect(&sa, "\ttodo\t___ \n");
  assert_true(qread_fmt_rcpt(&sa, 0, "local", "", 0));
  expect(&sa, "\tlocal\t\n");
  stralloc_free(&sa);
}

struct want_rec { int rc; char letter; char const *addr; };

static void walk(char const *s, size_t len, struct want_rec const *w, size_t nw)
{
  size_t pos = 0, i, alen;
  char letter;
  char const *addr;
  for (i = 0; i < nw; i++) {
    int rc = qread_record(s, len, &pos, &letter, &addr, &alen);
    if (rc != w[i].rc) fail_msg("record %zu: rc got %d want %d", i, rc, w[i].rc);
    if (rc != 1) continue;
    if (letter != w[i].letter) fail_msg("record %zu: letter got %d want %d", i, letter, w[i].letter);
    if (alen != strlen(w[i].addr) || memcmp(addr, w[i].addr, alen))
      fail_msg("record %zu: addr got \"%.*s\" want \"%s\"", i, (int)alen, addr, w[i].addr);
  }
}

static void records(void **state)
{
  static struct want_rec const env[] = {
    { 1, 'u', "1000" }, { 1, 'p', "42" }, { 1, 'F', "a@b" }, { 1, 'T', "c@d" }, { 1, 'D', "" }, { 0, 0, 0 }, { 0, 0, 0 },
  };
  static struct want_rec const trunc[] = { { 1, 'T', "x" }, { -1, 0, 0 }, { -1, 0, 0 } };
  static struct want_rec const empty[] = { { 1, 0, "" }, { 1, 'T', "y" }, { 0, 0, 0 } };
  (void)state;
  walk("u1000\0p42\0Fa@b\0Tc@d\0D\0", 22, env, sizeof env / sizeof env[0]);
  walk("Tx\0Tpartial", 11, trunc, sizeof trunc / sizeof trunc[0]);
  walk("\0Ty\0", 4, empty, sizeof empty / sizeof empty[0]);
  walk("", 0, env + 5, 1);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(msg_lines),
    cmocka_unit_test(rcpt_lines),
    cmocka_unit_test(records),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
