/* A min-heap of queued jobs ordered by due time: qmail-send keeps one per channel.
 * Pure memory; the caller owns the times, which come from the queue's files. */
#ifndef SEND_PRIOQ_H
#define SEND_PRIOQ_H

#include <stddef.h>
#include <stdint.h>

typedef struct send_job_s {
  uint64_t id;      /* message id (inode of mess/S/N) */
  uint64_t birth;   /* info/S/N mtime */
  uint64_t due;
} send_job;

typedef struct send_prioq_s {
  send_job *a;
  size_t n, cap;
} send_prioq;

#define SEND_PRIOQ_ZERO { 0, 0, 0 }

int send_prioq_push(send_prioq *q, send_job const *j);   /* 1, or 0 on ENOMEM */
/* The earliest job, or 0 if empty. */
send_job const *send_prioq_min(send_prioq const *q);
void send_prioq_pop(send_prioq *q, send_job *out);     /* q must not be empty */
/* Makes every job due at t (SIGALRM); the order stays a valid heap. */
void send_prioq_alldue(send_prioq *q, uint64_t t);
void send_prioq_free(send_prioq *q);

#endif
