#include <string.h>

#include "queue_passwd.h"

int queue_passwd_line(char const *line, size_t len, unsigned long uid, char *name, size_t max)
{
  char const *c1 = memchr(line, ':', len), *c2, *u, *end;
  unsigned long v = 0;
  size_t nlen;
  if (!c1 || c1 == line) return 0;
  nlen = (size_t)(c1 - line);
  c2 = memchr(c1 + 1, ':', len - nlen - 1);
  if (!c2) return 0;
  u = c2 + 1;
  end = line + len;
  if (u == end || *u == ':') return 0;
  for (; u < end && *u != ':'; u++) {
    if (*u < '0' || *u > '9') return 0;
    v = v * 10 + (unsigned long)(*u - '0');
    if (v > 0xffffffffUL) return 0;
  }
  if (v != uid || nlen >= max) return 0;
  memcpy(name, line, nlen);
  name[nlen] = 0;
  return 1;
}
