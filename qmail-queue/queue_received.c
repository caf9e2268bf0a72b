/* Formats qmail-queue's Received line (see queue_received.h). Bounded output: every
 * field is a number or a fixed word, so the line always fits QUEUE_RECEIVED_MAX. */
#include <string.h>

#include <skalibs/types.h>

#include "qm_conf.h"
#include "qm_date.h"
#include "queue_received.h"
#include "qm_put.h"

enum queue_who queue_received_who(char const *name)
{
  if (!name) return QUEUE_WHO_UID;
  if (!strcmp(name, QM_USER_ALIAS)) return QUEUE_WHO_ALIAS;
  if (!strcmp(name, QM_USER_QMAILD)) return QUEUE_WHO_NETWORK;
  if (!strcmp(name, QM_USER_QMAILS)) return QUEUE_WHO_BOUNCE;
  return QUEUE_WHO_UID;
}

size_t queue_received(char *buf, unsigned long pid, enum queue_who who,
                      unsigned long uid, time_t when)
{
  size_t n = qm_put_str(buf, 0, "Received: (qmail ");
  n = qm_put_ulong(buf, n, pid);
  n = qm_put_str(buf, n, " invoked ");
  switch (who) {
  case QUEUE_WHO_ALIAS: n = qm_put_str(buf, n, "by alias"); break;
  case QUEUE_WHO_NETWORK: n = qm_put_str(buf, n, "from network"); break;
  case QUEUE_WHO_BOUNCE: n = qm_put_str(buf, n, "for bounce"); break;
  default: n = qm_put_str(buf, n, "by uid "); n = qm_put_ulong(buf, n, uid); break;
  }
  n = qm_put_str(buf, n, "); ");
  n += qm_date_fmt822(buf + n, when);
  return qm_put_str(buf, n, "\n");
}
