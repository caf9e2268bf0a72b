/* The DATA body encoder: every case encoded whole and in slices of 1, 2 and 3
 * bytes must give the same wire bytes; no bare CR or LF ever comes out. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../qmail-remote/remote_body.h"

struct bcase {
  char const *name;
  char const *in;
  size_t len;
  char const *want;      /* null: partial final line */
  size_t wantlen;
};

#define S(x) x, sizeof x - 1

static struct bcase const cases[] = {
  { "empty", S(""), S(".\r\n") },
  { "one line", S("a\n"), S("a\r\n.\r\n") },
  { "crlf kept", S("a\r\nb\r\n"), S("a\r\nb\r\n.\r\n") },
  { "bare cr", S("a\rb\n"), S("a\r\nb\r\n.\r\n") },
  { "final bare cr", S("a\r"), S("a\r\n.\r\n") },
  { "cr cr lf", S("a\r\r\n"), S("a\r\n\r\n.\r\n") },
  { "dot line", S(".\n"), S("..\r\n.\r\n") },
  { "dot start", S(".a\n..b\n"), S("..a\r\n...b\r\n.\r\n") },
  { "dot mid", S("a.\n"), S("a.\r\n.\r\n") },
  { "dot after bare cr", S("a\r.\n"), S("a\r\n..\r\n.\r\n") },
  { "nul and 8bit", S("\0\xff\n"), S("\0\xff\r\n.\r\n") },
  { "blank lines", S("\n\n"), S("\r\n\r\n.\r\n") },
  { "partial", S("a"), 0, 0 },
  { "partial after lines", S("a\nb"), 0, 0 },
  { "partial dot", S("."), 0, 0 },
};

static void run(struct bcase const *c, size_t slice)
{
  remote_body b;
  char out[256];
  size_t at = 0, o = 0, n;
  remote_body_init(&b);
  while (at < c->len) {
    n = c->len - at < slice ? c->len - at : slice;
    o += remote_body_encode(&b, c->in + at, n, out + o);
    at += n;
  }
  n = remote_body_finish(&b, out + o);
  if (!c->want) {
    if (n) fail_msg("%s/%zu: got a final dot, want refusal", c->name, slice);
    return;
  }
  if (!n) fail_msg("%s/%zu: refused, want %zu bytes", c->name, slice, c->wantlen);
  o += n;
  if (o != c->wantlen || memcmp(out, c->want, o))
    fail_msg("%s/%zu: got %zu bytes '%.*s' want %zu", c->name, slice, o, (int)o, out, c->wantlen);
}

static void test_table(void **state)
{
  size_t i, k, slices[] = { 1000, 1, 2, 3 };
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
    for (k = 0; k < 4; k++) run(cases + i, slices[k]);
}

/* Worst case input stays inside remote_body_outmax, and no bare CR/LF comes out. */
static void test_worst(void **state)
{
  static char in[REMOTE_BODY_CHUNK], out[remote_body_outmax(REMOTE_BODY_CHUNK)];
  size_t i, n;
  remote_body b;
  (void)state;
  for (i = 0; i < sizeof in; i++) in[i] = (i % 2) ? '\n' : '.';
  remote_body_init(&b);
  n = remote_body_encode(&b, "\r", 1, out);
  assert_int_equal(n, 0);
  n = remote_body_encode(&b, in, sizeof in, out);
  assert_true(n <= remote_body_outmax(sizeof in));
  for (i = 0; i < n; i++) {
    if (out[i] == '\n' && (i == 0 || out[i - 1] != '\r')) fail_msg("bare LF at %zu", i);
    if (out[i] == '\r' && (i + 1 >= n || out[i + 1] != '\n')) fail_msg("bare CR at %zu", i);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_table),
    cmocka_unit_test(test_worst),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
