/* Spawner and qmail-clean protocols: encoders against fixed bytes, decoders fed
 * whole, byte by byte and in odd chunks, hostile input (overlong fields, NUL, 8-bit,
 * bad paths, bad letters), and round trips. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <skalibs/stralloc.h>

#include "../../qmail-send/send_proto.h"

static size_t const chunks[] = { 1000000, 1, 2, 3, 7 };
#define NCHUNKS (sizeof chunks / sizeof chunks[0])
#define S(lit) lit, sizeof lit   /* a literal with its final NUL */

/* Feeds s to a command decoder in pieces of at most step bytes. */
static int feed_cmd(send_cmd *c, char const *s, size_t n, size_t step, size_t *consumed)
{
  size_t off = 0;
  send_cmd_init(c);
  while (off < n) {
    size_t len = n - off < step ? n - off : step, used = 0;
    int r = send_cmd_feed(c, s + off, len, &used);
    off += used;
    if (r) { *consumed = off; return r; }
  }
  *consumed = off;
  return 0;
}

static void cmd_encode_bytes(void **state)
{
  stralloc sa = STRALLOC_ZERO;
  static char const want[] = "\x05" "3/49\0joe@ex.org\0bob@ex.net";
  (void)state;
  assert_int_equal(send_cmd_encode(&sa, 5, 49, 23, "joe@ex.org", 10, "bob@ex.net", 10), 1);
  assert_int_equal(sa.len, sizeof want);
  assert_memory_equal(sa.s, want, sizeof want);
  sa.len = 0;
  assert_int_equal(send_cmd_encode(&sa, 0, 49, 0, "", 0, "a@b", 3), 0);
  assert_int_equal(send_cmd_encode(&sa, 0, 49, 23, "a\0b", 3, "a@b", 3), 0);
  assert_int_equal(send_cmd_encode(&sa, 0, 49, 23, "", 0, "a@b\0", 4), 0);
  stralloc_free(&sa);
}

struct cmd_case {
  char const *in; size_t len; int want; unsigned char slot;
  char const *path, *sender, *rcpt; int checkfail;
};

static void cmd_decode_table(void **state)
{
  static struct cmd_case const cases[] = {
    { S("\x05" "3/49\0joe@ex.org\0bob@ex.net"), 1, 5, "3/49", "joe@ex.org", "bob@ex.net", 0 },
    { S("\xff" "0/23\0\0u@h"), 1, 255, "0/23", "", "u@h", 0 },
    { S("\x00" "1/1\0s\0nohost"), 1, 0, "1/1", "s", "nohost", 'D' },
    { S("\x01" "../1\0s\0u@h"), 1, 1, "../1", "s", "u@h", 'Z' },
    { S("\x01" "/1\0s\0u@h"), 1, 1, "/1", "s", "u@h", 'Z' },
    { S("\x01" "1/\0s\0u@h"), 1, 1, "1/", "s", "u@h", 'Z' },
    { S("\x01" "1/2/3\0s\0u@h"), 1, 1, "1/2/3", "s", "u@h", 'Z' },
    { S("\x01" "12\0s\0u@h"), 1, 1, "12", "s", "u@h", 'Z' },
    { S("\x01" "\0s\0u@h"), 1, 1, "", "s", "u@h", 'Z' },
    { S("\x01" "1/2\0s\x80\r\n\0u@h"), 1, 1, "1/2", "s\x80\r\n", "u@h", 0 },
    { "\x01" "1/2\0s\0u@h", 8, 0, 1, 0, 0, 0, 0 },
    { "", 0, 0, 0, 0, 0, 0, 0 },
  };
  size_t i, j;
  send_cmd *c = malloc(sizeof *c);
  (void)state;
  assert_non_null(c);
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
    for (j = 0; j < NCHUNKS; j++) {
      size_t used;
      int r = feed_cmd(c, cases[i].in, cases[i].len, chunks[j], &used);
      if (r != cases[i].want) fail_msg("case %zu step %zu: got %d, want %d", i, chunks[j], r, cases[i].want);
      if (r != 1) continue;
      if (used != cases[i].len) fail_msg("case %zu: used %zu of %zu", i, used, cases[i].len);
      assert_int_equal(c->slot, cases[i].slot);
      assert_string_equal(c->path, cases[i].path);
      assert_int_equal(c->pathlen, strlen(cases[i].path));
      assert_string_equal(c->sender, cases[i].sender);
      assert_string_equal(c->rcpt, cases[i].rcpt);
      {
        char const *e = send_cmd_check(c);
        if (cases[i].checkfail ? !e || e[0] != cases[i].checkfail : e != 0)
          fail_msg("case %zu: check got '%s', want letter %c", i, e ? e : "(ok)",
                   cases[i].checkfail ? cases[i].checkfail : '-');
      }
    }
  free(c);
}

