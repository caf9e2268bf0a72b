/* .qmail parsing: each line kind, trailing blanks, forward-only, and the refusals
 * (NUL, empty first line, empty forward, too many lines, too large). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "../../qmail-local/local_dotqmail.h"

struct line_case { char const *in; enum local_kind kind; char const *arg; };

static void line_table(void **state)
{
  static struct line_case const cases[] = {
    { "# comment", LOCAL_COMMENT, "# comment" },
    { "", LOCAL_COMMENT, "" },
    { "|preline procmail", LOCAL_PROGRAM, "preline procmail" },
    { "|", LOCAL_PROGRAM, "" },
    { "./Maildir/", LOCAL_MAILDIR, "./Maildir/" },
    { "/var/mail/joe/", LOCAL_MAILDIR, "/var/mail/joe/" },
    { "./Mailbox", LOCAL_MBOX, "./Mailbox" },
    { "/var/spool/mail/joe", LOCAL_MBOX, "/var/spool/mail/joe" },
    { ".", LOCAL_MBOX, "." },
    { "&joe@example.org", LOCAL_FORWARD, "joe@example.org" },
    { "joe@example.org", LOCAL_FORWARD, "joe@example.org" },
    { "joe", LOCAL_FORWARD, "joe" },
    { "+list", LOCAL_FWDONLY, "+list" },
    { "+other", LOCAL_COMMENT, "+other" },
    { "+lists", LOCAL_COMMENT, "+lists" },
    { " |not a program", LOCAL_FORWARD, " |not a program" },
    { "\xff\xfe", LOCAL_FORWARD, "\xff\xfe" },
  };
  size_t i;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    size_t arg, arglen, len = strlen(cases[i].in);
    enum local_kind k = local_dotqmail_line(cases[i].in, len, &arg, &arglen);
    if (k != cases[i].kind || arglen != strlen(cases[i].arg)
        || memcmp(cases[i].in + arg, cases[i].arg, arglen))
      fail_msg("line %zu \"%s\": got kind %d arg \"%.*s\", want kind %d arg \"%s\"", i,
               cases[i].in, (int)k, (int)arglen, cases[i].in + arg, (int)cases[i].kind,
               cases[i].arg);
  }
}

static void trim_table(void **state)
{
  (void)state;
  assert_int_equal(local_dotqmail_trim("abc \t\r", 6), 3);
  assert_int_equal(local_dotqmail_trim(" \t ", 3), 0);
  assert_int_equal(local_dotqmail_trim("a b", 3), 3);
  assert_int_equal(local_dotqmail_trim("", 0), 0);
}

struct want { enum local_kind kind; char const *arg; };
struct file_case {
  char const *text; size_t len; int fwdonly; int ret; enum local_dq_err err;
  size_t n; struct want w[4];
};

#define T(s) s, sizeof s - 1

static void file_table(void **state)
{
  static struct file_case const cases[] = {
    { T("./Maildir/\n"), 0, 1, LOCAL_DQ_OK, 1, { { LOCAL_MAILDIR, "./Maildir/" } } },
    { T("./Maildir/"), 0, 1, LOCAL_DQ_OK, 1, { { LOCAL_MAILDIR, "./Maildir/" } } },
    { T("# hello\n|prog a b  \n\n&x@y\t\n./mbox\r\n"), 0, 1, LOCAL_DQ_OK, 3,
      { { LOCAL_PROGRAM, "prog a b" }, { LOCAL_FORWARD, "x@y" }, { LOCAL_MBOX, "./mbox" } } },
    { T("\n./Maildir/\n"), 0, -1, LOCAL_DQ_FIRSTEMPTY, 0, { { 0, 0 } } },
    { T("  \n./Maildir/\n"), 0, -1, LOCAL_DQ_FIRSTEMPTY, 0, { { 0, 0 } } },
    { T("./Mail\0dir/\n"), 0, -1, LOCAL_DQ_NUL, 0, { { 0, 0 } } },
    { T("&\n"), 0, -1, LOCAL_DQ_EMPTYFWD, 0, { { 0, 0 } } },
    { T("& \n"), 0, -1, LOCAL_DQ_EMPTYFWD, 0, { { 0, 0 } } },
    { T("a@b\n+list\nc@d\n"), 0, 1, LOCAL_DQ_OK, 2,
      { { LOCAL_FORWARD, "a@b" }, { LOCAL_FORWARD, "c@d" } } },
    { T("|prog\n+list\n"), 0, -1, LOCAL_DQ_FWDONLY, 0, { { 0, 0 } } },
    { T("a@b\n./Maildir/\n"), 1, -1, LOCAL_DQ_FWDONLY, 0, { { 0, 0 } } },
    { T("a@b\n#x\n"), 1, 1, LOCAL_DQ_OK, 1, { { LOCAL_FORWARD, "a@b" } } },
  };
  local_instr ins[8];
  size_t i, j;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    local_dotqmail q = { ins, 8, 0, cases[i].fwdonly, 0, 0, 0 };
    enum local_dq_err err = LOCAL_DQ_OK;
    int r = local_dotqmail_parse(&q, cases[i].text, cases[i].len, &err);
    if (r != cases[i].ret || err != cases[i].err)
      fail_msg("file %zu: got %d/%d, want %d/%d", i, r, (int)err, cases[i].ret, (int)cases[i].err);
    if (r < 0) continue;
    if (q.n != cases[i].n) fail_msg("file %zu: got %zu instructions, want %zu", i, q.n, cases[i].n);
    for (j = 0; j < q.n; j++) {
      struct want const *w = &cases[i].w[j];
      if (ins[j].kind != w->kind || ins[j].len != strlen(w->arg)
          || memcmp(cases[i].text + ins[j].off, w->arg, ins[j].len))
        fail_msg("file %zu line %zu: got kind %d \"%.*s\", want kind %d \"%s\"", i, j,
                 (int)ins[j].kind, (int)ins[j].len, cases[i].text + ins[j].off, (int)w->kind, w->arg);
    }
  }
}

static void counts(void **state)
{
  static char const text[] = "./a/\n./b\n|c\n&d\ne\n";
  local_instr ins[8];
  local_dotqmail q = { ins, 8, 0, 0, 0, 0, 0 };
  enum local_dq_err err;
  (void)state;
  assert_int_equal(local_dotqmail_parse(&q, text, sizeof text - 1, &err), 1);
  assert_int_equal(q.files, 2);
  assert_int_equal(q.programs, 1);
  assert_int_equal(q.forwards, 2);
}

static void limits(void **state)
{
  local_instr ins[2];
  local_dotqmail q = { ins, 2, 0, 0, 0, 0, 0 };
  enum local_dq_err err;
  char *big;
  (void)state;
  assert_int_equal(local_dotqmail_parse(&q, "a\nb\nc\n", 6, &err), -1);
  assert_int_equal(err, LOCAL_DQ_TOOMANY);
  q.in = malloc(3 * sizeof *q.in);
  q.max = 3;
  assert_int_equal(local_dotqmail_parse(&q, "a\nb\nc\n", 6, &err), 1);
  assert_int_equal(q.n, 3);
  free(q.in);
  big = calloc(1, LOCAL_DOTQMAIL_MAX + 1);
  assert_non_null(big);
  memset(big, '#', LOCAL_DOTQMAIL_MAX + 1);
  q.in = ins; q.max = 2;
  assert_int_equal(local_dotqmail_parse(&q, big, LOCAL_DOTQMAIL_MAX + 1, &err), -1);
  assert_int_equal(err, LOCAL_DQ_TOOBIG);
  assert_int_equal(local_dotqmail_parse(&q, big, LOCAL_DOTQMAIL_MAX, &err), 1);
  assert_int_equal(q.n, 0);
  free(big);
  assert_int_equal(local_dotqmail_parse(&q, "", 0, &err), 1);
  assert_int_equal(q.n, 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(line_table),
    cmocka_unit_test(trim_table),
    cmocka_unit_test(file_table),
    cmocka_unit_test(counts),
    cmocka_unit_test(limits),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
