/* users/assign parsing: records and wildchars fed whole and byte by byte, each
 * refusal with its line, and the round trip through a real cdb to the lookup
 * qmail-lspawn uses. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <skalibs/cdb.h>
#include <skalibs/cdbmake.h>
#include <skalibs/stralloc.h>

#include "../../qmail-local/newu_assign.h"
#include "qm_users.h"

/* Records as "key|value" with NULs shown as '/'... kept raw in one stralloc:
 * klen, key, vlen, value. */
static int collect(void *ctx, char const *key, size_t klen, char const *val, size_t vlen)
{
  stralloc *sa = ctx;
  unsigned char k = (unsigned char)klen, v = (unsigned char)vlen;
  return stralloc_catb(sa, (char *)&k, 1) && stralloc_catb(sa, key, klen)
      && stralloc_catb(sa, (char *)&v, 1) && stralloc_catb(sa, val, vlen);
}

static int run(char const *text, size_t len, size_t step, stralloc *out, newu_parser *p)
{
  size_t i;
  int r = 0;
  newu_init(p, &collect, out);
  for (i = 0; i < len && !r; i += step)
    r = newu_feed(p, text + i, len - i < step ? len - i : step);
  if (!r) r = newu_finish(p);
  return r;
}

#define T(s) s, sizeof s - 1

static void good_file(void **state)
{
  static char const text[] =
    "=joe:joe:1001:100:/home/joe:::\n"
    "+joe-:joe:1001:100:/home/joe:-::\n"
    "=Info:ann:1002:100:/home/ann:-:info:\n"
    "+List.:lists:1003:100:/var/lists:-:l-:ignored:text\n"
    "+:alias:7790:2108:/var/qmail/alias:-::\n"
    ".\n"
    "garbage after the end\n";
  static char const want[] =
    "\005!joe\0" "\030joe\0" "1001\0" "100\0" "/home/joe\0" "\0"
    "\005!joe-" "\031joe\0" "1001\0" "100\0" "/home/joe\0" "-\0"
    "\006!info\0" "\035ann\0" "1002\0" "100\0" "/home/ann\0" "-\0" "info"
    "\006!list." "\036lists\0" "1003\0" "100\0" "/var/lists\0" "-\0" "l-"
    "\001!" "\043alias\0" "7790\0" "2108\0" "/var/qmail/alias\0" "-\0";
  stralloc out = STRALLOC_ZERO;
  newu_parser p;
  size_t steps[] = { sizeof text - 1, 1, 5 }, k;
  (void)state;
  for (k = 0; k < 3; k++) {
    out.len = 0;
    assert_int_equal(run(text, sizeof text - 1, steps[k], &out, &p), 1);
    if (out.len != sizeof want - 1 || memcmp(out.s, want, out.len))
      fail_msg("step %zu: got %zu bytes of records, want %zu", steps[k], out.len, sizeof want - 1);
    assert_int_equal(p.nwild, 2);
    assert_memory_equal(p.wild, "-.", 2);
    newu_free(&p);
  }
  stralloc_free(&out);
}

static void bad_files(void **state)
{
  static struct { char const *text; size_t len; enum newu_err err; unsigned long line; } const cases[] = {
    { T("=joe:joe:1:1:/h:::\n"), NEWU_ERR_NOEND, 2 },
    { T(""), NEWU_ERR_NOEND, 1 },
    { T("=joe:joe:1:1:/h::\n.\n"), NEWU_ERR_FIELDS, 1 },
    { T("=joe:joe:1:1:/h:::\n=ann\n.\n"), NEWU_ERR_NOCOLON, 2 },
    { T("=:joe:1:1:/h:::\n.\n"), NEWU_ERR_EMPTY, 1 },
    { T("joe:joe:1:1:/h:::\n.\n"), NEWU_ERR_KIND, 1 },
    { T("\n.\n"), NEWU_ERR_KIND, 1 },
    { T("# comment\n.\n"), NEWU_ERR_KIND, 1 },
    { T("=joe:joe:1:1:/h:::\0\n.\n"), NEWU_ERR_NUL, 1 },
    { T("=joe::1:1:/h:::\n.\n"), NEWU_ERR_VALUE, 1 },
    { T("=joe:joe:x:1:/h:::\n.\n"), NEWU_ERR_VALUE, 1 },
    { T("=joe:joe:1:-1:/h:::\n.\n"), NEWU_ERR_VALUE, 1 },
    { T("=joe:joe:1:4294967295:/h:::\n.\n"), NEWU_ERR_VALUE, 1 },
    { T("=joe:joe:1:99999999999999999999:/h:::\n.\n"), NEWU_ERR_VALUE, 1 },
    { T("=joe:joe:1:1:h:::\n.\n"), NEWU_ERR_VALUE, 1 },
    { T("=joe:joe:1:1:/h:-:../x:\n.\n"), NEWU_ERR_VALUE, 1 },
    { T("=joe:joe:1:1:/h:/:x:\n.\n"), NEWU_ERR_VALUE, 1 },
  };
  stralloc out = STRALLOC_ZERO;
  newu_parser p;
  size_t i, k;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
    for (k = 0; k < 2; k++) {
      size_t step = k ? 1 : (cases[i].len ? cases[i].len : 1);
      out.len = 0;
      if (run(cases[i].text, cases[i].len, step, &out, &p) != -1 || p.err != cases[i].err
          || p.lineno != cases[i].line)
        fail_msg("case %zu step %zu: got err %d (%s) line %lu, want %d line %lu", i, step,
                 (int)p.err, newu_strerr(p.err), p.lineno, (int)cases[i].err, cases[i].line);
      newu_free(&p);
    }
  stralloc_free(&out);
}

