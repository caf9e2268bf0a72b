/* Lines of /etc/passwd as qmail-queue reads them for its Received line: the
 * account of the uid asked for is found; other uids, malformed lines, overlong
 * names and numbers are not taken for it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../qmail-queue/queue_passwd.h"

struct pcase {
  char const *line;
  unsigned long uid;
  int want;
  char const *name;
};

static struct pcase const cases[] = {
  { "qmaild:x:995:65534:qmail daemon:/var/qmail:/usr/sbin/nologin", 995, 1, "qmaild" },
  { "qmaild:x:995:65534:qmail daemon:/var/qmail:/usr/sbin/nologin", 996, 0, 0 },
  { "root:x:0:0:root:/root:/bin/bash", 0, 1, "root" },
  { "alias:*:4294967295:1::/var/qmail/alias:", 4294967295UL, 1, "alias" },
  { "big:x:4294967296:1::/:", 0, 0, 0 },             /* 2^32 wraps to nothing */
  { "big:x:99999999999999999999999:1::/:", 0, 0, 0 },
  { "three:x:7", 7, 1, "three" },                      /* the uid may end the line */
  { ":x:5:5::/:", 5, 0, 0 },                           /* no name */
  { "two:x", 0, 0, 0 },
  { "nouid:x::1::/:", 0, 0, 0 },
  { "sign:x:+5:1::/:", 5, 0, 0 },
  { "space:x: 5:1::/:", 5, 0, 0 },
  { "hex:x:0x5:1::/:", 5, 0, 0 },
  { "", 0, 0, 0 },
  { "#comment", 0, 0, 0 },
  { "+nisplus::0:0:::", 0, 1, "+nisplus" },            /* a name like any other */
};

static void table(void **state)
{
  size_t i;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char name[32];
    int r;
    memset(name, 'Z', sizeof name);
    r = queue_passwd_line(cases[i].line, strlen(cases[i].line), cases[i].uid, name, sizeof name);
    if (r != cases[i].want) fail_msg("case %zu (%s): got %d", i, cases[i].line, r);
    if (r) assert_string_equal(name, cases[i].name);
  }
}

static void bounds(void **state)
{
  char name[7];
  char const *l = "abcdefg:x:10:10::/:";
  (void)state;
  /* a name that does not fit with its NUL is not taken, and nothing is written */
  memset(name, 'Z', sizeof name);
  assert_int_equal(queue_passwd_line(l, strlen(l), 10, name, sizeof name), 0);
  assert_int_equal(name[0], 'Z');
  assert_int_equal(queue_passwd_line(l + 1, strlen(l) - 1, 10, name, sizeof name), 1);
  assert_string_equal(name, "bcdefg");
  /* the length is obeyed: a cut line has no uid */
  assert_int_equal(queue_passwd_line(l, 9, 10, name, sizeof name), 0);
  assert_int_equal(queue_passwd_line(l + 1, 10, 1, name, sizeof name), 1);
}

int main(void)
{
  const struct CMUnitTest tests[] = { cmocka_unit_test(table), cmocka_unit_test(bounds) };
  return cmocka_run_group_tests(tests, 0, 0);
}