static void cmd_decode_limits(void **state)
{
  size_t const big = SEND_FIELD_MAX + 10;
  char *buf = malloc(big + 200);
  send_cmd *c = malloc(sizeof *c);
  size_t used, n, j;
  (void)state;
  assert_non_null(buf);
  assert_non_null(c);
  /* a path of exactly the limit is fine, one more is refused */
  buf[0] = 1;
  memset(buf + 1, '1', SEND_PATH_MAX);
  memcpy(buf + 1 + SEND_PATH_MAX, "\0s\0u@h", 7);
  assert_int_equal(feed_cmd(c, buf, SEND_PATH_MAX + 8, 1000000, &used), 1);
  assert_int_equal(c->pathlen, SEND_PATH_MAX);
  memset(buf + 1, '1', SEND_PATH_MAX + 1);
  memcpy(buf + 2 + SEND_PATH_MAX, "\0s\0u@h", 7);
  for (j = 0; j < NCHUNKS; j++)
    assert_int_equal(feed_cmd(c, buf, SEND_PATH_MAX + 8, chunks[j], &used), -1);
  /* sender and recipient at and over their limit */
  memcpy(buf, "\x01" "1/1\0", 5);
  memset(buf + 5, 'a', SEND_FIELD_MAX);
  buf[5 + SEND_FIELD_MAX] = 0;
  memcpy(buf + 6 + SEND_FIELD_MAX, "u@h", 4);
  n = SEND_FIELD_MAX + 10;
  assert_int_equal(feed_cmd(c, buf, n, 1000000, &used), 1);
  assert_int_equal(c->senderlen, SEND_FIELD_MAX);
  buf[5 + SEND_FIELD_MAX] = 'a';
  assert_int_equal(feed_cmd(c, buf, n, 3, &used), -1);
  memcpy(buf, "\x01" "1/1\0\0", 6);
  memset(buf + 6, 'r', SEND_FIELD_MAX + 1);
  assert_int_equal(feed_cmd(c, buf, SEND_FIELD_MAX + 7, 1000000, &used), -1);
  free(buf);
  free(c);
}

static void cmd_stream_of_two(void **state)
{
  stralloc sa = STRALLOC_ZERO;
  send_cmd *c = malloc(sizeof *c);
  size_t used, off;
  (void)state;
  assert_non_null(c);
  assert_int_equal(send_cmd_encode(&sa, 1, 100, 23, "a@b", 3, "c@d", 3), 1);
  assert_int_equal(send_cmd_encode(&sa, 2, 7, 23, "", 0, "e@f", 3), 1);
  send_cmd_init(c);
  assert_int_equal(send_cmd_feed(c, sa.s, sa.len, &used), 1);
  assert_string_equal(c->path, "8/100");
  off = used;
  send_cmd_init(c);
  assert_int_equal(send_cmd_feed(c, sa.s + off, sa.len - off, &used), 1);
  assert_int_equal(off + used, sa.len);
  assert_int_equal(c->slot, 2);
  assert_string_equal(c->path, "7/7");
  assert_string_equal(c->rcpt, "e@f");
  stralloc_free(&sa);
  free(c);
}

/* Several recipients: "S/N:k" in the path, k recipients; bytes, round trip, each
 * recipient reachable, the path without its count. */
