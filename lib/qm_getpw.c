/* Reading netstrings (length, colon, bytes, comma) with a limit checked on the digits
 * before anything is read or allocated: see qm_getpw.h. */
#include <stddef.h>
#include <sys/types.h>


#include "qm_getpw.h"

ssize_t qm_getpw_get(char const *buf, size_t len, size_t max, size_t *off, size_t *plen)
{
  size_t i = 0, n = 0;
  for (;;) {
    if (i == len) return 0;
    if (buf[i] == ':') break;
    size_t d;
    if (buf[i] < '0' || buf[i] > '9') return -1;
    /* no leading zeros but "0" itself, and never past max: the digits alone decide,
     * checked before the multiplication so that it cannot wrap */
    if (i == 1 && buf[0] == '0') return -1;
    d = (size_t)(buf[i] - '0');
    if (d > max || n > (max - d) / 10) return -1;
    n = n * 10 + d;
    i++;
  }
  if (!i) return -1;
  i++;                                   /* the colon */
  if (len - i <= n) return 0;            /* not n + 1: n may be SIZE_MAX */
  if (buf[i + n] != ',') return -1;
  *off = i;
  *plen = n;
  return (ssize_t)(i + n + 1);
}
