/* libFuzzer harness for lib/qm_getpw's netstring reader: the first byte picks the
 * limit; whatever the bytes, a message found lies inside them and within the limit,
 * and writing its payload back (netstring_appendb) gives exactly the bytes it was read from. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <skalibs/netstring.h>
#include <skalibs/stralloc.h>

#include "qm_getpw.h"

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size);

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size)
{
  char const *s = (char const *)data + 1;
  size_t len, max, off, plen, at = 0;
  if (!size) return 0;
  max = data[0] == 255 ? QM_GETPW_REPLY_MAX : data[0];
  len = size - 1;
  while (at < len) {
    stralloc back = STRALLOC_ZERO;
    ssize_t r = qm_getpw_get(s + at, len - at, max, &off, &plen);
    if (r <= 0) break;
    if ((size_t)r > len - at || plen > max || off + plen + 1 != (size_t)r) abort();
    if (!netstring_appendb(&back, s + at + off, plen)) abort();
    if (back.len != (size_t)r || memcmp(back.s, s + at, back.len)) abort();
    stralloc_free(&back);
    at += (size_t)r;
  }
  return 0;
}
