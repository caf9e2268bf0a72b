/* Checked size arithmetic: the edges where unchecked code wraps. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "qm_size.h"

static void add_edges(void **state)
{
  size_t r = 7;
  (void)state;
  assert_int_equal(qm_size_add(&r, 1, 2), 1);
  assert_int_equal(r, 3);
  assert_int_equal(qm_size_add(&r, SIZE_MAX, 0), 1);
  assert_true(r == SIZE_MAX);
  r = 7;
  assert_int_equal(qm_size_add(&r, SIZE_MAX, 1), 0);
  assert_int_equal(qm_size_add(&r, SIZE_MAX - 5, 6), 0);
  assert_int_equal(qm_size_add(&r, 1, SIZE_MAX), 0);
  assert_int_equal(r, 7);
}

static void mul_edges(void **state)
{
  size_t r = 7;
  (void)state;
  assert_int_equal(qm_size_mul(&r, 0, SIZE_MAX), 1);
  assert_int_equal(r, 0);
  assert_int_equal(qm_size_mul(&r, SIZE_MAX, 1), 1);
  assert_int_equal(qm_size_mul(&r, (SIZE_MAX >> 1) + 1, 2), 0);
  assert_int_equal(qm_size_mul(&r, SIZE_MAX / 3, 3), 1);
  assert_true(r == SIZE_MAX / 3 * 3);
  assert_int_equal(qm_size_mul(&r, SIZE_MAX / 3 + 1, 3), 0);
}

static void capped(void **state)
{
  size_t acc = 90;
  (void)state;
  assert_int_equal(qm_size_add_capped(&acc, 10, 100), 1);
  assert_int_equal(acc, 100);
  assert_int_equal(qm_size_add_capped(&acc, 1, 100), 0);
  assert_int_equal(acc, 100);
  acc = 5;
  assert_int_equal(qm_size_add_capped(&acc, SIZE_MAX, 100), 0);
  assert_int_equal(qm_size_add_capped(&acc, SIZE_MAX - 4, SIZE_MAX), 0);
  assert_int_equal(qm_size_add_capped(&acc, SIZE_MAX - 5, SIZE_MAX), 1);
  assert_true(acc == SIZE_MAX);
  acc = 200;
  assert_int_equal(qm_size_add_capped(&acc, 0, 100), 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(add_edges),
    cmocka_unit_test(mul_edges),
    cmocka_unit_test(capped),
  };
  return cmocka_run_group_tests_name("qm_size", tests, 0, 0);
}
