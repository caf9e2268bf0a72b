/* The retry schedule: isqrt against a slow reference, qmail's published attempt
 * times for local and remote, the lifetime edge, and times near the limits. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../qmail-send/send_retry.h"

static void isqrt_table(void **state)
{
  static uint64_t const in[] = { 0, 1, 2, 3, 4, 8, 9, 15, 16, 17, 99, 100, 101,
                                 4294967295ULL, 4294967296ULL, 18446744065119617025ULL,
                                 18446744073709551615ULL };
  static uint64_t const want[] = { 0, 1, 1, 1, 2, 2, 3, 3, 4, 4, 9, 10, 10,
                                   65535, 65536, 4294967295ULL, 4294967295ULL };
  size_t i;
  (void)state;
  for (i = 0; i < sizeof in / sizeof in[0]; i++) {
    uint64_t r = send_isqrt(in[i]);
    if (r != want[i]) fail_msg("isqrt(%llu): got %llu, want %llu",
                               (unsigned long long)in[i], (unsigned long long)r,
                               (unsigned long long)want[i]);
  }
}

static void isqrt_property(void **state)
{
  uint64_t x;
  (void)state;
  /* r*r <= x < (r+1)^2 over a spread of values */
  for (x = 1; x < ((uint64_t)1 << 62); x = x * 3 + 7) {
    uint64_t r = send_isqrt(x);
    if (r * r > x || (r + 1) * (r + 1) <= x)
      fail_msg("isqrt(%llu) = %llu is wrong", (unsigned long long)x, (unsigned long long)r);
  }
}

/* Attempt k falls at (c*k)^2 seconds after birth when every pass runs on time. */
static void schedule_on_time(void **state)
{
  static unsigned int const cs[] = { SEND_RETRY_C_LOCAL, SEND_RETRY_C_REMOTE };
  size_t j;
  (void)state;
  for (j = 0; j < 2; j++) {
    uint64_t birth = 1700000000, t = birth, k;
    for (k = 1; k < 60; k++) {
      uint64_t next = send_retry_next(birth, t, cs[j]);
      uint64_t want = birth + (cs[j] * k) * (cs[j] * k);
      if (next != want) fail_msg("c=%u attempt %llu: got +%llu, want +%llu", cs[j],
                                 (unsigned long long)k, (unsigned long long)(next - birth),
                                 (unsigned long long)(want - birth));
      t = next;
    }
  }
  /* qmail's published figures: local 100 s, 400 s, 15 min; remote 6.7 min, 26.7 min */
  assert_int_equal(send_retry_next(0, 0, 10), 100);
  assert_int_equal(send_retry_next(0, 100, 10), 400);
  assert_int_equal(send_retry_next(0, 400, 10), 900);
  assert_int_equal(send_retry_next(0, 0, 20), 400);
  assert_int_equal(send_retry_next(0, 400, 20), 1600);
}

static void schedule_late_and_odd(void **state)
{
  (void)state;
  /* a pass that ran late lands on the next square: isqrt(150)=12 -> (22)^2 */
  assert_int_equal(send_retry_next(1000, 1150, 10), 1000 + 484);
  /* clock went back: as if the pass ran at birth */
  assert_int_equal(send_retry_next(1000, 10, 10), 1100);
  /* saturates rather than wrapping */
  assert_true(send_retry_next(UINT64_MAX - 5, UINT64_MAX, 20) == UINT64_MAX);
  assert_true(send_retry_next(0, UINT64_MAX, 20) == UINT64_MAX);
  assert_true(send_retry_next(0, UINT64_MAX, 0) > ((uint64_t)1 << 63));
}

static void lifetime_edge(void **state)
{
  (void)state;
  assert_int_equal(send_retry_dying(1000, 1000 + 604800, 604800), 0);
  assert_int_equal(send_retry_dying(1000, 1000 + 604801, 604800), 1);
  assert_int_equal(send_retry_dying(1000, 999, 0), 0);
  assert_int_equal(send_retry_dying(1000, 1001, 0), 1);
  assert_int_equal(send_retry_dying(10, UINT64_MAX, UINT64_MAX), 0);
  /* the number of local attempts in a week: 78 plus the final one */
  {
    uint64_t t = 0, n = 1;
    while (!send_retry_dying(0, t, 604800)) { t = send_retry_next(0, t, 10); n++; }
    assert_int_equal(n, 79);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(isqrt_table),
    cmocka_unit_test(isqrt_property),
    cmocka_unit_test(schedule_on_time),
    cmocka_unit_test(schedule_late_and_odd),
    cmocka_unit_test(lifetime_edge),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
