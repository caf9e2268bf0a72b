/* The retry schedule of qmail-send: after a pass that started at now, a job whose
 * message was born at birth is next due at birth + (isqrt(now - birth) + c)^2, with
 * c = 10 for local and 20 for remote deliveries; once now is past birth +
 * queuelifetime the next pass is the last. Pure arithmetic that cannot overflow. */
#ifndef SEND_RETRY_H
#define SEND_RETRY_H

#include <stdint.h>

#define SEND_RETRY_C_LOCAL 10
#define SEND_RETRY_C_REMOTE 20

uint64_t send_isqrt(uint64_t x);                 /* floor(sqrt(x)) */
/* The next due time; a clock that went back (now < birth) counts as now = birth. */
uint64_t send_retry_next(uint64_t birth, uint64_t now, unsigned int c);
/* 1 if a pass starting at now is the last one: now > birth + lifetime. */
int send_retry_dying(uint64_t birth, uint64_t now, uint64_t lifetime);

#endif
