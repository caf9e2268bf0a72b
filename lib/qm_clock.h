/* Milliseconds on the monotonic clock: for deadlines and ages, never for dates. */
#ifndef QM_CLOCK_H
#define QM_CLOCK_H

#include <stdint.h>

/* Signed, so that a deadline minus now may go below zero. */
int64_t qm_now_ms(void);

#endif
