/* todo/N envelope records: good envelopes fed whole, byte by byte and in chunks;
 * every kind of damage (unknown type, T before F, two F, bad u/p, overlong value,
 * cut record, bytes after the closing NUL). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "../../qmail-send/send_todo.h"

#define S(lit) lit, sizeof lit - 1
static size_t const chunks[] = { 1000000, 1, 2, 5 };

/* Parses a whole envelope; writes "<type><value>|" per record to out. Returns the
 * parser's verdict: 1 whole and valid, -1 invalid. */
static int run(char const *in, size_t len, size_t step, char *out, size_t outmax)
{
  send_todo *t = malloc(sizeof *t);
  size_t off = 0, o = 0;
  int r = 0;
  assert_non_null(t);
  send_todo_init(t);
  out[0] = 0;
  while (off < len) {
    size_t n = len - off < step ? len - off : step, used = 0;
    r = send_todo_feed(t, in + off, n, &used);
    off += used;
    if (r < 0) { free(t); return -1; }
    if (r > 0 && o + t->len + 3 < outmax) {
      out[o++] = t->type;
      memcpy(out + o, t->val, t->len);
      o += t->len;
      out[o++] = '|';
      out[o] = 0;
    }
  }
  r = send_todo_finish(t);
  free(t);
  return r;
}

struct todo_case { char const *in; size_t len; int want; char const *records; };

static void todo_table(void **state)
{
  static struct todo_case const cases[] = {
    { S("u1000\0p4711\0Fjoe@ex.org\0Tbob@ex.net\0Tann@ex.net\0"), 1,
      "u1000|p4711|Fjoe@ex.org|Tbob@ex.net|Tann@ex.net|" },
    { S("F\0"), 1, "F|" },
    { S("F\0T\0"), 1, "F|T|" },
    { S("Fs\0Tr\0\0"), 1, "Fs|Tr|" },
    { S("Fs\x80\r\n\0Tr\x01\0"), 1, "Fs\x80\r\n|Tr\x01|" },
    { S("Fs\0Tr\0\0T"), -1, "" },
    { S("Fs\0Tr\0\0\0"), -1, "" },
    { S(""), -1, "" },
    { S("u1\0p2\0"), -1, "" },
    { S("Tr\0Fs\0"), -1, "" },
    { S("Fa\0Fb\0"), -1, "" },
    { S("Fs\0Xr\0"), -1, "" },
    { S("Fs\0tr\0"), -1, "" },
    { S("u12a\0Fs\0"), -1, "" },
    { S("u\0Fs\0"), -1, "" },
    { S("u123456789012345678901\0Fs\0"), -1, "" },
    { S("Fs\0Tcut"), -1, "" },
    { S("Fs"), -1, "" },
  };
  char out[256];
  size_t i, j;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
    for (j = 0; j < sizeof chunks / sizeof chunks[0]; j++) {
      int r = run(cases[i].in, cases[i].len, chunks[j], out, sizeof out);
      if (r != cases[i].want) fail_msg("case %zu step %zu: got %d, want %d", i, chunks[j], r, cases[i].want);
      if (r == 1 && strcmp(out, cases[i].records))
        fail_msg("case %zu: got records '%s', want '%s'", i, out, cases[i].records);
    }
}

static void todo_limits(void **state)
{
  size_t n = SEND_TODO_FIELD_MAX + 8;
  char *buf = malloc(n);
  char out[16];
  (void)state;
  assert_non_null(buf);
  buf[0] = 'F';
  memset(buf + 1, 'x', SEND_TODO_FIELD_MAX);
  buf[1 + SEND_TODO_FIELD_MAX] = 0;
  assert_int_equal(run(buf, SEND_TODO_FIELD_MAX + 2, 1000000, out, sizeof out), 1);
  buf[1 + SEND_TODO_FIELD_MAX] = 'x';
  buf[2 + SEND_TODO_FIELD_MAX] = 0;
  assert_int_equal(run(buf, SEND_TODO_FIELD_MAX + 3, 1000000, out, sizeof out), -1);
  assert_int_equal(run(buf, SEND_TODO_FIELD_MAX + 3, 1, out, sizeof out), -1);
  free(buf);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(todo_table),
    cmocka_unit_test(todo_limits),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
