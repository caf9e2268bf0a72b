/* RFC 3464 notices: bounce/N blocks written and read back (empty lines, NUL,
 * newline in the address, cut final block), status and Remote-MTA extraction, and
 * the whole head for a failure, a double bounce and a delay notice. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <skalibs/stralloc.h>

#include "../../qmail-send/send_dsn.h"

static void blocks_roundtrip(void **state)
{
  stralloc sa = STRALLOC_ZERO;
  send_dsn_rcpt r;
  size_t used, off = 0;
  (void)state;
  assert_int_equal(send_dsn_block(&sa, "a@b", 3, "Sorry, no mailbox here by that name. (#5.1.1)\n", 46), 1);
  assert_int_equal(send_dsn_block(&sa, "x\ny@z", 5, "line1\n\nline3", 12), 1);
  assert_int_equal(send_dsn_block(&sa, "e@f", 3, "", 0), 1);
  assert_int_equal(send_dsn_block(&sa, "n@u", 3, "a\0b\n", 4), 1);
  assert_int_equal(sa.len, strlen("a@b:\nSorry, no mailbox here by that name. (#5.1.1)\n\n"
                                  "x_y@z:\nline1\n/\nline3\n\ne@f:\n\nn@u:\na?b\n\n"));
  assert_memory_equal(sa.s, "a@b:\nSorry, no mailbox here by that name. (#5.1.1)\n\n"
                            "x_y@z:\nline1\n/\nline3\n\ne@f:\n\nn@u:\na?b\n\n", sa.len);
  assert_int_equal(send_dsn_next(&r, sa.s + off, sa.len - off, &used), 1);
  assert_int_equal(r.rlen, 3);
  assert_memory_equal(r.rcpt, "a@b", 3);
  off += used;
  assert_int_equal(send_dsn_next(&r, sa.s + off, sa.len - off, &used), 1);
  assert_memory_equal(r.rcpt, "x_y@z", 5);
  assert_int_equal(r.tlen, 14);
  assert_memory_equal(r.text, "line1\n/\nline3\n", 14);
  off += used;
  assert_int_equal(send_dsn_next(&r, sa.s + off, sa.len - off, &used), 1);
  assert_int_equal(r.tlen, 0);
  off += used;
  assert_int_equal(send_dsn_next(&r, sa.s + off, sa.len - off, &used), 1);
  off += used;
  assert_int_equal(send_dsn_next(&r, sa.s + off, sa.len - off, &used), 0);
  /* a block cut by a crash is dropped; a line without colon is malformed */
  assert_int_equal(send_dsn_next(&r, "a@b:\ntext\n", 10, &used), 0);
  assert_int_equal(send_dsn_next(&r, "a@b\ntext\n\n", 10, &used), -1);
  assert_int_equal(send_dsn_next(&r, "\n\n", 2, &used), -1);
  stralloc_free(&sa);
}

struct st_case { char const *text, *def, *want; };

static void status_table(void **state)
{
  static struct st_case const cases[] = {
    { "Sorry, no mailbox here by that name. (#5.1.1)\n", "5.0.0", "5.1.1" },
    { "1.2.3.4 does not like recipient.\nRemote host said: 550 5.7.1 relaying denied\n", "5.0.0", "5.7.1" },
    { "Remote host said: 552 5.2.2 over quota (#5.2.2)", "5.0.0", "5.2.2" },
    { "no code here", "5.0.0", "5.0.0" },
    { "(#4.4.1)", "5.0.0", "4.4.1" },
    { "#9.1.1 #5.1", "5.0.0", "5.0.0" },
    { "#5.1234.1", "4.0.0", "4.0.0" },
    { "version 1.2.3 of something", "5.0.0", "5.0.0" },
    { "", "4.0.0", "4.0.0" },
  };
  size_t i;
  char out[16];
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    send_dsn_status(out, cases[i].text, strlen(cases[i].text), cases[i].def);
    if (strcmp(out, cases[i].want)) fail_msg("case %zu: got %s, want %s", i, out, cases[i].want);
  }
}

struct mta_case { char const *text, *want; };

static void mta_table(void **state)
{
  static struct mta_case const cases[] = {
    { "192.0.2.1 does not like recipient.\n", "192.0.2.1" },
    { "Connected to 2001:db8::1 but greeting failed.\n", "2001:db8::1" },
    { "Sorry, no mailbox here by that name. (#5.1.1)\n", 0 },
    { "deadbeef is a word", 0 },
    { "1.2.3.4", 0 },
    { "", 0 },
  };
  size_t i, n;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char const *m = send_dsn_remote_mta(cases[i].text, strlen(cases[i].text), &n);
    if (!cases[i].want ? m != 0 : !m || n != strlen(cases[i].want) || memcmp(m, cases[i].want, n))
      fail_msg("case %zu: got %.*s, want %s", i, m ? (int)n : 6, m ? m : "(none)", cases[i].want ? cases[i].want : "(none)");
  }
}

