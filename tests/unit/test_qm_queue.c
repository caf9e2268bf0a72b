/* Queue names and id parsing: split arithmetic, the widest ids, strict names;
 * directory fsync and the trigger pull on a scratch queue. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "qm_queue.h"

static void paths(void **state)
{
  char buf[QM_QUEUE_PATH_MAX], want[128];
  unsigned long ids[] = { 0, 1, QM_SPLIT - 1, QM_SPLIT, 1048623, ULONG_MAX };
  size_t i, n;
  (void)state;
  for (i = 0; i < sizeof ids / sizeof ids[0]; i++) {
    unsigned long id = ids[i];
    n = qm_queue_mess(buf, id);
    snprintf(want, sizeof want, "mess/%lu/%lu", id % QM_SPLIT, id);
    if (strcmp(buf, want) || n != strlen(want)) fail_msg("mess: got %s want %s", buf, want);
    n = qm_queue_remote(buf, id);
    snprintf(want, sizeof want, "remote/%lu/%lu", id % QM_SPLIT, id);
    if (strcmp(buf, want) || n != strlen(want)) fail_msg("remote: got %s want %s", buf, want);
    qm_queue_info(buf, id);
    snprintf(want, sizeof want, "info/%lu/%lu", id % QM_SPLIT, id);
    if (strcmp(buf, want)) fail_msg("info: got %s want %s", buf, want);
    qm_queue_local(buf, id);
    snprintf(want, sizeof want, "local/%lu/%lu", id % QM_SPLIT, id);
    if (strcmp(buf, want)) fail_msg("local: got %s want %s", buf, want);
    qm_queue_intd(buf, id);
    snprintf(want, sizeof want, "intd/%lu", id);
    if (strcmp(buf, want)) fail_msg("intd: got %s want %s", buf, want);
    qm_queue_todo(buf, id);
    snprintf(want, sizeof want, "todo/%lu", id);
    if (strcmp(buf, want)) fail_msg("todo: got %s want %s", buf, want);
    qm_queue_bounce(buf, id);
    snprintf(want, sizeof want, "bounce/%lu", id);
    if (strcmp(buf, want)) fail_msg("bounce: got %s want %s", buf, want);
    n = qm_queue_path_splitdir(buf, "mess", id);
    snprintf(want, sizeof want, "mess/%lu", id % QM_SPLIT);
    if (strcmp(buf, want) || n != strlen(want)) fail_msg("splitdir: got %s want %s", buf, want);
  }
}

static void scanid(void **state)
{
  static struct { char const *s; int ok; unsigned long id; } const cases[] = {
    { "0", 1, 0 }, { "7", 1, 7 }, { "1048623", 1, 1048623 },
    { "18446744073709551615", 1, ULONG_MAX },
    { "18446744073709551616", 0, 0 }, { "99999999999999999999", 0, 0 },
    { "", 0, 0 }, { ".", 0, 0 }, { "..", 0, 0 }, { "012", 0, 0 }, { "00", 0, 0 },
    { "-1", 0, 0 }, { "+1", 0, 0 }, { "12a", 0, 0 }, { "12 ", 0, 0 }, { " 12", 0, 0 },
    { "1\n", 0, 0 }, { "12.tmp", 0, 0 }, { "\xff", 0, 0 },
  };
  size_t i;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    unsigned long id = 4242;
    int ok = qm_queue_scanid(cases[i].s, &id);
    if (ok != cases[i].ok) fail_msg("scanid(\"%s\"): got %d want %d", cases[i].s, ok, cases[i].ok);
    if (ok && id != cases[i].id) fail_msg("scanid(\"%s\"): id got %lu want %lu", cases[i].s, id, cases[i].id);
    if (!ok && id != 4242) fail_msg("scanid(\"%s\"): touched the id on failure", cases[i].s);
  }
}

static void fsyncdir_and_trigger(void **state)
{
  char tmpl[] = "/tmp/test_qm_queue.XXXXXX";
  char old[4096];
  char *dir = mkdtemp(tmpl);
  int rfd;
  char c = 'x';
  (void)state;
  assert_non_null(dir);
  assert_non_null(getcwd(old, sizeof old));
  assert_int_equal(chdir(dir), 0);
  assert_int_equal(qm_queue_fsyncdir("."), 1);
  errno = 0;
  assert_int_equal(qm_queue_fsyncdir("nosuchdir"), 0);
  assert_int_equal(errno, ENOENT);
  /* no lock/ at all: an error the caller may ignore */
  assert_int_equal(qm_queue_trigger(), 0);
  assert_int_equal(mkdir("lock", 0700), 0);
  assert_int_equal(mkfifo("lock/trigger", 0600), 0);
  /* nobody listening: ENXIO is fine */
  assert_int_equal(qm_queue_trigger(), 1);
  rfd = open("lock/trigger", O_RDONLY | O_NONBLOCK);
  assert_true(rfd >= 0);
  assert_int_equal(qm_queue_trigger(), 1);
  assert_int_equal(read(rfd, &c, 1), 1);
  assert_int_equal(c, 0);
  close(rfd);
  unlink("lock/trigger");
  rmdir("lock");
  assert_int_equal(chdir(old), 0);
  assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(paths),
    cmocka_unit_test(scanid),
    cmocka_unit_test(fsyncdir_and_trigger),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
