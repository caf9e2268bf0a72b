/* The monotonic clock never goes back and is never set, unlike the wall clock. */
#include <time.h>

#include "qm_clock.h"

int64_t qm_now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
