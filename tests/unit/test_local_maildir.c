/* Maildir names (unique, escaped) and real deliveries into a scratch Maildir:
 * the file lands in new/ with the right bytes, tmp/ is left empty, and a missing
 * Maildir is a reported failure. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <skalibs/stralloc.h>

#include "../../qmail-local/local_maildir.h"

static void names(void **state)
{
  static struct { unsigned long s, u, p, q; char const *host, *want; } const cases[] = {
    { 1700000000, 123456, 4711, 1, "mx1.example.org", "1700000000.M123456P4711Q1.mx1.example.org" },
    { 0, 0, 1, 2, "a/b:c", "0.M0P1Q2.a\\057b\\072c" },
    { 5, 999999, 65535, 10, "", "5.M999999P65535Q10." },
  };
  stralloc sa = STRALLOC_ZERO;
  size_t i;
  char big[LOCAL_HOST_MAX + 50];
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    sa.len = 0;
    assert_int_equal(local_maildir_name(&sa, cases[i].s, cases[i].u, cases[i].p, cases[i].q,
                                        cases[i].host), 1);
    if (sa.len != strlen(cases[i].want) || memcmp(sa.s, cases[i].want, sa.len))
      fail_msg("name %zu: got %.*s want %s", i, (int)sa.len, sa.s, cases[i].want);
  }
  /* the host part is capped */
  memset(big, 'h', sizeof big - 1);
  big[sizeof big - 1] = 0;
  sa.len = 0;
  assert_int_equal(local_maildir_name(&sa, 1, 2, 3, 4, big), 1);
  assert_int_equal(sa.len, strlen("1.M2P3Q4.") + LOCAL_HOST_MAX);
  /* no two names alike for the same second, microsecond and pid */
  {
    stralloc other = STRALLOC_ZERO;
    sa.len = 0;
    local_maildir_name(&sa, 1, 2, 3, 4, "h");
    local_maildir_name(&other, 1, 2, 3, 5, "h");
    assert_false(sa.len == other.len && !memcmp(sa.s, other.s, sa.len));
    stralloc_free(&other);
  }
  stralloc_free(&sa);
}

static size_t count(char const *dir, char *first, size_t firstlen)
{
  DIR *d = opendir(dir);
  struct dirent *e;
  size_t n = 0;
  assert_non_null(d);
  while ((e = readdir(d)))
    if (e->d_name[0] != '.') {
      if (!n && first) snprintf(first, firstlen, "%s", e->d_name);
      n++;
    }
  closedir(d);
  return n;
}

static void deliveries(void **state)
{
  char dir[] = "/tmp/test_local_maildir.XXXXXX";
  char sub[200], name[256], path[512], buf[256];
  char path2[] = "/tmp/test_local_maildir.msg.XXXXXX";
  stralloc why = STRALLOC_ZERO;
  unsigned long seq = 0;
  int fd, mfd;
  ssize_t r;
  static char const want[] = "Return-Path: <s@x>\nDelivered-To: j@e\nSubject: hi\n\nbody\n";
  (void)state;
  assert_non_null(mkdtemp(dir));
  snprintf(sub, sizeof sub, "%s/new", dir); mkdir(sub, 0700);
  snprintf(sub, sizeof sub, "%s/cur", dir); mkdir(sub, 0700);
  snprintf(sub, sizeof sub, "%s/tmp", dir); mkdir(sub, 0700);
  mfd = mkstemp(path2);
  unlink(path2);
  assert_int_equal(write(mfd, "Subject: hi\n\nbody\n", 18), 18);
  snprintf(sub, sizeof sub, "%s/", dir);
  assert_int_equal(local_maildir_deliver(sub, mfd, "Return-Path: <s@x>\n", "Delivered-To: j@e\n",
                                         "host:1", &seq, &why), 1);
  assert_int_equal(seq, 1);
  snprintf(sub, sizeof sub, "%s/new", dir);
  assert_int_equal(count(sub, name, sizeof name), 1);
  assert_non_null(strstr(name, ".host\\0721"));
  snprintf(path, sizeof path, "%s/new/%s", dir, name);
  fd = open(path, O_RDONLY);
  assert_true(fd >= 0);
  r = read(fd, buf, sizeof buf);
  close(fd);
  assert_int_equal(r, sizeof want - 1);
  assert_memory_equal(buf, want, sizeof want - 1);
  unlink(path);
  /* without the final '/', and many in a row: all distinct */
  {
    int i;
    for (i = 0; i < 20; i++)
      assert_int_equal(local_maildir_deliver(dir, mfd, "R\n", "D\n", "h", &seq, &why), 1);
    assert_int_equal(count(sub, 0, 0), 20);
  }
  snprintf(sub, sizeof sub, "%s/tmp", dir);
  assert_int_equal(count(sub, 0, 0), 0);
  /* no Maildir there */
  snprintf(sub, sizeof sub, "%s/none/", dir);
  assert_int_equal(local_maildir_deliver(sub, mfd, "R\n", "D\n", "h", &seq, &why), 0);
  assert_true(why.len > 0);
  assert_int_equal(why.s[why.len], 0);
  assert_non_null(strstr(why.s, "Unable to create"));
  close(mfd);
  snprintf(path, sizeof path, "rm -rf '%s'", dir);
  assert_int_equal(system(path), 0);
  stralloc_free(&why);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(names),
    cmocka_unit_test(deliveries),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
