/* Jobs for qmail-remote workers: every field checked against the limits
 * qmail-send's own commands obey, before anything is written or believed. */
#include <string.h>

#include "remote_job.h"

static int field_ok(size_t len, size_t min, size_t max)
{
  return len >= min && len <= max;
}

size_t remote_job_fmt(char *buf, size_t max, char const *host, char const *sender,
  char const *const *rcpt, unsigned int n)
{
  char const *f[2 + REMOTE_JOB_RCPTS_MAX];
  size_t len = 0;
  unsigned int i;
  if (!n || n > REMOTE_JOB_RCPTS_MAX) return 0;
  f[0] = host; f[1] = sender;
  for (i = 0; i < n; i++) f[2 + i] = rcpt[i];
  for (i = 0; i < n + 2; i++) {
    size_t l = strlen(f[i]);
    if (!field_ok(l, i == 1 ? 0 : 1, i == 0 ? REMOTE_CONN_HOST_MAX : SEND_FIELD_MAX)) return 0;
    if (l + 1 > max - len) return 0;
    memcpy(buf + len, f[i], l + 1);
    len += l + 1;
  }
  return len <= REMOTE_JOB_MAX ? len : 0;
}

int remote_job_parse(char const **argv, char const *buf, size_t len)
{
  size_t off = 0;
  int n = 0;
  if (!len || len > REMOTE_JOB_MAX || buf[len - 1]) return -1;
  argv[n++] = "qmail-remote";
  while (off < len) {
    size_t l = strlen(buf + off);   /* stops at the final NUL at the latest */
    if (n == REMOTE_JOB_ARGV_MAX - 1) return -1;
    if (!field_ok(l, n == 2 ? 0 : 1, n == 1 ? REMOTE_CONN_HOST_MAX : SEND_FIELD_MAX)) return -1;
    argv[n++] = buf + off;
    off += l + 1;
  }
  if (n < 4) return -1;   /* host, sender and at least one recipient */
  argv[n] = 0;
  return n;
}
