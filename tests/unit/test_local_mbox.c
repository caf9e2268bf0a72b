/* mboxrd quoting fed whole, byte by byte and in odd pieces; and real deliveries to
 * a scratch mbox: the lines written, appending, and truncation after a failure. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <skalibs/stralloc.h>

#include "../../qmail-local/local_mbox.h"

static int to_sa(void *ctx, char const *s, size_t n)
{
  return stralloc_catb(ctx, s, n);
}

static void quote(stralloc *out, char const *in, size_t len, size_t step)
{
  local_mboxq q;
  size_t i;
  out->len = 0;
  local_mboxq_init(&q);
  for (i = 0; i < len; i += step)
    assert_int_equal(local_mboxq_feed(&q, in + i, len - i < step ? len - i : step, &to_sa, out), 1);
  assert_int_equal(local_mboxq_end(&q, &to_sa, out), 1);
}

#define T(s) s, sizeof s - 1

static void quoting_table(void **state)
{
  static struct { char const *in; size_t inlen; char const *want; size_t wantlen; } const cases[] = {
    { T("a\nb\n"), T("a\nb\n\n") },
    { T("From x\n"), T(">From x\n\n") },
    { T(">From x\n"), T(">>From x\n\n") },
    { T(">>>From x\n"), T(">>>>From x\n\n") },
    { T("From\n"), T("From\n\n") },
    { T("Fromx\n"), T("Fromx\n\n") },
    { T("from x\n"), T("from x\n\n") },
    { T(" From x\n"), T(" From x\n\n") },
    { T("a From x\n"), T("a From x\n\n") },
    { T(">>\n"), T(">>\n\n") },
    { T(">F"), T(">F\n\n") },
    { T("From "), T(">From \n\n") },
    { T("no newline"), T("no newline\n\n") },
    { T(""), T("\n") },
    { T("\n"), T("\n\n") },
    { T("x\n\nFrom y\nFrom z\n"), T("x\n\n>From y\n>From z\n\n") },
    { T("a\0b\nFrom \0\n"), T("a\0b\n>From \0\n\n") },
    { T("\xff" "From\n>\n"), T("\xff" "From\n>\n\n") },
  };
  stralloc out = STRALLOC_ZERO;
  size_t i, steps[] = { 0, 1, 2, 3, 7 }, k;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
    for (k = 0; k < sizeof steps / sizeof steps[0]; k++) {
      size_t step = steps[k] ? steps[k] : (cases[i].inlen ? cases[i].inlen : 1);
      quote(&out, cases[i].in, cases[i].inlen, step);
      if (out.len != cases[i].wantlen || memcmp(out.s, cases[i].want, out.len))
        fail_msg("case %zu step %zu: got \"%.*s\" want \"%s\"", i, step, (int)out.len, out.s,
                 cases[i].want);
    }
  stralloc_free(&out);
}

static void long_gt_run(void **state)
{
  size_t n = 100000;
  char *in = malloc(n + 8);
  stralloc out = STRALLOC_ZERO;
  (void)state;
  memset(in, '>', n);
  memcpy(in + n, "From x\n", 7);
  quote(&out, in, n + 7, 4096);
  assert_int_equal(out.len, n + 1 + 7 + 1);
  assert_int_equal(out.s[0], '>');
  assert_memory_equal(out.s + n + 1, "From x\n\n", 8);
  quote(&out, in, n, 4096);   /* a run of '>' with no From: unchanged */
  assert_int_equal(out.len, n + 2);
  free(in);
  stralloc_free(&out);
}

static int msgfile(char const *text)
{
  char path[] = "/tmp/test_local_mbox.msg.XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  unlink(path);
  assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  return fd;
}

static void slurp(char const *path, stralloc *sa)
{
  char buf[4096];
  int fd = open(path, O_RDONLY);
  ssize_t r;
  sa->len = 0;
  assert_true(fd >= 0);
  while ((r = read(fd, buf, sizeof buf)) > 0) stralloc_catb(sa, buf, (size_t)r);
  close(fd);
}

static void deliveries(void **state)
{
  char dir[] = "/tmp/test_local_mbox.XXXXXX";
  stralloc path = STRALLOC_ZERO, why = STRALLOC_ZERO, got = STRALLOC_ZERO;
  static char const want1[] =
    "From s@x Thu Jan 01 00:00:00 1970\nReturn-Path: <s@x>\nDelivered-To: j@e\n"
    "Subject: a\n\n>From here\nlast";
  struct stat st;
  int fd;
  (void)state;
  assert_non_null(mkdtemp(dir));
  stralloc_cats(&path, dir); stralloc_cats(&path, "/mbox"); stralloc_0(&path);
  fd = msgfile("Subject: a\n\nFrom here\nlast");
  assert_int_equal(local_mbox_deliver(path.s, fd, "From s@x Thu Jan 01 00:00:00 1970\n",
                                      "Return-Path: <s@x>\n", "Delivered-To: j@e\n", &why), 1);
  slurp(path.s, &got);
  assert_int_equal(got.len, sizeof want1 - 1 + 2);
  assert_memory_equal(got.s, want1, sizeof want1 - 1);
  assert_memory_equal(got.s + sizeof want1 - 1, "\n\n", 2);
  assert_int_equal(stat(path.s, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  /* a second delivery appends */
  assert_int_equal(local_mbox_deliver(path.s, fd, "From s@x Thu Jan 01 00:00:00 1970\n",
                                      "Return-Path: <s@x>\n", "Delivered-To: j@e\n", &why), 1);
  slurp(path.s, &got);
  assert_int_equal(got.len, 2 * (sizeof want1 + 1));
  close(fd);
  /* an unreadable message: the mbox is truncated back to where it was */
  fd = open("/dev/null", O_WRONLY);
  assert_int_equal(local_mbox_deliver(path.s, fd, "From s@x Thu Jan 01 00:00:00 1970\n",
                                      "Return-Path: <s@x>\n", "Delivered-To: j@e\n", &why), 0);
  close(fd);
  assert_true(why.len > 0);
  slurp(path.s, &got);
  assert_int_equal(got.len, 2 * (sizeof want1 + 1));
  /* an mbox that cannot be opened */
  path.len = 0;
  stralloc_cats(&path, dir); stralloc_cats(&path, "/no/such/mbox"); stralloc_0(&path);
  fd = msgfile("x\n");
  assert_int_equal(local_mbox_deliver(path.s, fd, "F\n", "R\n", "D\n", &why), 0);
  assert_true(why.len > 0);
  assert_int_equal(why.s[why.len], 0);
  assert_non_null(strstr(why.s, "Unable to open"));
  close(fd);
  path.len = 0;
  stralloc_cats(&path, dir); stralloc_cats(&path, "/mbox"); stralloc_0(&path);
  unlink(path.s);
  rmdir(dir);
  stralloc_free(&path); stralloc_free(&why); stralloc_free(&got);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(quoting_table),
    cmocka_unit_test(long_gt_run),
    cmocka_unit_test(deliveries),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
