/* Binary min-heap on due time. Growth is overflow-checked; pop never allocates, so
 * a job taken out can always be put back after a failed attempt. */
#include <errno.h>
#include <stdlib.h>

#include "qm_size.h"
#include "send_prioq.h"

static int earlier(send_job const *a, send_job const *b)
{
  return a->due < b->due || (a->due == b->due && a->id < b->id);
}

int send_prioq_push(send_prioq *q, send_job const *j)
{
  size_t i;
  if (q->n == q->cap) {
    size_t cap = q->cap ? q->cap : 64, bytes;
    send_job *a;
    if (!qm_size_mul(&cap, cap, 2) || !qm_size_mul(&bytes, cap, sizeof *a)) { errno = ENOMEM; return 0; }
    a = realloc(q->a, bytes);
    if (!a) return 0;
    q->a = a;
    q->cap = cap;
  }
  i = q->n++;
  while (i) {
    size_t parent = (i - 1) / 2;
    if (!earlier(j, &q->a[parent])) break;
    q->a[i] = q->a[parent];
    i = parent;
  }
  q->a[i] = *j;
  return 1;
}

send_job const *send_prioq_min(send_prioq const *q)
{
  return q->n ? &q->a[0] : 0;
}

/* Puts x at hole i and moves it down until no child is earlier. */
static void siftdown(send_prioq *q, size_t i, send_job x)
{
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= q->n) break;
    if (c + 1 < q->n && earlier(&q->a[c + 1], &q->a[c])) c++;
    if (!earlier(&q->a[c], &x)) break;
    q->a[i] = q->a[c];
    i = c;
  }
  q->a[i] = x;
}

void send_prioq_pop(send_prioq *q, send_job *out)
{
  *out = q->a[0];
  if (--q->n) siftdown(q, 0, q->a[q->n]);
}

void send_prioq_alldue(send_prioq *q, uint64_t t)
{
  size_t i;
  /* equal due times: the heap order now rests on ids alone, so rebuild it */
  for (i = 0; i < q->n; i++) q->a[i].due = t;
  for (i = q->n / 2; i-- > 0;) siftdown(q, i, q->a[i]);
}

void send_prioq_free(send_prioq *q)
{
  free(q->a);
  q->a = 0;
  q->n = q->cap = 0;
}
