/* Size arithmetic that cannot wrap: every length or count that comes from input is
 * added or multiplied through these before it is used (the 2005 and 2020 qmail
 * overflow class). Each returns 1 and stores the result, or 0 and stores nothing. */
#ifndef QM_SIZE_H
#define QM_SIZE_H

#include <stddef.h>
#include <stdint.h>

static inline int qm_size_add(size_t *r, size_t a, size_t b)
{
  if (a > SIZE_MAX - b) return 0;
  *r = a + b;
  return 1;
}

static inline int qm_size_mul(size_t *r, size_t a, size_t b)
{
  if (a && b > SIZE_MAX / a) return 0;
  *r = a * b;
  return 1;
}

/* *acc += n, refusing to pass limit (the limit itself is allowed). */
static inline int qm_size_add_capped(size_t *acc, size_t n, size_t limit)
{
  if (*acc > limit || n > limit - *acc) return 0;
  *acc += n;
  return 1;
}

#endif
