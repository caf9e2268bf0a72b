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
    struct tm tm;
    size_t n;
    assert_non_null(gmtime_r(&cases[i].t, &tm));
    n = queue_received(buf, cases[i].pid, queue_received_who(cases[i].name), cases[i].uid, &tm);
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

/* The widest line fits the buffer, and out-of-range tm fields cannot overrun it. */
static void widest(void **state)
{
  char buf[QUEUE_RECEIVED_MAX + 8];
  struct tm tm;
  size_t n;
  (void)state;
  memset(&tm, 0, sizeof tm);
  tm.tm_year = 99999;
  tm.tm_mon = 77;
  tm.tm_mday = -5;
  tm.tm_hour = 1234;
  tm.tm_min = -1;
  tm.tm_sec = 60;
  memset(buf, 'Z', sizeof buf);
  n = queue_received(buf, (unsigned long)-1, QUEUE_WHO_UID, (unsigned long)-1, &tm);
  if (n > QUEUE_RECEIVED_MAX) fail_msg("length got %zu want at most %d", n, QUEUE_RECEIVED_MAX);
  assert_int_equal(buf[QUEUE_RECEIVED_MAX], 'Z');
  buf[n] = 0;
  assert_string_equal(buf, "Received: (qmail 18446744073709551615 invoked by uid 18446744073709551615); 1 Jan 1970 00:00:60 -0000\n");
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
