/* qmail-getpw's candidates and resolution against a table of fake accounts:
 * longest first, lowercased, length limit, postmaster, alias fallback, and a
 * temporary failure that must not fall through to the alias. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <skalibs/stralloc.h>

#include "../../qmail-local/getpw_cand.h"

static void candidates_table(void **state)
{
  static struct { char const *local; size_t n; size_t cuts[4]; } const cases[] = {
    { "joe", 1, { 3 } },
    { "joe-foo", 2, { 7, 3 } },
    { "joe-foo-bar", 3, { 11, 7, 3 } },
    { "-joe", 1, { 4 } },
    { "joe-", 2, { 4, 3 } },
    { "a--b", 3, { 4, 2, 1 } },
    { "postmaster", 0, { 0 } },
    { "PostMaster-x", 1, { 12 } },
    { "abcdefghijklmnopqrstuvwxyz0123456", 0, { 0 } },                 /* 33 bytes */
    { "abcdefghijklmnopqrstuvwxyz01234", 1, { 31 } },                  /* 31 bytes */
    { "abcdefghijklmnopqrstuvwxyz012345", 0, { 0 } },                  /* 32 bytes */
    { "abcdefghijklmnopqrstuvwxyz012345-x", 0, { 0 } },
    { "joe-abcdefghijklmnopqrstuvwxyz012345", 1, { 3 } },
  };
  size_t cut[8], i, k, n;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    n = getpw_candidates(cases[i].local, strlen(cases[i].local), '-', cut, 8);
    if (n != cases[i].n) fail_msg("%s: got %zu candidates want %zu", cases[i].local, n, cases[i].n);
    for (k = 0; k < n; k++)
      if (cut[k] != cases[i].cuts[k])
        fail_msg("%s: candidate %zu got %zu want %zu", cases[i].local, k, cut[k], cases[i].cuts[k]);
  }
  /* the output array bound holds */
  assert_int_equal(getpw_candidates("a-b-c-d", 7, '-', cut, 2), 2);
}

struct fake { char const *const *users; char const *tempfail; char const *asked[8]; size_t nasked; };

static int check(void *ctx, char const *name, stralloc *user)
{
  struct fake *f = ctx;
  size_t i;
  if (f->nasked < 8) f->asked[f->nasked++] = name;
  if (f->tempfail && !strcmp(name, f->tempfail)) return -1;
  for (i = 0; f->users[i]; i++)
    if (!strcmp(f->users[i], name)) return stralloc_cats(user, name) ? 1 : -1;
  return 0;
}

static void resolve_table(void **state)
{
  static char const *const users[] = { "joe", "joe-foo", "ann", 0 };
  static struct { char const *local; int alias; char const *user, *dash, *ext; } const cases[] = {
    { "joe", 0, "joe", "", "" },
    { "JOE", 0, "joe", "", "" },
    { "joe-bar", 0, "joe", "-", "bar" },
    { "Joe-Bar-Baz", 0, "joe", "-", "Bar-Baz" },
    { "joe-foo", 0, "joe-foo", "", "" },
    { "joe-foo-x", 0, "joe-foo", "-", "x" },
    { "bob", 1, "alias", "-", "bob" },
    { "root", 1, "alias", "-", "root" },
    { "postmaster", 1, "alias", "-", "postmaster" },
    { "Ann-", 0, "ann", "-", "" },
    { ";rm -rf /;", 1, "alias", "-", ";rm -rf /;" },
  };
  size_t i;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct fake f = { users, 0, { 0 }, 0 };
    getpw_result r = { STRALLOC_ZERO, 0, 0, 0 };
    char const *l = cases[i].local;
    assert_int_equal(getpw_resolve(l, strlen(l), '-', "alias", &check, &f, &r), 1);
    if (r.alias != cases[i].alias || strcmp(r.user.s, cases[i].user) || strcmp(r.dash, cases[i].dash)
        || strcmp(l + r.extpos, cases[i].ext))
      fail_msg("%s: got %s/%s/%s alias %d, want %s/%s/%s alias %d", l, r.user.s, r.dash,
               l + r.extpos, r.alias, cases[i].user, cases[i].dash, cases[i].ext, cases[i].alias);
    stralloc_free(&r.user);
  }
}

static void temporary_failure(void **state)
{
  static char const *const users[] = { "joe", 0 };
  struct fake f = { users, "joe-x", { 0 }, 0 };
  getpw_result r = { STRALLOC_ZERO, 0, 0, 0 };
  (void)state;
  /* "joe-x" cannot be looked up: no guessing "joe" or the alias */
  assert_int_equal(getpw_resolve("joe-x", 5, '-', "alias", &check, &f, &r), -1);
  assert_int_equal(f.nasked, 1);
  assert_int_equal(getpw_resolve("", 0, '-', "alias", &check, &f, &r), 0);
  stralloc_free(&r.user);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(candidates_table),
    cmocka_unit_test(resolve_table),
    cmocka_unit_test(temporary_failure),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
