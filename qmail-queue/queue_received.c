/* Formats qmail-queue's Received line (see queue_received.h). Bounded output: every
 * field is a number or a fixed word, so the line always fits QUEUE_RECEIVED_MAX. */
#include <string.h>

#include <skalibs/types.h>

#include "qm_conf.h"
#include "queue_received.h"

static char const months[12][4] = {
  "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

enum queue_who queue_received_who(char const *name)
{
  if (!name) return QUEUE_WHO_UID;
  if (!strcmp(name, QM_USER_ALIAS)) return QUEUE_WHO_ALIAS;
  if (!strcmp(name, QM_USER_QMAILD)) return QUEUE_WHO_NETWORK;
  if (!strcmp(name, QM_USER_QMAILS)) return QUEUE_WHO_BOUNCE;
  return QUEUE_WHO_UID;
}

static size_t put(char *buf, size_t at, char const *s)
{
  size_t n = strlen(s);
  memcpy(buf + at, s, n);
  return at + n;
}

static size_t put_ulong(char *buf, size_t at, unsigned long u)
{
  return at + ulong_fmt(buf + at, u);
}

static size_t put2(char *buf, size_t at, int v)
{
  if (v < 0 || v > 99) v = 0;
  buf[at++] = (char)('0' + v / 10 % 10);
  buf[at++] = (char)('0' + v % 10);
  return at;
}

size_t queue_received(char *buf, unsigned long pid, enum queue_who who,
                      unsigned long uid, struct tm const *tm)
{
  size_t n = put(buf, 0, "Received: (qmail ");
  long year = (long)tm->tm_year + 1900;
  int mon = tm->tm_mon >= 0 && tm->tm_mon < 12 ? tm->tm_mon : 0;
  n = put_ulong(buf, n, pid);
  n = put(buf, n, " invoked ");
  switch (who) {
  case QUEUE_WHO_ALIAS: n = put(buf, n, "by alias"); break;
  case QUEUE_WHO_NETWORK: n = put(buf, n, "from network"); break;
  case QUEUE_WHO_BOUNCE: n = put(buf, n, "for bounce"); break;
  default: n = put(buf, n, "by uid "); n = put_ulong(buf, n, uid); break;
  }
  n = put(buf, n, "); ");
  n = put_ulong(buf, n, (unsigned long)(tm->tm_mday > 0 && tm->tm_mday < 32 ? tm->tm_mday : 1));
  buf[n++] = ' ';
  n = put(buf, n, months[mon]);
  buf[n++] = ' ';
  n = put_ulong(buf, n, (unsigned long)(year > 0 && year < 100000 ? year : 1970));
  buf[n++] = ' ';
  n = put2(buf, n, tm->tm_hour);
  buf[n++] = ':';
  n = put2(buf, n, tm->tm_min);
  buf[n++] = ':';
  n = put2(buf, n, tm->tm_sec);
  return put(buf, n, " -0000\n");
}
