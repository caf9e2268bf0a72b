/* The report writer: qmail-remote(8)'s texts byte for byte, sanitizing, the cap. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../qmail-remote/remote_report.h"

static void reply(remote_reply *r, char const *s)
{
  size_t used;
  remote_reply_init(r);
  if (remote_reply_feed(r, s, strlen(s), &used) != 1) fail_msg("bad reply fixture %s", s);
}

static void want(stralloc const *sa, char const *w, size_t wl)
{
  if (sa->len != wl || memcmp(sa->s, w, wl))
    fail_msg("got %zu bytes '%.*s' want %zu '%.*s'", sa->len, (int)sa->len, sa->s, wl, (int)wl, w);
}

#define W(x) x, sizeof x - 1

static void test_texts(void **state)
{
  static remote_reply r;
  stralloc sa = STRALLOC_ZERO;
  remote_report w = { &sa, 0 };
  (void)state;
  reply(&r, "550 no such user\r\n");
  assert_true(remote_report_rcpt(&w, 'r', "192.0.2.1", &r));
  assert_true(remote_report_rcpt(&w, 'h', "192.0.2.1", &r));
  want(&sa, W("r\0h192.0.2.1 does not like recipient.\nRemote host said: 550 no such user\n\0"));
  sa.len = 0;
  reply(&r, "250-ok\r\n250 queued\r\n");
  assert_true(remote_report_begin(&w, 'K') && remote_report_cat(&w, "192.0.2.1 accepted message.\n")
    && remote_report_said(&w, &r) && remote_report_end(&w));
  want(&sa, W("K192.0.2.1 accepted message.\nRemote host said: 250-ok\n250 queued\n\0"));
  stralloc_free(&sa);
}

static void test_sanitize_and_cap(void **state)
{
  static char big[REMOTE_REPORT_TEXT_MAX * 2];
  stralloc sa = STRALLOC_ZERO;
  remote_report w = { &sa, 0 };
  size_t i;
  (void)state;
  assert_true(remote_report_begin(&w, 'Z') && remote_report_catn(&w, "a\0b\r\x80\x1b\n", 7) && remote_report_end(&w));
  want(&sa, W("Za?b???\n\0"));
  sa.len = 0;
  memset(big, 'x', sizeof big);
  assert_true(remote_report_begin(&w, 'D') && remote_report_catn(&w, big, sizeof big) && remote_report_cat(&w, "more") && remote_report_end(&w));
  assert_int_equal(sa.len, REMOTE_REPORT_TEXT_MAX + 1);
  for (i = 0; i + 1 < sa.len; i++) if (!sa.s[i]) fail_msg("NUL inside the report at %zu", i);
  stralloc_free(&sa);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_texts),
    cmocka_unit_test(test_sanitize_and_cap),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
