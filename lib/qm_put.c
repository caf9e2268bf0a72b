/* See qm_put.h. */
#include <string.h>

#include <skalibs/types.h>

#include "qm_put.h"

size_t qm_put_str(char *buf, size_t at, char const *s)
{
  size_t n = strlen(s);
  memcpy(buf + at, s, n);
  return at + n;
}

size_t qm_put_ulong(char *buf, size_t at, unsigned long u)
{
  return at + ulong_fmt(buf + at, u);
}
