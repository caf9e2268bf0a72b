/* tcpto records: byte layout, skip decision and its window, repeated timeouts,
 * success, replacement when full, hostile counts and short files. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../qmail-remote/remote_tcpto.h"

static void ip(unsigned char *a, unsigned int n)
{
  memset(a, 0, 16);
  a[10] = a[11] = 0xff;
  a[12] = 192; a[13] = 0; a[14] = (unsigned char)(n >> 8); a[15] = (unsigned char)n;
}

static void test_layout(void **state)
{
  static unsigned char f[REMOTE_TCPTO_SIZE];
  unsigned char a[16];
  remote_tcpto_rec r;
  (void)state;
  ip(a, 2);
  memcpy(r.ip, a, 16);
  r.count = 3;
  r.last = 0x0102030405060708ULL;
  remote_tcpto_put(f, 1, &r);
  assert_memory_equal(f + 32, a, 16);
  assert_int_equal(f[48], 3);
  static unsigned char const t[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
  assert_memory_equal(f + 56, t, 8);
  for (int k = 49; k < 56; k++) assert_int_equal(f[k], 0);
  remote_tcpto_get(&r, f, sizeof f, 1);
  assert_int_equal(r.count, 3);
  assert_true(r.last == 0x0102030405060708ULL);
  /* a hostile count is clamped; a short file reads as zeroes */
  f[48] = 200;
  remote_tcpto_get(&r, f, sizeof f, 1);
  assert_int_equal(r.count, REMOTE_TCPTO_COUNT_MAX);
  remote_tcpto_get(&r, f, 40, 1);
  assert_int_equal(r.count, 0);
  assert_true(r.last == 0);
}

static void test_cycle(void **state)
{
  static unsigned char f[REMOTE_TCPTO_SIZE];
  unsigned char a[16], b[16];
  uint64_t now = 1000000;
  unsigned long pid = 0;   /* wait (60 + 0) * 64 = 3840 s */
  (void)state;
  memset(f, 0, sizeof f);
  ip(a, 1); ip(b, 2);
  remote_tcpto_timedout(f, a, now);
  assert_false(remote_tcpto_skip(f, sizeof f, a, now, pid));   /* one timeout is not enough */
  remote_tcpto_timedout(f, a, now + 60);                       /* within 120 s: not counted */
  assert_false(remote_tcpto_skip(f, sizeof f, a, now + 60, pid));
  remote_tcpto_timedout(f, a, now + 200);
  assert_true(remote_tcpto_skip(f, sizeof f, a, now + 200, pid));
  assert_true(remote_tcpto_skip(f, sizeof f, a, now + 200 + 3839, pid));
  assert_false(remote_tcpto_skip(f, sizeof f, a, now + 200 + 3840, pid));
  assert_true(remote_tcpto_skip(f, sizeof f, a, now + 200 + 3840, 31));   /* 91*64 s for pid 31 */
  assert_true(remote_tcpto_skip(f, sizeof f, a, now, pid));   /* clock went back */
  assert_false(remote_tcpto_skip(f, sizeof f, b, now + 200, pid));
  assert_int_equal(remote_tcpto_ok(f, a), 1);
  assert_false(remote_tcpto_skip(f, sizeof f, a, now + 200, pid));
  assert_int_equal(remote_tcpto_ok(f, a), 0);
}

static void test_full(void **state)
{
  static unsigned char f[REMOTE_TCPTO_SIZE];
  unsigned char a[16];
  unsigned int i;
  remote_tcpto_rec r;
  (void)state;
  memset(f, 0, sizeof f);
  for (i = 0; i < REMOTE_TCPTO_RECORDS; i++) { ip(a, i); remote_tcpto_timedout(f, a, 10000 + i); }
  ip(a, 500);
  remote_tcpto_timedout(f, a, 20000);
  /* the oldest record (ip 0, at 10000) made room */
  remote_tcpto_get(&r, f, sizeof f, 0);
  assert_memory_equal(r.ip, a, 16);
  assert_int_equal(r.count, 1);
  for (i = 1; i < REMOTE_TCPTO_RECORDS; i++) {
    remote_tcpto_get(&r, f, sizeof f, i);
    ip(a, i);
    if (memcmp(r.ip, a, 16)) fail_msg("record %u was replaced", i);
  }
}

/* qmail-tcpto's listing: only records with timeouts, IPv4 and IPv6, a clock that
 * went back, a hostile count, a short file. */
static void test_list(void **state)
{
  static unsigned char f[REMOTE_TCPTO_SIZE];
  unsigned char a[16];
  remote_tcpto_rec r;
  stralloc sa = STRALLOC_ZERO;
  static char const want[] =
    "192.0.0.5 timed out 100 seconds ago; # recent timeouts: 2\n"
    "2001:db8::7 timed out 0 seconds ago; # recent timeouts: 1\n"
    "192.0.0.9 timed out 1000 seconds ago; # recent timeouts: 10\n";
  (void)state;
  memset(f, 0, sizeof f);
  ip(a, 4);  memcpy(r.ip, a, 16); r.count = 0; r.last = 900; remote_tcpto_put(f, 0, &r);
  ip(a, 5);  memcpy(r.ip, a, 16); r.count = 2; r.last = 900; remote_tcpto_put(f, 1, &r);
  memset(r.ip, 0, 16); r.ip[0] = 0x20; r.ip[1] = 0x01; r.ip[2] = 0x0d; r.ip[3] = 0xb8; r.ip[15] = 7;
  r.count = 1; r.last = 5000; remote_tcpto_put(f, 2, &r);
  ip(a, 9);  memcpy(r.ip, a, 16); r.count = 3; r.last = 0; remote_tcpto_put(f, 63, &r);
  f[63 * REMOTE_TCPTO_RECLEN + 16] = 200;   /* hostile count: clamped */
  assert_int_equal(remote_tcpto_list(&sa, f, sizeof f, 1000), 1);
  if (sa.len != sizeof want - 1 || memcmp(sa.s, want, sa.len))
    fail_msg("got '%.*s', want '%s'", (int)sa.len, sa.s, want);
  sa.len = 0;
  assert_int_equal(remote_tcpto_list(&sa, f, REMOTE_TCPTO_RECLEN + 17, 1000), 1);
  /* cut after the count: the time reads as 0 */
  if (sa.len != 59 || memcmp(sa.s, "192.0.0.5 timed out 1000 seconds ago; # recent timeouts: 2\n", 59))
    fail_msg("short file: got '%.*s'", (int)sa.len, sa.s);
  sa.len = 0;
  assert_int_equal(remote_tcpto_list(&sa, f, 0, 1000), 1);
  assert_int_equal(sa.len, 0);
  stralloc_free(&sa);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_layout),
    cmocka_unit_test(test_cycle),
    cmocka_unit_test(test_full),
    cmocka_unit_test(test_list),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
