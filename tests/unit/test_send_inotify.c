/* inotify records for todo/: ids of created or moved-in entries are taken, other
 * names and events are not; an overflow, a watch that ended, a record cut short or
 * too many ids ask for a reading of the directory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <sys/inotify.h>
#include <cmocka.h>

#include "../../qmail-send/send_inotify.h"

static char buf[4096];
static size_t blen;

/* appends one record; name padded to a multiple of 16 bytes as the kernel does */
static void ev(uint32_t mask, char const *name)
{
  struct inotify_event e;
  size_t n = name ? strlen(name) + 1 : 0;
  memset(&e, 0, sizeof e);
  e.wd = 1; e.mask = mask; e.len = (uint32_t)(n ? (n + 15) / 16 * 16 : 0);
  memcpy(buf + blen, &e, sizeof e);
  blen += sizeof e;
  memset(buf + blen, 0, e.len);
  if (n) memcpy(buf + blen, name, n);
  blen += e.len;
}

static void takes_new_entries(void **state)
{
  uint64_t ids[8];
  int flags = -1;
  (void)state;
  blen = 0;
  ev(IN_CREATE, "123");
  ev(IN_MOVED_TO, "18446744073709551615");
  ev(IN_CREATE | IN_ISDIR, "77");      /* a directory is no entry */
  ev(IN_CREATE, "0123");               /* not an id: leading zero */
  ev(IN_CREATE, ".nfs0001");
  ev(IN_CREATE, "123456789012345678901234567890");   /* too long for an id */
  ev(IN_DELETE, "555");                /* not a mask we asked for */
  ev(IN_CREATE, "9");
  assert_int_equal(send_inotify_ids(buf, blen, ids, 8, &flags), 3);
  assert_int_equal(flags, 0);
  assert_true(ids[0] == 123);
  assert_true(ids[1] == UINT64_MAX);
  assert_true(ids[2] == 9);
  assert_int_equal(send_inotify_ids(buf, 0, ids, 8, &flags), 0);
  assert_int_equal(flags, 0);
}

static void asks_for_a_scan(void **state)
{
  uint64_t ids[2];
  int flags;
  (void)state;
  blen = 0;
  ev(IN_Q_OVERFLOW, 0);
  assert_int_equal(send_inotify_ids(buf, blen, ids, 2, &flags), 0);
  assert_int_equal(flags, SEND_INOTIFY_RESCAN);
  blen = 0;
  ev(IN_CREATE, "5");
  ev(IN_DELETE_SELF, 0);
  ev(IN_IGNORED, 0);
  assert_int_equal(send_inotify_ids(buf, blen, ids, 2, &flags), 1);
  assert_int_equal(flags, SEND_INOTIFY_RESCAN | SEND_INOTIFY_GONE);
  /* more ids than room: the first max, and a scan for the rest */
  blen = 0;
  ev(IN_CREATE, "1"); ev(IN_CREATE, "2"); ev(IN_CREATE, "3");
  assert_int_equal(send_inotify_ids(buf, blen, ids, 2, &flags), 2);
  assert_int_equal(flags, SEND_INOTIFY_RESCAN);
  assert_true(ids[0] == 1 && ids[1] == 2);
}

static void cut_records(void **state)
{
  uint64_t ids[4];
  int flags;
  size_t full, k;
  (void)state;
  blen = 0;
  ev(IN_CREATE, "41");
  ev(IN_CREATE, "42");
  full = blen;
  /* every cut inside the second record: the first id, and a scan */
  for (k = full - 1; k > full / 2; k--) {
    assert_int_equal(send_inotify_ids(buf, k, ids, 4, &flags), 1);
    assert_int_equal(flags, SEND_INOTIFY_RESCAN);
    assert_true(ids[0] == 41);
  }
  /* a name length beyond the buffer */
  blen = 0;
  ev(IN_CREATE, "43");
  {
    uint32_t big = 4000;
    memcpy(buf + offsetof(struct inotify_event, len), &big, sizeof big);
  }
  assert_int_equal(send_inotify_ids(buf, blen, ids, 4, &flags), 0);
  assert_int_equal(flags, SEND_INOTIFY_RESCAN);
  /* a name without its NUL fills its whole length and is still bounded */
  blen = 0;
  ev(IN_CREATE, "44");
  memset(buf + sizeof(struct inotify_event), '7', 16);
  assert_int_equal(send_inotify_ids(buf, blen, ids, 4, &flags), 1);
  assert_true(ids[0] == 7777777777777777ULL);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(takes_new_entries),
    cmocka_unit_test(asks_for_a_scan),
    cmocka_unit_test(cut_records),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
