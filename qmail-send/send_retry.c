/* qmail's quadratic backoff and queue lifetime. Inputs are times from the queue's
 * files and the clock; all sums saturate instead of wrapping, so a file stamped in
 * the far future or past never makes a job due at a nonsense time. */
#include <stdint.h>

#include "send_retry.h"

uint64_t send_isqrt(uint64_t x)
{
  /* bit by bit: r is the root found so far, one bit decided per round */
  uint64_t r = 0, bit = (uint64_t)1 << 62;
  while (bit > x) bit >>= 2;
  while (bit) {
    if (x >= r + bit) {
      x -= r + bit;
      r = (r >> 1) + bit;
    } else r >>= 1;
    bit >>= 2;
  }
  return r;
}

static uint64_t addsat(uint64_t a, uint64_t b)
{
  return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

uint64_t send_retry_next(uint64_t birth, uint64_t now, unsigned int c)
{
  uint64_t n = send_isqrt(now > birth ? now - birth : 0) + c;
  /* n <= 2^32 + c, so n*n can only overflow for absurd ages: saturate */
  if (n > UINT32_MAX) return UINT64_MAX;
  return addsat(birth, n * n);
}

int send_retry_dying(uint64_t birth, uint64_t now, uint64_t lifetime)
{
  return now > addsat(birth, lifetime);
}