static int has(stralloc const *sa, char const *s)
{
  size_t n = strlen(s), i;
  for (i = 0; i + n <= sa->len; i++) if (!memcmp(sa->s + i, s, n)) return 1;
  return 0;
}

static void head_failure(void **state)
{
  stralloc blocks = STRALLOC_ZERO, out = STRALLOC_ZERO;
  send_dsn_ctx ctx = { "MAILER-DAEMON@mail.example.org", "mail.example.org", "joe@example.net",
                       "Mon, 01 Jan 2024 00:00:00 +0000", "Sun, 31 Dec 2023 23:00:00 +0000",
                       "<1.2.bounce@mail.example.org>", "=_b_=", 0, 0 };
  static char const *const want[] = {
    "From: MAILER-DAEMON@mail.example.org\n", "To: joe@example.net\n", "Subject: failure notice\n",
    "MIME-Version: 1.0\n", "multipart/report; report-type=delivery-status", "boundary=\"=_b_=\"",
    "\n--=_b_=\nContent-Type: text/plain", "Hi. This is the qmail-send program at mail.example.org.\n",
    "<nobody@example.org>:\nSorry, no mailbox here by that name. (#5.1.1)\n",
    "<bad@remote.test>:\n192.0.2.1 does not like recipient.\nRemote host said: 550 5.1.1 unknown\n\nGiving up",
    "Content-Type: message/delivery-status\n\nReporting-MTA: dns; mail.example.org\n"
    "Arrival-Date: Sun, 31 Dec 2023 23:00:00 +0000\n",
    "\nFinal-Recipient: rfc822; nobody@example.org\nAction: failed\nStatus: 5.1.1\n"
    "Diagnostic-Code: x-qmail; Sorry, no mailbox here by that name. (#5.1.1)\n",
    "\nFinal-Recipient: rfc822; bad@remote.test\nAction: failed\nStatus: 5.1.1\n"
    "Remote-MTA: dns; 192.0.2.1\nDiagnostic-Code: smtp; 550 5.1.1 unknown\n",
    "\n--=_b_=\nContent-Type: message/rfc822\n\n",
  };
  size_t i;
  (void)state;
  assert_int_equal(send_dsn_block(&blocks, "nobody@example.org", 18, "Sorry, no mailbox here by that name. (#5.1.1)\n", 46), 1);
  {
    static char const t[] = "192.0.2.1 does not like recipient.\nRemote host said: 550 5.1.1 unknown\n\nGiving up";
    assert_int_equal(send_dsn_block(&blocks, "bad@remote.test", 15, t, sizeof t - 1), 1);
  }
  assert_int_equal(send_dsn_head(&out, &ctx, blocks.s, blocks.len), 1);
  for (i = 0; i < sizeof want / sizeof want[0]; i++)
    if (!has(&out, want[i])) fail_msg("head lacks '%s'; got:\n%.*s", want[i], (int)out.len, out.s);
  assert_false(has(&out, "Action: delayed"));
  out.len = 0;
  assert_int_equal(send_dsn_tail(&out, &ctx, 1), 1);
  assert_int_equal(out.len, strlen("\n[message truncated]\n\n--=_b_=--\n"));
  assert_memory_equal(out.s, "\n[message truncated]\n\n--=_b_=--\n", out.len);
  stralloc_free(&blocks);
  stralloc_free(&out);
}

static void head_double_and_delay(void **state)
{
  stralloc blocks = STRALLOC_ZERO, out = STRALLOC_ZERO;
  send_dsn_ctx ctx = { "MAILER-DAEMON@h", "h", "postmaster@h", "d", "a", "<m@h>", "B", 1, 0 };
  (void)state;
  assert_int_equal(send_dsn_block(&blocks, "x@y", 3, "ZSorry (#4.4.1)\nheader: injected\r\n", 34), 1);
  assert_int_equal(send_dsn_head(&out, &ctx, blocks.s, blocks.len), 1);
  assert_true(has(&out, "Subject: failure notice (double bounce)\n"));
  assert_true(has(&out, "Status: 5.4.1\n"));          /* given up: permanent */
  assert_true(has(&out, "Diagnostic-Code: x-qmail; ZSorry (#4.4.1) header: injected?\n"));
  out.len = 0;
  ctx.dbl = 0; ctx.delay = 1;
  assert_int_equal(send_dsn_head(&out, &ctx, blocks.s, blocks.len), 1);
  assert_true(has(&out, "Subject: delivery delayed\n"));
  assert_true(has(&out, "Action: delayed\nStatus: 4.4.1\n"));
  assert_false(has(&out, "Action: failed"));
  stralloc_free(&blocks);
  stralloc_free(&out);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(blocks_roundtrip),
    cmocka_unit_test(status_table),
    cmocka_unit_test(mta_table),
    cmocka_unit_test(head_failure),
    cmocka_unit_test(head_double_and_delay),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
