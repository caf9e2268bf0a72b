/* Formats qmail-queue's Received line (see queue_received.h). Bounded output: every
 * field is a number or a fixed word, so the line always fits QUEUE_RECEIVED_MAX. */
#include <string.h>

#include <skalibs/types.h>

#include "qm_conf.h"
#include "qm_date.h"
#include "queue_received.h"

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

size_t queue_received(char *buf, unsigned long pid, enum queue_who who,
                      unsigned long uid, time_t when)
{
  size_t n = put(buf, 0, "Received: (qmail ");
  n = put_ulong(buf, n, pid);
  n = put(buf, n, " invoked ");
  switch (who) {
  case QUEUE_WHO_ALIAS: n = put(buf, n, "by alias"); break;
  case QUEUE_WHO_NETWORK: n = put(buf, n, "from network"); break;
  case QUEUE_WHO_BOUNCE: n = put(buf, n, "for bounce"); break;
  default: n = put(buf, n, "by uid "); n = put_ulong(buf, n, uid); break;
  }
  n = put(buf, n, "); ");
  n += qm_date_fmt822(buf + n, when);
  return put(buf, n, "\n");
}
