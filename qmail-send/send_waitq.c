/* A FIFO array: waiters are appended, and taken out from anywhere with the rest
 * closing up, so the order of arrival stays. Lists are as long as the messages
 * held back, and each take is one pass over them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "qm_size.h"
#include "send_waitq.h"

int send_waitq_push(send_waitq *q, send_job const *j, char const *dom)
{
  size_t len = strnlen(dom, SEND_WAITQ_DOM_MAX + 1);
  char *d;
  if (len > SEND_WAITQ_DOM_MAX) { errno = EINVAL; return 0; }
  if (q->n == q->cap) {
    size_t cap = q->cap ? q->cap : 32, bytes;
    send_waiter *a;
    if (!qm_size_mul(&cap, cap, 2) || !qm_size_mul(&bytes, cap, sizeof *a)) { errno = ENOMEM; return 0; }
    a = realloc(q->a, bytes);
    if (!a) return 0;
    q->a = a;
    q->cap = cap;
  }
  d = malloc(len + 1);
  if (!d) return 0;
  memcpy(d, dom, len + 1);
  q->a[q->n].job = *j;
  q->a[q->n].dom = d;
  q->n++;
  return 1;
}

size_t send_waitq_take(send_waitq *q, char const *dom, send_job *out, size_t max)
{
  size_t i, keep = 0, got = 0;
  for (i = 0; i < q->n; i++) {
    if (got < max && (!dom || !strcasecmp(q->a[i].dom, dom))) {
      out[got++] = q->a[i].job;
      free(q->a[i].dom);
    } else q->a[keep++] = q->a[i];
  }
  q->n = keep;
  return got;
}

uint64_t send_waitq_oldest(send_waitq const *q)
{
  return q->n ? q->a[0].job.due : UINT64_MAX;
}

void send_waitq_free(send_waitq *q)
{
  size_t i;
  for (i = 0; i < q->n; i++) free(q->a[i].dom);
  free(q->a);
  q->a = 0;
  q->n = q->cap = 0;
}
