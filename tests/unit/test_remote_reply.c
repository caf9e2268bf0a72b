/* The SMTP reply parser: each case fed whole and one byte at a time, which must
 * agree; multi-line replies, caps, hostile bytes, enhanced codes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../qmail-remote/remote_reply.h"

struct rcase {
  char const *name;
  char const *in;
  size_t len;
  int rc;
  unsigned int code;
  char const *text;          /* for rc 1 */
  size_t used;               /* bytes consumed when rc 1 */
  enum remote_reply_error err;
};

#define S(x) x, sizeof x - 1

static struct rcase const cases[] = {
  { "simple", S("250 ok\r\n"), 1, 250, "250 ok", 8, 0 },
  { "bare LF end", S("250 ok\n"), 1, 250, "250 ok", 7, 0 },
  { "code only", S("250\r\n"), 1, 250, "250", 5, 0 },
  { "multi", S("250-a\r\n250-b\r\n250 c\r\n"), 1, 250, "250-a\n250-b\n250 c", 21, 0 },
  { "next reply left", S("250 a\r\n354 go\r\n"), 1, 250, "250 a", 7, 0 },
  { "NUL and 8bit", S("550 a\0b\xff\x1b[31m\r\n"), 1, 550, "550 a?b??[31m", 15, 0 },
  { "bare CR dropped", S("421 a\rb\r\n"), 1, 421, "421 ab", 9, 0 },
  { "open", S("250-a\r\n250 b"), 0, 0, 0, 0, 0 },
  { "nothing", S(""), 0, 0, 0, 0, 0 },
  { "mixed codes", S("250-a\r\n251 b\r\n"), -1, 0, 0, 0, REMOTE_REPLY_EMIXED },
  { "letters", S("abc\r\n"), -1, 0, 0, 0, REMOTE_REPLY_ECODE },
  { "code 600", S("600 x\r\n"), -1, 0, 0, 0, REMOTE_REPLY_ECODE },
  { "code 099", S("099 x\r\n"), -1, 0, 0, 0, REMOTE_REPLY_ECODE },
  { "short", S("25\r\n"), -1, 0, 0, 0, REMOTE_REPLY_ECODE },
  { "empty line", S("\r\n"), -1, 0, 0, 0, REMOTE_REPLY_ECODE },
  { "bad separator", S("250x\r\n"), -1, 0, 0, 0, REMOTE_REPLY_ESEP },
};

static int feed(remote_reply *r, char const *s, size_t len, size_t slice, size_t *used)
{
  size_t at = 0;
  int rc = 0;
  *used = 0;
  while (at < len) {
    size_t n = len - at < slice ? len - at : slice, u = 0;
    rc = remote_reply_feed(r, s + at, n, &u);
    *used += u;
    if (rc) return rc;
    if (u != n) fail_msg("need-more must use every byte: got %zu want %zu", u, n);
    at += n;
  }
  return rc;
}

static void test_table(void **state)
{
  size_t i, slices[] = { (size_t)-1, 1, 2, 3 }, k;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    for (k = 0; k < 4; k++) {
      static remote_reply r;
      size_t used;
      int rc;
      remote_reply_init(&r);
      rc = feed(&r, cases[i].in, cases[i].len, slices[k], &used);
      if (rc != cases[i].rc) fail_msg("%s/slice %zu: rc got %d want %d", cases[i].name, slices[k], rc, cases[i].rc);
      if (rc == 1) {
        if (r.code != cases[i].code) fail_msg("%s: code got %u want %u", cases[i].name, r.code, cases[i].code);
        if (strcmp(r.text, cases[i].text)) fail_msg("%s: text got '%s' want '%s'", cases[i].name, r.text, cases[i].text);
        if (used != cases[i].used) fail_msg("%s: used got %zu want %zu", cases[i].name, used, cases[i].used);
      }
      if (rc == -1 && r.error != cases[i].err) fail_msg("%s: error got %d want %d", cases[i].name, r.error, cases[i].err);
    }
  }
}

