/* Control files: qmail's first-line, list and number rules, on hostile bytes, and
 * the file side (missing, empty, oversized, cdb). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <skalibs/cdbmake.h>
#include <skalibs/stralloc.h>

#include "qm_control.h"

struct firstline_case { char const *in; size_t inlen; char const *want; size_t wantlen; };

static void firstline_table(void **state)
{
  static struct firstline_case const cases[] = {
    { "mail.example.org\n", 17, "mail.example.org", 16 },
    { "mail.example.org", 16, "mail.example.org", 16 },
    { "host \t\r\nsecond\n", 15, "host", 4 },
    { "\nsecond\n", 8, "", 0 },
    { "", 0, "", 0 },
    { " lead", 5, " lead", 5 },
    { "a\0b\n", 4, "a\0b", 3 },
    { "   \t", 4, "", 0 },
  };
  size_t i;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    size_t n = qm_control_firstline(cases[i].in, cases[i].inlen);
    if (n != cases[i].wantlen || memcmp(cases[i].in, cases[i].want, n))
      fail_msg("case %zu: got length %zu, want %zu", i, n, cases[i].wantlen);
  }
}

static void expect_list(char const *in, size_t len, char const *want, size_t wantlen)
{
  stralloc out = STRALLOC_ZERO;
  assert_int_equal(qm_control_parselist(&out, in, len), 1);
  if (out.len != wantlen || (wantlen && memcmp(out.s, want, wantlen)))
    fail_msg("list %.*s: got %zu bytes, want %zu", (int)len, in, out.len, wantlen);
  stralloc_free(&out);
}

static void list_table(void **state)
{
  (void)state;
  expect_list("a\nb\n", 4, "a\0b", 4);
  expect_list("a\n\n# note\nb  \t\n", 15, "a\0b", 4);
  expect_list("last-without-newline", 20, "last-without-newline", 21);
  expect_list("\n\n\n", 3, "", 0);
  expect_list("", 0, "", 0);
  expect_list(" #not-comment\r\n", 15, " #not-comment", 14);
  expect_list("x\r\ny\r\n", 6, "x\0y", 4);
  expect_list("a\0b\nc\n\0\n", 9, "c", 2);
}

static void ulong_table(void **state)
{
  unsigned long n = 42;
  char big[64];
  (void)state;
  assert_int_equal(qm_control_parseulong(&n, "1200", 4), 1);
  assert_int_equal(n, 1200);
  assert_int_equal(qm_control_parseulong(&n, "", 0), 0);
  assert_int_equal(qm_control_parseulong(&n, "-1", 2), 0);
  assert_int_equal(qm_control_parseulong(&n, "12a", 3), 0);
  assert_int_equal(qm_control_parseulong(&n, " 12", 3), 0);
  assert_int_equal(n, 1200);
  snprintf(big, sizeof big, "%lu", ~0UL);
  assert_int_equal(qm_control_parseulong(&n, big, strlen(big)), 1);
  assert_true(n == ~0UL);
  strcat(big, "0");
  assert_int_equal(qm_control_parseulong(&n, big, strlen(big)), 0);
  assert_int_equal(qm_control_parseulong(&n, "99999999999999999999999", 23), 0);
}

static char dir[64];

static void writefile(char const *name, char const *s, size_t len)
{
  char path[128];
  FILE *f;
  snprintf(path, sizeof path, "%s/%s", dir, name);
  f = fopen(path, "w");
  assert_non_null(f);
  assert_int_equal(fwrite(s, 1, len, f), len);
  fclose(f);
}

static int setup(void **state)
{
  (void)state;
  strcpy(dir, "/tmp/qm_control.XXXXXX");
  if (!mkdtemp(dir)) return -1;
  return chdir(dir);
}

static int teardown(void **state)
{
  char cmd[128];
  (void)state;
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  return system(cmd);
}

static void files(void **state)
{
  stralloc sa = STRALLOC_ZERO;
  unsigned long n;
  (void)state;
  writefile("me", "mx.example.net  \nignored\n", 25);
  assert_int_equal(qm_control_readline(&sa, "me"), 1);
  assert_string_equal(sa.s, "mx.example.net");
  assert_int_equal(sa.len, 14);

  assert_int_equal(qm_control_readline(&sa, "missing"), 0);
  assert_int_equal(qm_control_readline_def(&sa, "missing", "fallback"), 0);
  assert_string_equal(sa.s, "fallback");

  writefile("empty", "", 0);
  assert_int_equal(qm_control_readline_def(&sa, "empty", "fallback"), 1);
  assert_string_equal(sa.s, "");

  writefile("num", "bogus\n", 6);
  assert_int_equal(qm_control_readulong(&n, "num", 77), 1);
  assert_int_equal(n, 77);
  writefile("num", "300\n", 4);
  assert_int_equal(qm_control_readulong(&n, "num", 77), 1);
  assert_int_equal(n, 300);
  assert_int_equal(qm_control_readulong(&n, "nonum", 77), 0);
  assert_int_equal(n, 77);

  writefile("locals", "localhost\nExample.ORG\n#c\n\n", 26);
  assert_int_equal(qm_control_readlist(&sa, "locals"), 1);
  assert_int_equal(qm_control_listhas(&sa, "example.org", 11), 1);
  assert_int_equal(qm_control_listhas(&sa, "LOCALHOST", 9), 1);
  assert_int_equal(qm_control_listhas(&sa, "example", 7), 0);
  assert_int_equal(qm_control_listhas(&sa, "#c", 2), 0);
  assert_int_equal(qm_control_listhas(&sa, "", 0), 0);

  assert_int_equal(mkdir("adir", 0700), 0);
  assert_int_equal(qm_control_readline(&sa, "adir"), -1);
  stralloc_free(&sa);
}

static void oversized(void **state)
{
  stralloc sa = STRALLOC_ZERO;
  int fd;
  (void)state;
  fd = open("huge", O_WRONLY | O_CREAT | O_TRUNC, 0600);
  assert_true(fd >= 0);
  assert_int_equal(ftruncate(fd, (off_t)QM_CONTROL_MAX + 1), 0);
  close(fd);
  errno = 0;
  assert_int_equal(qm_control_readlist(&sa, "huge"), -1);
  assert_int_equal(errno, EFBIG);
  stralloc_free(&sa);
}

static void cdb_lookup(void **state)
{
  cdbmaker cm = CDBMAKER_ZERO;
  stralloc sa = STRALLOC_ZERO;
  int fd;
  (void)state;
  fd = open("m.cdb", O_WRONLY | O_CREAT | O_TRUNC, 0600);
  assert_true(fd >= 0);
  assert_true(cdbmake_start(&cm, fd));
  assert_true(cdbmake_add(&cm, "example.com", 11, "", 0));
  assert_true(cdbmake_add(&cm, "k", 1, "value", 5));
  assert_true(cdbmake_finish(&cm));
  close(fd);
  assert_int_equal(qm_control_cdbget(0, "m.cdb", "example.com", 11), 1);
  assert_int_equal(qm_control_cdbget(&sa, "m.cdb", "k", 1), 1);
  assert_int_equal(sa.len, 5);
  assert_memory_equal(sa.s, "value", 5);
  assert_int_equal(qm_control_cdbget(0, "m.cdb", "example.net", 11), 0);
  assert_int_equal(qm_control_cdbget(0, "nothere.cdb", "k", 1), 0);
  stralloc_free(&sa);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(firstline_table),
    cmocka_unit_test(list_table),
    cmocka_unit_test(ulong_table),
    cmocka_unit_test(files),
    cmocka_unit_test(oversized),
    cmocka_unit_test(cdb_lookup),
  };
  return cmocka_run_group_tests_name("qm_control", tests, setup, teardown);
}
