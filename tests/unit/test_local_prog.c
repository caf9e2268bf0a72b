/* Program exit codes to delivery results, and a real run of /bin/sh with the
 * message on stdin from offset 0 and the environment given. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../qmail-local/local_prog.h"

static int exited(int code) { return (code & 0xff) << 8; }   /* a wait status */

static void status_table(void **state)
{
  static struct { int code; int want; } const cases[] = {
    { 0, 0 }, { 99, 99 }, { 100, 100 }, { 64, 100 }, { 65, 100 }, { 70, 100 },
    { 76, 100 }, { 77, 100 }, { 78, 100 }, { 112, 100 }, { 111, 111 }, { 1, 111 },
    { 2, 111 }, { 66, 111 }, { 75, 111 }, { 101, 111 }, { 255, 111 }, { 98, 111 },
  };
  size_t i;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int got = local_prog_status(exited(cases[i].code));
    if (got != cases[i].want) fail_msg("exit %d: got %d want %d", cases[i].code, got, cases[i].want);
  }
}

static void real_runs(void **state)
{
  char path[] = "/tmp/test_local_prog.XXXXXX";
  char const *env[] = { "X=from env", "PATH=/usr/bin:/bin", 0 };
  int fd = mkstemp(path), wstat;
  (void)state;
  assert_true(fd >= 0);
  unlink(path);
  assert_int_equal(write(fd, "line one\nline two\n", 18), 18);
  /* stdin starts at offset 0 even though the file offset is at its end */
  assert_int_equal(local_prog_run("test \"$(head -n 1)\" = 'line one' && test \"$X\" = 'from env'",
                                  env, fd, &wstat), 1);
  assert_int_equal(local_prog_status(wstat), 0);
  assert_int_equal(local_prog_run("exit 99", env, fd, &wstat), 1);
  assert_int_equal(local_prog_status(wstat), 99);
  assert_int_equal(local_prog_run("exit 100", env, fd, &wstat), 1);
  assert_int_equal(local_prog_status(wstat), 100);
  assert_int_equal(local_prog_run("exit 111", env, fd, &wstat), 1);
  assert_int_equal(local_prog_status(wstat), 111);
  assert_int_equal(local_prog_run("kill -9 $$", env, fd, &wstat), 1);
  assert_true(WIFSIGNALED(wstat));
  assert_int_equal(local_prog_status(wstat), 111);
  /* the environment is exactly what was given */
  assert_int_equal(local_prog_run("test -z \"$HOME\"", env, fd, &wstat), 1);
  assert_int_equal(local_prog_status(wstat), 0);
  close(fd);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(status_table),
    cmocka_unit_test(real_runs),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