static void test_caps(void **state)
{
  static remote_reply r;
  static char buf[REMOTE_REPLY_LINE_MAX * 3];
  size_t used, i, n = 0;
  (void)state;
  /* a line at the cap is fine, one byte more is not */
  memcpy(buf, "250 ", 4);
  memset(buf + 4, 'x', REMOTE_REPLY_LINE_MAX - 4);
  remote_reply_init(&r);
  assert_int_equal(remote_reply_feed(&r, buf, REMOTE_REPLY_LINE_MAX, &used), 0);
  assert_int_equal(remote_reply_feed(&r, "\n", 1, &used), 1);
  assert_int_equal(r.textlen, REMOTE_REPLY_LINE_MAX);
  assert_false(r.truncated);
  /* three such lines pass the text cap: kept text ends in "..." */
  buf[3] = '-';
  remote_reply_init(&r);
  for (i = 0; i < 2; i++) {
    assert_int_equal(remote_reply_feed(&r, buf, REMOTE_REPLY_LINE_MAX, &used), 0);
    assert_int_equal(remote_reply_feed(&r, "\n", 1, &used), 0);
  }
  buf[3] = ' ';
  assert_int_equal(remote_reply_feed(&r, buf, REMOTE_REPLY_LINE_MAX, &used), 0);
  assert_int_equal(remote_reply_feed(&r, "\n", 1, &used), 1);
  assert_true(r.truncated);
  assert_int_equal(r.textlen, REMOTE_REPLY_TEXT_MAX + 3);
  assert_string_equal(r.text + REMOTE_REPLY_TEXT_MAX, "...");
  remote_reply_init(&r);
  assert_int_equal(remote_reply_feed(&r, buf, REMOTE_REPLY_LINE_MAX, &used), 0);
  assert_int_equal(remote_reply_feed(&r, "y", 1, &used), -1);
  assert_int_equal(r.error, REMOTE_REPLY_ELINE);
  /* too many lines */
  remote_reply_init(&r);
  for (i = 0; i < REMOTE_REPLY_LINES_MAX; i++) {
    int rc = remote_reply_feed(&r, "250-a\r\n", 7, &used);
    if (rc) fail_msg("line %zu: rc got %d want 0", i, rc);
    n += used;
  }
  assert_int_equal(remote_reply_feed(&r, "250 a\r\n", 7, &used), -1);
  assert_int_equal(r.error, REMOTE_REPLY_ELINES);
  assert_true(r.textlen <= REMOTE_REPLY_TEXT_MAX);
}

static void test_enhanced(void **state)
{
  static struct { char const *in; int found; char const *want; } const t[] = {
    { "550 5.1.1 no such user\r\n", 1, "5.1.1" },
    { "250-2.0.0 ok\r\n250 x\r\n", 1, "2.0.0" },
    { "451 4.3.0\r\n", 1, "4.3.0" },
    { "550 5.1.1000 x\r\n", 0, 0 },
    { "550 3.1.1 x\r\n", 0, 0 },
    { "550 no code\r\n", 0, 0 },
    { "550 5..1 x\r\n", 0, 0 },
    { "550 5.1.1x\r\n", 0, 0 },
  };
  size_t i, used;
  (void)state;
  for (i = 0; i < sizeof t / sizeof t[0]; i++) {
    static remote_reply r;
    char out[16];
    int got;
    remote_reply_init(&r);
    assert_int_equal(remote_reply_feed(&r, t[i].in, strlen(t[i].in), &used), 1);
    got = remote_reply_enhanced(&r, out);
    if (got != t[i].found) fail_msg("%s: got %d want %d", t[i].in, got, t[i].found);
    if (got && strcmp(out, t[i].want)) fail_msg("%s: got %s want %s", t[i].in, out, t[i].want);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_table),
    cmocka_unit_test(test_caps),
    cmocka_unit_test(test_enhanced),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
