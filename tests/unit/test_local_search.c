/* The .qmail file cascade: exact file, then -default files from the most specific
 * to the least, with DEFAULT; safe extensions; the -owner names. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <skalibs/stralloc.h>

#include "../../qmail-local/local_search.h"

struct cascade_case {
  char const *dash, *ext;
  char const *names[6];     /* expected names, 0-terminated */
  char const *deflt[6];     /* expected DEFAULT per name, 0 for the exact file */
};

static void cascade_table(void **state)
{
  static struct cascade_case const cases[] = {
    { "-", "a-b-c",
      { ".qmail-a-b-c", ".qmail-a-b-default", ".qmail-a-default", ".qmail-default", 0 },
      { 0, "c", "b-c", "a-b-c" } },
    { "-", "Foo.Bar",
      { ".qmail-foo:bar", ".qmail-default", 0 }, { 0, "Foo.Bar" } },
    { "-", "",
      { ".qmail-", ".qmail-default", 0 }, { 0, "" } },
    { "-", "list-",
      { ".qmail-list-", ".qmail-list-default", ".qmail-default", 0 }, { 0, "", "list-" } },
    { "-", "a--b",
      { ".qmail-a--b", ".qmail-a--default", ".qmail-a-default", ".qmail-default", 0 },
      { 0, "b", "-b", "a--b" } },
    { "", "", { ".qmail", 0 }, { 0 } },
    { "", "x", { ".qmailx", 0 }, { 0 } },
    { "-", "../../etc",
      { ".qmail-::/::/etc", ".qmail-default", 0 }, { 0, "../../etc" } },
    { "-", ";rm -rf ~;",
      { ".qmail-;rm -rf ~;", ".qmail-;rm -default", ".qmail-default", 0 },
      { 0, "rf ~;", ";rm -rf ~;" } },
  };
  stralloc name = STRALLOC_ZERO;
  size_t i, k, d;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    local_search s;
    local_search_init(&s, cases[i].dash, cases[i].ext);
    for (k = 0;; k++) {
      int r = local_search_next(&s, &name, &d);
      if (!cases[i].names[k]) {
        if (r != 0) fail_msg("case %zu: got extra name %s", i, name.s);
        break;
      }
      if (r != 1) fail_msg("case %zu: got end at %zu, want %s", i, k, cases[i].names[k]);
      if (strcmp(name.s, cases[i].names[k]) || name.len != strlen(name.s) + 1)
        fail_msg("case %zu: got %s, want %s", i, name.s, cases[i].names[k]);
      if (!cases[i].deflt[k]) {
        if (d != LOCAL_SEARCH_EXACT) fail_msg("case %zu %s: got a DEFAULT, want none", i, name.s);
      } else if (d == LOCAL_SEARCH_EXACT || strcmp(cases[i].ext + d, cases[i].deflt[k]))
        fail_msg("case %zu %s: got DEFAULT %s, want %s", i, name.s,
                 d == LOCAL_SEARCH_EXACT ? "(none)" : cases[i].ext + d, cases[i].deflt[k]);
    }
  }
  stralloc_free(&name);
}

static void ext_ok_table(void **state)
{
  static struct { char const *s; size_t len; int ok; } const cases[] = {
    { "foo-bar", 7, 1 }, { "", 0, 1 }, { "Foo.Bar", 7, 1 }, { "..", 2, 1 },
    { "a/b", 3, 0 }, { "../x", 4, 0 }, { "/", 1, 0 }, { "a\nb", 3, 0 }, { "a\rb", 3, 0 },
    { "a\0b", 3, 0 }, { "\t", 1, 0 }, { "\x7f", 1, 0 }, { "\xc3\xa9", 2, 1 },
    { ";cmd;", 5, 1 },
  };
  size_t i;
  char big[LOCAL_EXT_MAX + 1];
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
    if (local_ext_ok(cases[i].s, cases[i].len) != cases[i].ok)
      fail_msg("ext %zu: got %d, want %d", i, !cases[i].ok, cases[i].ok);
  memset(big, 'a', sizeof big);
  assert_int_equal(local_ext_ok(big, LOCAL_EXT_MAX), 1);
  assert_int_equal(local_ext_ok(big, LOCAL_EXT_MAX + 1), 0);
}

static void owner_names(void **state)
{
  stralloc name = STRALLOC_ZERO;
  (void)state;
  assert_int_equal(local_search_name(&name, "-", "List.X", "-owner"), 1);
  assert_string_equal(name.s, ".qmail-list:x-owner");
  assert_int_equal(local_search_name(&name, "", "", "-owner-default"), 1);
  assert_string_equal(name.s, ".qmail-owner-default");
  stralloc_free(&name);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(cascade_table),
    cmocka_unit_test(ext_ok_table),
    cmocka_unit_test(owner_names),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
