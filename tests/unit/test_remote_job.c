/* The job a qmail-remote worker is handed: round trips at the limits, jobs that
 * cannot be written, and a table of malformed datagrams plus every truncation of
 * a good one, none of which may read as a job. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../qmail-remote/remote_job.h"

static char buf[REMOTE_JOB_MAX + 16];
static char const *argv[REMOTE_JOB_ARGV_MAX];

static void round_trip(void **state)
{
  char const *rcpt[] = { "a@sink.test", "b@sink.test" };
  size_t n;
  (void)state;
  n = remote_job_fmt(buf, sizeof buf, "sink.test", "bench@example.org", rcpt, 2);
  assert_int_equal(n, sizeof "sink.test" + sizeof "bench@example.org" + 2 * sizeof "a@sink.test");
  assert_int_equal(remote_job_parse(argv, buf, n), 5);
  assert_string_equal(argv[0], "qmail-remote");
  assert_string_equal(argv[1], "sink.test");
  assert_string_equal(argv[2], "bench@example.org");
  assert_string_equal(argv[3], "a@sink.test");
  assert_string_equal(argv[4], "b@sink.test");
  assert_null(argv[5]);
  /* the null sender of a bounce is an empty field, and stays one */
  n = remote_job_fmt(buf, sizeof buf, "sink.test", "", rcpt, 1);
  assert_int_equal(remote_job_parse(argv, buf, n), 4);
  assert_string_equal(argv[2], "");
  assert_string_equal(argv[3], "a@sink.test");
}

/* the largest job qmail-send can ask for fits, and reads back */
static void limits(void **state)
{
  static char host[REMOTE_CONN_HOST_MAX + 2], field[SEND_FIELD_MAX + 2];
  static char rcptbuf[REMOTE_JOB_RCPTS_MAX][SEND_RCPTS_BYTES / REMOTE_JOB_RCPTS_MAX];
  char const *rcpt[REMOTE_JOB_RCPTS_MAX + 1];
  unsigned int i;
  size_t n;
  (void)state;
  memset(host, 'h', REMOTE_CONN_HOST_MAX); host[REMOTE_CONN_HOST_MAX] = 0;
  memset(field, 's', SEND_FIELD_MAX); field[SEND_FIELD_MAX] = 0;
  for (i = 0; i < REMOTE_JOB_RCPTS_MAX; i++) {
    memset(rcptbuf[i], 'r', sizeof rcptbuf[i] - 1);
    rcptbuf[i][sizeof rcptbuf[i] - 1] = 0;
    rcpt[i] = rcptbuf[i];
  }
  rcpt[REMOTE_JOB_RCPTS_MAX] = "x@y";
  n = remote_job_fmt(buf, sizeof buf, host, field, rcpt, REMOTE_JOB_RCPTS_MAX);
  assert_int_equal(n, REMOTE_CONN_HOST_MAX + 1 + SEND_FIELD_MAX + 1 + sizeof rcptbuf);
  assert_true(n <= REMOTE_JOB_MAX);
  assert_int_equal(remote_job_parse(argv, buf, n), 3 + REMOTE_JOB_RCPTS_MAX);
  assert_int_equal(strlen(argv[1]), REMOTE_CONN_HOST_MAX);
  assert_int_equal(strlen(argv[2]), SEND_FIELD_MAX);
  assert_null(argv[3 + REMOTE_JOB_RCPTS_MAX]);
  /* one recipient too many, a host or a field one byte too long, no room */
  assert_int_equal(remote_job_fmt(buf, sizeof buf, "h", "s", rcpt, REMOTE_JOB_RCPTS_MAX + 1), 0);
  assert_int_equal(remote_job_fmt(buf, sizeof buf, "h", "s", rcpt, 0), 0);
  host[REMOTE_CONN_HOST_MAX] = 'h'; host[REMOTE_CONN_HOST_MAX + 1] = 0;
  assert_int_equal(remote_job_fmt(buf, sizeof buf, host, "s", rcpt, 1), 0);
  field[SEND_FIELD_MAX] = 's'; field[SEND_FIELD_MAX + 1] = 0;
  assert_int_equal(remote_job_fmt(buf, sizeof buf, "h", field, rcpt, 1), 0);
  rcpt[0] = field;
  assert_int_equal(remote_job_fmt(buf, sizeof buf, "h", "s", rcpt, 1), 0);
  rcpt[0] = "";
  assert_int_equal(remote_job_fmt(buf, sizeof buf, "h", "s", rcpt, 1), 0);
  rcpt[0] = "a@b";
  assert_int_equal(remote_job_fmt(buf, sizeof buf, "", "s", rcpt, 1), 0);
  assert_int_equal(remote_job_fmt(buf, 8, "h", "s", rcpt, 1), 8);
  assert_int_equal(remote_job_fmt(buf, 7, "h", "s", rcpt, 1), 0);
  /* too long to be a job at all, and a parse of a too-long field */
  memset(buf, 'x', sizeof buf); buf[sizeof buf - 1] = 0;
  assert_int_equal(remote_job_parse(argv, buf, sizeof buf), -1);
  memcpy(buf, "h\0s\0", 4); memset(buf + 4, 'r', SEND_FIELD_MAX + 1); buf[4 + SEND_FIELD_MAX + 1] = 0;
  assert_int_equal(remote_job_parse(argv, buf, 4 + SEND_FIELD_MAX + 2), -1);
  buf[4 + SEND_FIELD_MAX] = 0;
  assert_int_equal(remote_job_parse(argv, buf, 4 + SEND_FIELD_MAX + 1), 4);
}

static void malformed(void **state)
{
  static struct { char const *s; size_t len; } const bad[] = {
    { "", 0 },
    { "\0", 1 },
    { "h\0s\0", 4 },                   /* no recipient */
    { "h\0s\0r", 5 },                  /* no final NUL */
    { "\0s\0r\0", 5 },                 /* empty host */
    { "h\0s\0\0", 5 },                 /* empty recipient */
    { "h\0s\0r\0\0", 7 },              /* an empty one after a good one */
  };
  char const *good = "sink.test\0bench@example.org\0a@sink.test\0b@sink.test\0";
  size_t goodlen = 10 + 18 + 12 + 12, i;
  (void)state;
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    memcpy(buf, bad[i].s, bad[i].len);
    assert_int_equal(remote_job_parse(argv, buf, bad[i].len), -1);
  }
  /* 101 recipients: one more than a command may have */
  {
    size_t n = 4;
    memcpy(buf, "h\0s\0", 4);
    for (i = 0; i <= REMOTE_JOB_RCPTS_MAX; i++) { memcpy(buf + n, "r\0", 2); n += 2; }
    assert_int_equal(remote_job_parse(argv, buf, n), -1);
    assert_int_equal(remote_job_parse(argv, buf, n - 2), 3 + REMOTE_JOB_RCPTS_MAX);
  }
  /* every truncation of a good job: either not a job, or the job of fewer recipients */
  memcpy(buf, good, goodlen);
  assert_int_equal(remote_job_parse(argv, buf, goodlen), 5);
  for (i = 0; i < goodlen; i++) {
    int r = remote_job_parse(argv, buf, i);
    if (i == 10 + 18 + 12) assert_int_equal(r, 4);
    else assert_int_equal(r, -1);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(round_trip),
    cmocka_unit_test(limits),
    cmocka_unit_test(malformed),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
