/* The per-domain waiting list: oldest first per domain, case-blind domains, a cap
 * on how many one wake takes, the rest keeping their order, take-all, limits. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../qmail-send/send_waitq.h"

static void push(send_waitq *q, uint64_t id, uint64_t at, char const *dom)
{
  send_job j;
  j.id = id; j.birth = id * 10; j.due = at;
  assert_int_equal(send_waitq_push(q, &j, dom), 1);
}

static void per_domain_fifo(void **state)
{
  send_waitq q = SEND_WAITQ_ZERO;
  send_job out[8];
  (void)state;
  assert_int_equal(send_waitq_oldest(&q), UINT64_MAX);
  assert_int_equal(send_waitq_take(&q, "a.example", out, 8), 0);
  push(&q, 1, 100, "a.example");
  push(&q, 2, 101, "b.example");
  push(&q, 3, 102, "A.Example");
  push(&q, 4, 103, "a.example");
  push(&q, 5, 104, "b.example");
  assert_int_equal(send_waitq_oldest(&q), 100);
  /* a wake takes no more than the slots that came free, oldest first */
  assert_int_equal(send_waitq_take(&q, "A.EXAMPLE", out, 2), 2);
  assert_int_equal(out[0].id, 1);
  assert_int_equal(out[0].birth, 10);
  assert_int_equal(out[1].id, 3);
  assert_int_equal(q.n, 3);
  assert_int_equal(send_waitq_oldest(&q), 101);
  /* an unknown domain takes nothing and disturbs nothing */
  assert_int_equal(send_waitq_take(&q, "c.example", out, 8), 0);
  assert_int_equal(send_waitq_take(&q, "a.example.", out, 8), 0);
  assert_int_equal(q.n, 3);
  /* the rest kept their order */
  assert_int_equal(send_waitq_take(&q, 0, out, 8), 3);
  assert_int_equal(out[0].id, 2);
  assert_int_equal(out[1].id, 4);
  assert_int_equal(out[2].id, 5);
  assert_int_equal(q.n, 0);
  assert_int_equal(send_waitq_oldest(&q), UINT64_MAX);
  send_waitq_free(&q);
}

static void many_and_limits(void **state)
{
  send_waitq q = SEND_WAITQ_ZERO;
  send_job out[4];
  char big[SEND_WAITQ_DOM_MAX + 2];
  send_job j = { 9, 9, 9 };
  uint64_t i, next = 0;
  (void)state;
  for (i = 0; i < 5000; i++) push(&q, i, i, i % 2 ? "odd.example" : "even.example");
  /* zero slots free: nothing moves */
  assert_int_equal(send_waitq_take(&q, "odd.example", out, 0), 0);
  while (send_waitq_take(&q, "odd.example", out, 3) == 3) {
    assert_int_equal(out[0].id, 2 * next + 1);
    next += 3;
  }
  assert_int_equal(q.n, 2500);
  assert_int_equal(send_waitq_oldest(&q), 0);
  /* the domain limit: at it accepted, over it refused with EINVAL */
  memset(big, 'x', sizeof big - 1);
  big[SEND_WAITQ_DOM_MAX] = 0;
  assert_int_equal(send_waitq_push(&q, &j, big), 1);
  big[SEND_WAITQ_DOM_MAX] = 'x';
  big[SEND_WAITQ_DOM_MAX + 1] = 0;
  errno = 0;
  assert_int_equal(send_waitq_push(&q, &j, big), 0);
  assert_int_equal(errno, EINVAL);
  assert_int_equal(send_waitq_push(&q, &j, ""), 1);
  assert_int_equal(q.n, 2502);
  send_waitq_free(&q);
  assert_int_equal(q.n, 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(per_domain_fifo),
    cmocka_unit_test(many_and_limits),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