static void long_line(void **state)
{
  size_t n = NEWU_LINE_MAX + 10;
  char *s = malloc(n + 3);
  stralloc out = STRALLOC_ZERO;
  newu_parser p;
  (void)state;
  memset(s, 'a', n);
  s[0] = '=';
  memcpy(s + n, "\n.\n", 3);
  assert_int_equal(run(s, n + 3, 1, &out, &p), -1);
  assert_int_equal(p.err, NEWU_ERR_LONG);
  newu_free(&p);
  assert_int_equal(run(s, n + 3, n + 3, &out, &p), -1);
  assert_int_equal(p.err, NEWU_ERR_LONG);
  newu_free(&p);
  free(s);
  stralloc_free(&out);
}

static void final_dot_without_newline(void **state)
{
  stralloc out = STRALLOC_ZERO;
  newu_parser p;
  (void)state;
  assert_int_equal(run(T("=a:a:1:1:/a:::\n."), 1, &out, &p), 1);
  newu_free(&p);
  stralloc_free(&out);
}

static int add_cdb(void *ctx, char const *key, size_t klen, char const *val, size_t vlen)
{
  return cdbmake_add(ctx, key, (unsigned int)klen, val, (unsigned int)vlen);
}

/* qmail-newu's path end to end: parse, cdbmake, then the lookup. */
static void round_trip(void **state)
{
  static char const text[] =
    "=joe:joe:1001:100:/home/joe:::\n"
    "=joe:dup:1:1:/dup:::\n"
    "+joe-:joe:1001:100:/home/joe:-::\n"
    "+list.:lists:1003:100:/var/lists:-:l-:\n"
    "+:alias:7790:2108:/var/qmail/alias:-::\n"
    ".\n";
  static struct { char const *local, *user, *home, *dash, *ext; } const want[] = {
    { "joe", "joe", "/home/joe", "", "" },
    { "JOE", "joe", "/home/joe", "", "" },
    { "joe-Foo", "joe", "/home/joe", "-", "Foo" },
    { "joe-", "joe", "/home/joe", "-", "" },
    { "List.Owner", "lists", "/var/lists", "-", "l-Owner" },
    { "nobody", "alias", "/var/qmail/alias", "-", "nobody" },
    { "jo", "alias", "/var/qmail/alias", "-", "jo" },
  };
  char path[] = "/tmp/test_newu_assign.XXXXXX";
  cdbmaker cm = CDBMAKER_ZERO;
  newu_parser p;
  cdb db = CDB_ZERO;
  stralloc sa = STRALLOC_ZERO;
  qm_users_entry e;
  size_t i;
  int fd = mkstemp(path);
  (void)state;
  assert_true(fd >= 0);
  assert_true(cdbmake_start(&cm, fd));
  newu_init(&p, &add_cdb, &cm);
  assert_int_equal(newu_feed(&p, text, sizeof text - 1), 1);
  assert_true(cdbmake_add(&cm, "", 0, p.wild, (unsigned int)p.nwild));
  assert_true(cdbmake_finish(&cm));
  close(fd);
  newu_free(&p);
  assert_true(cdb_init(&db, path));
  for (i = 0; i < sizeof want / sizeof want[0]; i++) {
    char const *l = want[i].local;
    if (qm_users_find(&db, l, strlen(l), &sa, &e) != 1) fail_msg("%s: not found", l);
    if (strcmp(e.user, want[i].user) || strcmp(e.home, want[i].home) || strcmp(e.dash, want[i].dash)
        || strcmp(e.ext, want[i].ext))
      fail_msg("%s: got %s %s %s %s, want %s %s %s %s", l, e.user, e.home, e.dash, e.ext,
               want[i].user, want[i].home, want[i].dash, want[i].ext);
  }
  cdb_free(&db);
  unlink(path);
  stralloc_free(&sa);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(good_file),
    cmocka_unit_test(bad_files),
    cmocka_unit_test(long_line),
    cmocka_unit_test(final_dot_without_newline),
    cmocka_unit_test(round_trip),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
