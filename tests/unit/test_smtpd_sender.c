/* smtpd_sender: which envelope senders an authenticated user owns, by locals,
 * extension addresses and control/submissionsenders lines, with hostile senders. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "qm_control.h"
#include "../../qmail-smtpd/smtpd_sender.h"

struct scase { char const *user, *sender; int want; };

static struct scase const cases[] = {
  { "joe", "joe@example.org", 1 },
  { "joe", "joe@EXAMPLE.org", 1 },          /* domains have no case */
  { "joe", "joe@mail.example.org", 1 },
  { "joe", "joe-lists@example.org", 1 },    /* an extension is the user's */
  { "joe", "joe-@example.org", 1 },
  { "joe", "Joe@example.org", 0 },          /* local parts compare exactly */
  { "joe", "joey@example.org", 0 },
  { "joe", "jo@example.org", 0 },
  { "joe", "joe@other.example", 0 },        /* not a local domain */
  { "joe", "joe@sub.example.org", 0 },
  { "joe", "", 0 },                          /* <> is nobody's */
  { "joe", "joe", 0 },
  { "joe", "joe@", 0 },
  { "joe", "boss@example.org", 0 },
  { "joe", "boss@partner.example", 1 },     /* user:address */
  { "joe", "BOSS@partner.example", 1 },
  { "joe", "anyone@joes.example", 1 },      /* user:@domain */
  { "joe", "anyone@x.joes.example", 0 },
  { "ann", "boss@partner.example", 0 },     /* another user's grant */
  { "jo", "boss@partner.example", 0 },      /* "jo" is not "joe:" */
  { "ann@virtual.example", "ann@virtual.example", 1 },
  { "ann@virtual.example", "ANN@Virtual.Example", 1 },
  { "ann@virtual.example", "ann@example.org", 0 },
  { "ann@virtual.example", "ann-x@virtual.example", 0 },
  { "joe", "joe@example.org@evil.example", 0 },
  { "joe", "joe\n@example.org", 0 },
};

static void table(void **state)
{
  stralloc locals = STRALLOC_ZERO, extra = STRALLOC_ZERO;
  char const l[] = "example.org\nmail.example.org\n";
  char const e[] = "# who else\njoe:boss@partner.example\njoe:@joes.example\njoe:\njoe:@\nann:\n";
  size_t i;
  (void)state;
  assert_int_equal(qm_control_parselist(&locals, l, sizeof l - 1), 1);
  assert_int_equal(qm_control_parselist(&extra, e, sizeof e - 1), 1);
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int r = smtpd_sender_owned(cases[i].user, cases[i].sender, '-', &locals, &extra);
    if (r != cases[i].want)
      fail_msg("case %zu: user %s sender '%s': got %d, want %d", i, cases[i].user, cases[i].sender, r, cases[i].want);
  }
  /* no lists at all: nothing but an '@' user's own address */
  assert_int_equal(smtpd_sender_owned("joe", "joe@example.org", '-', 0, 0), 0);
  assert_int_equal(smtpd_sender_owned("a@b.example", "a@b.example", '-', 0, 0), 1);
  stralloc_free(&locals);
  stralloc_free(&extra);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(table),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
