/* qmail-queue's own Received line, the only change it makes to a message:
 *   Received: (qmail <pid> invoked <who>); <d Mon yyyy hh:mm:ss> -0000\n
 * who is "by alias", "from network", "for bounce" or "by uid <n>", chosen by the
 * caller's account name. Pure formatting; trusts only its numeric arguments. */
#ifndef QUEUE_RECEIVED_H
#define QUEUE_RECEIVED_H

#include <stddef.h>
#include <time.h>

#include "qm_date.h"

/* The longest line: both numbers at 20 digits and the widest date qm_date writes. */
#define QUEUE_RECEIVED_MAX (80 + QM_DATE_822_MAX)

enum queue_who { QUEUE_WHO_UID, QUEUE_WHO_ALIAS, QUEUE_WHO_NETWORK, QUEUE_WHO_BOUNCE };

/* Which wording fits the caller whose account is name (0 if it has none): compares
 * with the compiled-in names of alias, qmaild and qmails. */
enum queue_who queue_received_who(char const *name);

/* Writes the line into buf (QUEUE_RECEIVED_MAX bytes) for a caller with real uid
 * uid at time when; returns its length (no NUL is added). */
size_t queue_received(char *buf, unsigned long pid, enum queue_who who,
                      unsigned long uid, time_t when);

#endif
