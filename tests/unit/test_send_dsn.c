/* bounce/N blocks written and read back (empty lines, NUL, newline in the
 * address, cut final block, hostile bytes, a file growing byte by byte) and the
 * Remote-MTA a qmail-remote report names. The notice itself: test_qm_dsn. */
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

/* hostile block files: whatever the bytes, the parser stays inside them and
 * either returns a block that lies inside, or says end / malformed */
struct next_case { char const *s; size_t n; int want; size_t rlen, tlen; };

static void next_table(void **state)
{
  static struct next_case const cases[] = {
    { "", 0, 0, 0, 0 },
    { ":\n\n", 3, 1, 0, 0 },
    { "a\0b:\nx\0y\n\n", 10, 1, 3, 4 },
    { "a@b:\r\nx\n\n", 10, -1, 0, 0 },
    { "a@b:\nx\r\n\r\n\n", 11, 1, 3, 5 },
    { "a@b:", 4, 0, 0, 0 },
    { "\xff\xfe:\n\xff\n\n", 7, 1, 2, 2 },
    { "no colon\n\n", 10, -1, 0, 0 },
  };
  size_t i;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    send_dsn_rcpt r;
    size_t used = 0;
    int got = send_dsn_next(&r, cases[i].s, cases[i].n, &used);
    if (got != cases[i].want) fail_msg("case %zu: got %d, want %d", i, got, cases[i].want);
    if (got == 1 && (r.rlen != cases[i].rlen || r.tlen != cases[i].tlen || used > cases[i].n))
      fail_msg("case %zu: got rlen %zu tlen %zu used %zu, want %zu %zu <= %zu", i, r.rlen, r.tlen, used,
               cases[i].rlen, cases[i].tlen, cases[i].n);
  }
}

/* a file growing byte by byte (an append in progress) never yields a block before
 * its closing empty line, and yields exactly the whole one after it */
static void next_bytewise(void **state)
{
  stralloc sa = STRALLOC_ZERO;
  send_dsn_rcpt r;
  size_t k, used;
  (void)state;
  assert_int_equal(send_dsn_block(&sa, "a@b", 3, "one\n\ntwo\n", 9), 1);
  for (k = 0; k < sa.len; k++) {
    int got = send_dsn_next(&r, sa.s, k, &used);
    if (got != 0) fail_msg("prefix %zu of %zu: got %d, want 0", k, sa.len, got);
  }
  assert_int_equal(send_dsn_next(&r, sa.s, sa.len, &used), 1);
  assert_int_equal(used, sa.len);
  assert_int_equal(r.tlen, 10);
  assert_memory_equal(r.text, "one\n/\ntwo\n", 10);
  stralloc_free(&sa);
}

/* the text kept per block is cut at SEND_DSN_TEXT_MAX */
static void block_cut(void **state)
{
  stralloc sa = STRALLOC_ZERO;
  static char big[SEND_DSN_TEXT_MAX + 100];
  send_dsn_rcpt r;
  size_t used;
  (void)state;
  memset(big, 'x', sizeof big);
  assert_int_equal(send_dsn_block(&sa, "a@b", 3, big, sizeof big), 1);
  assert_int_equal(send_dsn_next(&r, sa.s, sa.len, &used), 1);
  assert_int_equal(r.tlen, SEND_DSN_TEXT_MAX + 1);
  stralloc_free(&sa);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(blocks_roundtrip),
    cmocka_unit_test(mta_table),
    cmocka_unit_test(next_table),
    cmocka_unit_test(next_bytewise),
    cmocka_unit_test(block_cut),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
