/* qmail-queue's Received line: each caller wording, date edges (day not padded,
 * midnight, the last second of a year), the widest numbers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "qm_conf.h"
#include "../../qmail-queue/queue_received.h"

struct rcase {
  unsigned long pid;
  char const *name;       /* the caller's account, 0 for none */
  unsigned long uid;
  time_t t;
  char const *want;
};

static struct rcase const cases[] = {
  { 4711, QM_USER_QMAILD, 995, 1704272707, "Received: (qmail 4711 invoked from network); 3 Jan 2024 09:05:07 -0000\n" },
  { 1, QM_USER_ALIAS, 999, 0, "Received: (qmail 1 invoked by alias); 1 Jan 1970 00:00:00 -0000\n" },
  { 22, QM_USER_QMAILS, 988, 1735689599, "Received: (qmail 22 invoked for bounce); 31 Dec 2024 23:59:59 -0000\n" },
  { 333, "joe", 1000, 951782400, "Received: (qmail 333 invoked by uid 1000); 29 Feb 2000 00:00:00 -0000\n" },
  { 9, 0, 65534, 1700000000, "Received: (qmail 9 invoked by uid 65534); 14 Nov 2023 22:13:20 -0000\n" },
  { 4294967295UL, QM_USER_QMAILQ, 0, 1000000000, "Received: (qmail 4294967295 invoked by uid 0); 9 Sep 2001 01:46:40 -0000\n" },
};

static void table(void **state)
{
  size_t i;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char buf[QUEUE_RECEIVED_MAX + 1];
    size_t n;
    n = queue_received(buf, cases[i].pid, queue_received_who(cases[i].name), cases[i].uid, cases[i].t);
    buf[n] = 0;
    if (strcmp(buf, cases[i].want)) fail_msg("case %zu: got \"%s\" want \"%s\"", i, buf, cases[i].want);
  }
}

static void who(void **state)
{
  (void)state;
  assert_int_equal(queue_received_who(QM_USER_ALIAS), QUEUE_WHO_ALIAS);
  assert_int_equal(queue_received_who(QM_USER_QMAILD), QUEUE_WHO_NETWORK);
  assert_int_equal(queue_received_who(QM_USER_QMAILS), QUEUE_WHO_BOUNCE);
  assert_int_equal(queue_received_who(QM_USER_ROOT), QUEUE_WHO_UID);
  assert_int_equal(queue_received_who(""), QUEUE_WHO_UID);
  assert_int_equal(queue_received_who(0), QUEUE_WHO_UID);
  /* a prefix is not the account */
  assert_int_equal(queue_received_who(QM_USER_QMAILD "x"), QUEUE_WHO_UID);
}

/* The widest line fits the buffer: both numbers at their maximum and the far end of
 * time_t, whose year has twelve digits. */
static void widest(void **state)
{
  char buf[QUEUE_RECEIVED_MAX + 8];
  time_t far = (time_t)(((uint64_t)1 << (sizeof(time_t) * 8 - 1)) - 1);
  size_t n;
  (void)state;
  memset(buf, 'Z', sizeof buf);
  n = queue_received(buf, (unsigned long)-1, QUEUE_WHO_UID, (unsigned long)-1, far);
  if (n > QUEUE_RECEIVED_MAX) fail_msg("length got %zu want at most %d", n, (int)QUEUE_RECEIVED_MAX);
  assert_int_equal(buf[QUEUE_RECEIVED_MAX], 'Z');
  buf[n] = 0;
  assert_string_equal(buf, "Received: (qmail 18446744073709551615 invoked by uid 18446744073709551615); 4 Dec 292277026596 15:30:07 -0000\n");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(table),
    cmocka_unit_test(who),
    cmocka_unit_test(widest),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
