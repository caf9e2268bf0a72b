/* qmail-smtpd's access decisions: rcpthosts with suffixes and the cdb, no list
 * meaning no relaying, bad address lists, and the recipients cdb key scheme with
 * -default catch-alls, against an in-memory key set. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <skalibs/stralloc.h>

#include "../../qmail-smtpd/smtpd_access.h"

/* A "cdb" that is a NULL-terminated list of keys; "!" as the only key: an error. */
static int fake_cdb(void *ctx, char const *key, size_t len)
{
  char const *const *k = ctx;
  for (; *k; k++) {
    if (!strcmp(*k, "!")) return -1;
    if (strlen(*k) == len && !memcmp(*k, key, len)) return 1;
  }
  return 0;
}

static void list(stralloc *sa, char const *const *items)
{
  sa->len = 0;
  for (; *items; items++) assert_true(stralloc_catb(sa, *items, strlen(*items) + 1));
}

static void rcpthosts(void **state)
{
  static char const *const lines[] = { "example.org", ".sub.example.net", "Mixed.Example", 0 };
  static char const *const more[] = { "more.example", ".deep.example", 0 };
  static char const *const broken[] = { "!", 0 };
  static struct { char const *domain; int want; } const cases[] = {
    { "example.org", 1 }, { "a.example.org", 0 }, { "sub.example.net", 0 },
    { "x.sub.example.net", 1 }, { "mixed.example", 1 }, { "more.example", 1 },
    { "a.more.example", 0 }, { "a.b.deep.example", 1 }, { "deep.example", 0 },
    { "other.example", 0 }, { "", 0 }, { "org", 0 },
  };
  stralloc sa = STRALLOC_ZERO;
  size_t i;
  (void)state;
  list(&sa, lines);
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int got = smtpd_rcpthosts(&sa, 1, cases[i].domain, fake_cdb, (void *)more);
    if (got != cases[i].want) fail_msg("rcpthosts %s: got %d, want %d", cases[i].domain, got, cases[i].want);
  }
  /* no control/rcpthosts: nothing is accepted, not even what the cdb lists */
  assert_int_equal(smtpd_rcpthosts(&sa, 0, "example.org", fake_cdb, (void *)more), 0);
  assert_int_equal(smtpd_rcpthosts(&sa, 0, "more.example", fake_cdb, (void *)more), 0);
  assert_int_equal(smtpd_rcpthosts(&sa, 1, "other.example", fake_cdb, (void *)broken), -1);
  assert_int_equal(smtpd_rcpthosts(&sa, 1, "example.org", 0, 0), 1);
  stralloc_free(&sa);
}

static void addrlisted(void **state)
{
  static char const *const lines[] = { "bad@spam.example", "@Evil.Example", 0 };
  static struct { char const *addr; int want; } const cases[] = {
    { "bad@spam.example", 1 }, { "BAD@Spam.Example", 1 }, { "good@spam.example", 0 },
    { "anyone@evil.example", 1 }, { "x@sub.evil.example", 0 }, { "evil.example", 0 },
    { "", 0 }, { "\"a@b\"@evil.example", 1 }, { "postmaster", 0 },
  };
  stralloc sa = STRALLOC_ZERO;
  size_t i;
  (void)state;
  list(&sa, lines);
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int got = smtpd_addrlisted(&sa, cases[i].addr);
    if (got != cases[i].want) fail_msg("listed %s: got %d, want %d", cases[i].addr, got, cases[i].want);
  }
  stralloc_free(&sa);
}

/* "key" or "key=value" entries; a key found answers 2 when its value starts with '-'. */
static int fake_rcpt(void *ctx, char const *key, size_t len)
{
  char const *const *k = ctx;
  for (; *k; k++) {
    char const *eq;
    size_t klen;
    if (!strcmp(*k, "!")) return -1;
    /* the key's own '=' (an exact key) is its first byte; a value follows a later '=' */
    eq = strchr(*k + 1, '=');
    klen = eq ? (size_t)(eq - *k) : strlen(*k);
    if (klen == len && !memcmp(*k, key, len)) return eq && eq[1] == '-' ? 2 : 1;
  }
  return 0;
}

static void rcptcheck(void **state)
{
  static char const *const keys[] = {
    "@example.org", "=joe@example.org", "=postmaster@example.org", "+list-@example.org",
    "+a-b-@example.org", "@catchall.example", "+@catchall.example",
    /* a wildcard prefix ending in any character, an exact "no", a prefix "no" that
     * shadows a shorter catch-all */
    "+ab@example.org", "=abc@example.org=-", "@shadow.example", "+@shadow.example",
    "+bob-@shadow.example=-", "=bob-x@shadow.example", "+bob-y@shadow.example", 0 };
  static char const *const broken[] = { "!", 0 };
  static struct { char const *addr; int want; } const cases[] = {
    { "joe@example.org", 1 }, { "JOE@Example.ORG", 1 }, { "jim@example.org", 0 },
    { "joe-x@example.org", 0 }, { "list-@example.org", 1 }, { "list-foo@example.org", 1 },
    { "list-foo-bar@example.org", 1 }, { "list@example.org", 0 }, { "a-b-c@example.org", 1 },
    { "a-c@example.org", 0 }, { "anything@catchall.example", 1 },
    { "x@not-validated.example", 1 }, { "postmaster", 1 }, { "\"joe\"@example.org", 0 },
    { "ab@example.org", 1 }, { "abd@example.org", 1 }, { "abc@example.org", 0 },
    { "abcd@example.org", 1 }, { "a@example.org", 0 },
    { "alice@shadow.example", 1 }, { "bob-z@shadow.example", 0 }, { "bob-@shadow.example", 0 },
    { "bob-x@shadow.example", 1 }, { "Bob-X@shadow.example", 1 }, { "bob-yes@shadow.example", 1 },
    { "bob@shadow.example", 1 }, { "bob-x-1@shadow.example", 0 },
  };
  size_t i;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int got = smtpd_rcptcheck(cases[i].addr, fake_rcpt, (void *)keys);
    if (got != cases[i].want) fail_msg("rcptcheck %s: got %d, want %d", cases[i].addr, got, cases[i].want);
  }
  assert_int_equal(smtpd_rcptcheck("joe@example.org", fake_rcpt, (void *)broken), -1);
  assert_int_equal(smtpd_rcptcheck("joe@example.org", 0, 0), 1);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(rcpthosts),
    cmocka_unit_test(addrlisted),
    cmocka_unit_test(rcptcheck),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
