/* The job heap: order by due time (ids break ties), growth past the first block,
 * SIGALRM's all-due, pop to empty. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../qmail-send/send_prioq.h"

static void order(void **state)
{
  send_prioq q = SEND_PRIOQ_ZERO;
  send_job j, prev = { 0, 0, 0 };
  uint64_t i, seed = 12345;
  (void)state;
  assert_null(send_prioq_min(&q));
  for (i = 0; i < 1000; i++) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    j.id = i; j.birth = 0; j.due = (seed >> 33) % 500;
    assert_int_equal(send_prioq_push(&q, &j), 1);
  }
  assert_int_equal(q.n, 1000);
  for (i = 0; i < 1000; i++) {
    send_prioq_pop(&q, &j);
    if (i && (j.due < prev.due || (j.due == prev.due && j.id < prev.id)))
      fail_msg("pop %llu: got due %llu id %llu after due %llu id %llu", (unsigned long long)i,
               (unsigned long long)j.due, (unsigned long long)j.id,
               (unsigned long long)prev.due, (unsigned long long)prev.id);
    prev = j;
  }
  assert_null(send_prioq_min(&q));
  send_prioq_free(&q);
}

static void alldue(void **state)
{
  send_prioq q = SEND_PRIOQ_ZERO;
  send_job j;
  uint64_t i;
  (void)state;
  for (i = 0; i < 100; i++) {
    j.id = 1000 - i; j.birth = 5; j.due = 100000 + i;
    assert_int_equal(send_prioq_push(&q, &j), 1);
  }
  send_prioq_alldue(&q, 7);
  for (i = 0; i < 100; i++) {
    send_prioq_pop(&q, &j);
    assert_int_equal(j.due, 7);
    assert_int_equal(j.birth, 5);
    assert_int_equal(j.id, 901 + i);
  }
  send_prioq_free(&q);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(order),
    cmocka_unit_test(alldue),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