static void cmd_list_roundtrip(void **state)
{
  static char const want[] = "\x04" "8/100:3\0s@x\0a@d\0b@d\0c@d";
  char const *rc[3] = { "a@d", "b@d", "c@d" };
  size_t rl[3] = { 3, 3, 3 }, used, j;
  stralloc sa = STRALLOC_ZERO;
  send_cmd *c = malloc(sizeof *c);
  (void)state;
  assert_non_null(c);
  assert_int_equal(send_cmd_encode_list(&sa, 4, 100, 23, "s@x", 3, rc, rl, 3), 1);
  assert_int_equal(sa.len, sizeof want);
  assert_memory_equal(sa.s, want, sizeof want);
  for (j = 0; j < NCHUNKS; j++) {
    assert_int_equal(feed_cmd(c, sa.s, sa.len, chunks[j], &used), 1);
    assert_int_equal(used, sa.len);
    assert_int_equal(c->nrcpt, 3);
    assert_string_equal(c->path, "8/100");
    assert_string_equal(c->rcpt, "a@d");
    assert_string_equal(send_cmd_rcpt(c, 1), "b@d");
    assert_string_equal(send_cmd_rcpt(c, 2), "c@d");
    assert_null(send_cmd_check(c));
  }
  /* one recipient: exactly the old bytes, no count */
  sa.len = 0;
  assert_int_equal(send_cmd_encode_list(&sa, 4, 100, 23, "s@x", 3, rc, rl, 1), 1);
  assert_int_equal(sa.len, sizeof "\x04" "8/100\0s@x\0a@d");
  assert_memory_equal(sa.s, "\x04" "8/100\0s@x\0a@d", sa.len);
  /* refused: no recipient, too many, a NUL inside one; sa untouched */
  sa.len = 0;
  assert_int_equal(send_cmd_encode_list(&sa, 4, 100, 23, "s@x", 3, rc, rl, 0), 0);
  assert_int_equal(send_cmd_encode_list(&sa, 4, 100, 23, "s@x", 3, rc, rl, SEND_RCPTS_MAX + 1), 0);
  rl[1] = 4;
  assert_int_equal(send_cmd_encode_list(&sa, 4, 100, 23, "s@x", 3, rc, rl, 3), 0);
  assert_int_equal(sa.len, 0);
  stralloc_free(&sa);
  free(c);
}

struct count_case { char const *in; size_t len; int want; unsigned int nrcpt; int checkfail; };

static void cmd_list_hostile(void **state)
{
  static struct count_case const cases[] = {
    { S("\x01" "1/1:2\0s\0a@h\0b@h"), 1, 2, 0 },
    { S("\x01" "1/1:1\0s\0a@h"), 1, 1, 0 },
    { S("\x01" "1/1:0\0s\0a@h"), -1, 0, 0 },
    { S("\x01" "1/1:\0s\0a@h"), -1, 0, 0 },
    { S("\x01" "1/1:101\0s\0a@h"), -1, 0, 0 },
    { S("\x01" "1/1:99999999999999999999\0s\0a@h"), -1, 0, 0 },
    { S("\x01" "1/1:2x\0s\0a@h"), -1, 0, 0 },
    { S("\x01" "1/1:-2\0s\0a@h"), -1, 0, 0 },
    { S("\x01" "1/1:2\0s\0a@h\0bh"), 1, 2, 1 },     /* second without '@' */
    { S("\x01" "1/1:2\0s\0a@h"), 0, 0, 0 },          /* still waiting for the second */
    { S("\x01" ":2\0s\0a@h\0b@h"), 1, 2, 1 },        /* no path left */
  };
  size_t i, j, used;
  send_cmd *c = malloc(sizeof *c);
  (void)state;
  assert_non_null(c);
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
    for (j = 0; j < NCHUNKS; j++) {
      int r = feed_cmd(c, cases[i].in, cases[i].len, chunks[j], &used);
      if (r != cases[i].want) fail_msg("case %zu step %zu: got %d want %d", i, chunks[j], r, cases[i].want);
      if (r == 1) {
        assert_int_equal(c->nrcpt, cases[i].nrcpt);
        if ((send_cmd_check(c) != 0) != cases[i].checkfail) fail_msg("case %zu: check got %s", i, send_cmd_check(c));
      }
    }
  free(c);
}

/* The byte budget of all recipients is a hard limit, whatever their count. */
static void cmd_list_bytes_limit(void **state)
{
  size_t const per = SEND_FIELD_MAX, n = SEND_RCPTS_BYTES / (per + 1) + 1;
  stralloc in = STRALLOC_ZERO;
  send_cmd *c = malloc(sizeof *c);
  size_t i, used;
  (void)state;
  assert_non_null(c);
  assert_true(n <= SEND_RCPTS_MAX);
  assert_int_equal(stralloc_catb(&in, "\x01" "1/1:", 5), 1);
  {
    char num[8];
    int k = snprintf(num, sizeof num, "%zu", n);
    assert_int_equal(stralloc_catb(&in, num, (size_t)k), 1);
  }
  assert_int_equal(stralloc_catb(&in, "\0s\0", 3), 1);
  for (i = 0; i < n; i++) {
    assert_int_equal(stralloc_readyplus(&in, per + 1), 1);
    memset(in.s + in.len, 'a', per);
    in.s[in.len + per - 2] = '@';
    in.s[in.len + per] = 0;
    in.len += per + 1;
  }
  assert_int_equal(feed_cmd(c, in.s, in.len, 1000000, &used), -1);
  assert_true(used < in.len);
  stralloc_free(&in);
  free(c);
}

