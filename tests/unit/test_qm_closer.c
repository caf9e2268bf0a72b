/* Files removed with qm_unlink_later are gone at once, and every descriptor
 * handed to the closer is closed by it before long; a missing file is no error,
 * an unremovable one is, and nothing is left open either way. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "qm_closer.h"

static unsigned int open_fds(void)
{
  DIR *d = opendir("/proc/self/fd");
  unsigned int n = 0;
  if (!d) return 0;
  while (readdir(d)) n++;
  closedir(d);
  return n;
}

static void settle(void)
{
  unsigned int i;
  struct timespec t = { 0, 1000000 };
  for (i = 0; i < 2000 && qm_closer_waiting(); i++) nanosleep(&t, 0);
}

static void removes_and_closes(void **state)
{
  char dir[] = "/tmp/qm-closer.XXXXXX", path[64];
  unsigned int before, i;
  (void)state;
  assert_non_null(mkdtemp(dir));
  assert_int_equal(qm_closer_start(), 1);
  assert_int_equal(qm_closer_start(), 1);   /* once is enough */
  before = open_fds();
  for (i = 0; i < 200; i++) {
    int fd;
    snprintf(path, sizeof path, "%s/f%u", dir, i);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "some data", 9), 9);
    /* with the descriptor the caller holds, and without one */
    if (i % 2) { assert_int_equal(qm_unlink_later(path, fd), 1); }
    else { close(fd); assert_int_equal(qm_unlink_later(path, -1), 1); }
    assert_int_equal(access(path, F_OK), -1);
    assert_true(qm_closer_waiting() <= QM_CLOSER_MAX);
  }
  /* not there: no error, nothing opened */
  snprintf(path, sizeof path, "%s/none", dir);
  assert_int_equal(qm_unlink_later(path, -1), 1);
  settle();
  assert_int_equal(qm_closer_waiting(), 0);
  assert_int_equal(open_fds(), before);
  /* a directory cannot be unlinked: 0, errno kept, its descriptor closed */
  snprintf(path, sizeof path, "%s/sub", dir);
  assert_int_equal(mkdir(path, 0700), 0);
  assert_int_equal(qm_unlink_later(path, -1), 0);
  assert_true(errno == EISDIR || errno == EPERM);
  settle();
  assert_int_equal(open_fds(), before);
  assert_int_equal(rmdir(path), 0);
  assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = { cmocka_unit_test(removes_and_closes) };
  return cmocka_run_group_tests(tests, 0, 0);
}
