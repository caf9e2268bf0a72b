/* Remote jobs held back by concurrencyperdomain, waiting for a delivery to their
 * domain to end rather than for a clock. qmail-send keeps one list; the oldest
 * waiter of a domain is woken first. Pure memory. */
#ifndef SEND_WAITQ_H
#define SEND_WAITQ_H

#include <stddef.h>
#include <stdint.h>

#include "send_prioq.h"

#define SEND_WAITQ_DOM_MAX 1024   /* longer domains are refused by push */

typedef struct send_waiter_s {
  send_job job;     /* job.due: when it started waiting */
  char *dom;
} send_waiter;

typedef struct send_waitq_s {
  send_waiter *a;
  size_t n, cap;
} send_waitq;

#define SEND_WAITQ_ZERO { 0, 0, 0 }

/* Appends j waiting for dom. 1, or 0 (ENOMEM, or EINVAL for a domain over the limit). */
int send_waitq_push(send_waitq *q, send_job const *j, char const *dom);
/* Takes out up to max waiters of dom (any case; dom 0: of any domain), oldest
 * first, into out. Returns how many. */
size_t send_waitq_take(send_waitq *q, char const *dom, send_job *out, size_t max);
/* The time the oldest waiter started waiting, or UINT64_MAX if there is none. */
uint64_t send_waitq_oldest(send_waitq const *q);
void send_waitq_free(send_waitq *q);

#endif