struct reply_case { char const *in; size_t len; int want; unsigned char slot; char letter; char const *text; };

static void reply_table(void **state)
{
  static struct reply_case const cases[] = {
    { "\x03Kdid 0+0+1\n", 13, 1, 3, 'K', "Kdid 0+0+1\n" },
    { "\x00ZSorry.", 9, 1, 0, 'Z', "ZSorry." },
    { "\xfe" "Dno mailbox", 13, 1, 254, 'D', "Dno mailbox" },
    { "\x01", 2, 1, 1, 0, "" },
    { "\x01Xwhat", 7, 1, 1, 0, "Xwhat" },
    { "\x01k", 3, 1, 1, 0, "k" },
    { "\x01K\x80\r\n", 6, 1, 1, 'K', "K\x80\r\n" },
    { "\x01Kpartial", 9, 0, 0, 0, 0 },
    { "\x01", 1, 0, 0, 0, 0 },
  };
  size_t i, j;
  send_reply *r = malloc(sizeof *r);
  (void)state;
  assert_non_null(r);
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
    for (j = 0; j < NCHUNKS; j++) {
      size_t off = 0, used = 0;
      int got = 0;
      send_reply_init(r);
      while (off < cases[i].len) {
        size_t len = cases[i].len - off < chunks[j] ? cases[i].len - off : chunks[j];
        got = send_reply_feed(r, cases[i].in + off, len, &used);
        off += used;
        if (got) break;
      }
      if (got != cases[i].want) fail_msg("case %zu step %zu: got %d, want %d", i, chunks[j], got, cases[i].want);
      if (got != 1) continue;
      assert_int_equal(off, cases[i].len);
      assert_int_equal(r->slot, cases[i].slot);
      assert_int_equal(send_reply_letter(r), cases[i].letter);
      assert_int_equal(r->len, strlen(cases[i].text));
      assert_memory_equal(r->text, cases[i].text, r->len);
      assert_int_equal(r->truncated, 0);
    }
  free(r);
}

static void reply_overlong_is_cut(void **state)
{
  size_t n = SEND_REPORT_MAX + 500, used;
  char *buf = malloc(n + 3);
  send_reply *r = malloc(sizeof *r);
  (void)state;
  assert_non_null(buf);
  assert_non_null(r);
  buf[0] = 9;
  buf[1] = 'Z';
  memset(buf + 2, 'x', n - 2);
  buf[n] = 0;
  buf[n + 1] = 7;   /* the next reply starts here */
  send_reply_init(r);
  assert_int_equal(send_reply_feed(r, buf, n + 2, &used), 1);
  assert_int_equal(used, n + 1);
  assert_int_equal(r->len, SEND_REPORT_MAX);
  assert_int_equal(r->truncated, 1);
  assert_int_equal(send_reply_letter(r), 'Z');
  free(buf);
  free(r);
}

static void reply_encode_roundtrip(void **state)
{
  stralloc sa = STRALLOC_ZERO;
  send_reply *r = malloc(sizeof *r);
  size_t used;
  (void)state;
  assert_non_null(r);
  assert_int_equal(send_reply_encode(&sa, 200, 'D', "bad\0hidden", 10), 1);
  assert_int_equal(sa.len, 6);
  assert_memory_equal(sa.s, "\xc8" "Dbad\0", 6);
  send_reply_init(r);
  assert_int_equal(send_reply_feed(r, sa.s, sa.len, &used), 1);
  assert_int_equal(r->slot, 200);
  assert_string_equal(r->text, "Dbad");
  stralloc_free(&sa);
  free(r);
}

struct clean_case { char const *in; size_t len; int kind; uint64_t id; };

static void clean_table(void **state)
{
  static struct clean_case const cases[] = {
    { "todo/1048623", 13, SEND_CLEAN_TODO, 1048623 },
    { "foop/7", 7, SEND_CLEAN_FOOP, 7 },
    { "todo/18446744073709551615", 26, SEND_CLEAN_TODO, UINT64_MAX },
    { "todo/18446744073709551616", 26, SEND_CLEAN_BAD, 0 },
    { "todo/", 6, SEND_CLEAN_BAD, 0 },
    { "todo/12a", 9, SEND_CLEAN_BAD, 0 },
    { "todo/-1", 8, SEND_CLEAN_BAD, 0 },
    { "info/12", 8, SEND_CLEAN_BAD, 0 },
    { "Todo/12", 8, SEND_CLEAN_BAD, 0 },
    { "", 1, SEND_CLEAN_BAD, 0 },
    { "todo/1\n", 8, SEND_CLEAN_BAD, 0 },
    { "todo/\x80", 7, SEND_CLEAN_BAD, 0 },
  };
  size_t i, j;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
    for (j = 0; j < NCHUNKS; j++) {
      send_clean c;
      size_t off = 0, used = 0;
      int got = 0;
      uint64_t id = 0;
      send_clean_init(&c);
      while (off < cases[i].len && !got) {
        size_t len = cases[i].len - off < chunks[j] ? cases[i].len - off : chunks[j];
        got = send_clean_feed(&c, cases[i].in + off, len, &used);
        off += used;
      }
      assert_int_equal(got, 1);
      assert_int_equal(off, cases[i].len);
      got = send_clean_parse(&c, &id);
      if (got != cases[i].kind || (got && id != cases[i].id))
        fail_msg("case %zu: got kind %d id %llu, want %d %llu", i, got,
                 (unsigned long long)id, cases[i].kind, (unsigned long long)cases[i].id);
    }
}

static void clean_overlong_stays_in_step(void **state)
{
  char buf[SEND_CLEAN_MAX * 3];
  send_clean c;
  size_t used;
  uint64_t id;
  (void)state;
  memcpy(buf, "todo/", 5);
  memset(buf + 5, '1', sizeof buf - 5);
  buf[sizeof buf - 9] = 0;
  memcpy(buf + sizeof buf - 8, "foop/42", 8);
  send_clean_init(&c);
  assert_int_equal(send_clean_feed(&c, buf, sizeof buf, &used), 1);
  assert_int_equal(send_clean_parse(&c, &id), SEND_CLEAN_BAD);
  send_clean_init(&c);
  assert_int_equal(send_clean_feed(&c, buf + used, sizeof buf - used, &used), 1);
  assert_int_equal(send_clean_parse(&c, &id), SEND_CLEAN_FOOP);
  assert_int_equal(id, 42);
  /* the longest good command: 99 bytes plus NUL */
  memcpy(buf, "todo/", 5);
  memset(buf + 5, '0', SEND_CLEAN_MAX - 7);
  buf[SEND_CLEAN_MAX - 2] = '9';
  buf[SEND_CLEAN_MAX - 1] = 0;
  send_clean_init(&c);
  assert_int_equal(send_clean_feed(&c, buf, SEND_CLEAN_MAX, &used), 1);
  assert_int_equal(send_clean_parse(&c, &id), SEND_CLEAN_TODO);
  assert_int_equal(id, 9);
}

static void clean_encode(void **state)
{
  stralloc sa = STRALLOC_ZERO;
  (void)state;
  assert_int_equal(send_clean_encode(&sa, SEND_CLEAN_FOOP, 1048623), 1);
  assert_int_equal(sa.len, 13);
  assert_memory_equal(sa.s, "foop/1048623", 13);
  assert_int_equal(send_clean_encode(&sa, SEND_CLEAN_BAD, 1), 0);
  stralloc_free(&sa);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(cmd_encode_bytes),
    cmocka_unit_test(cmd_decode_table),
    cmocka_unit_test(cmd_decode_limits),
    cmocka_unit_test(cmd_stream_of_two),
    cmocka_unit_test(cmd_list_roundtrip),
    cmocka_unit_test(cmd_list_hostile),
    cmocka_unit_test(cmd_list_bytes_limit),
    cmocka_unit_test(reply_table),
    cmocka_unit_test(reply_overlong_is_cut),
    cmocka_unit_test(reply_encode_roundtrip),
    cmocka_unit_test(clean_table),
    cmocka_unit_test(clean_overlong_stays_in_step),
    cmocka_unit_test(clean_encode),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
