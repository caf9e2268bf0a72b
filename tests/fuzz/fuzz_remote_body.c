/* libFuzzer harness for the DATA body encoder: whole and sliced encoding give the
 * same bytes, output stays within remote_body_outmax, no bare CR or LF and no line
 * "." before the end, and the end is refused exactly for partial final lines. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../qmail-remote/remote_body.h"

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size);

static char oa[remote_body_outmax(REMOTE_BODY_CHUNK) + 8], ob[remote_body_outmax(REMOTE_BODY_CHUNK) + 8];

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size)
{
  remote_body a, b;
  size_t na, nb = 0, fa, fb, at = 0, slice, i, ls = 0;
  if (!size || size > REMOTE_BODY_CHUNK + 1) return 0;
  slice = (size_t)(data[0] % 7) + 1;
  data++;
  size--;
  remote_body_init(&a);
  na = remote_body_encode(&a, (char const *)data, size, oa);
  if (na > remote_body_outmax(size)) abort();
  fa = remote_body_finish(&a, oa + na);
  remote_body_init(&b);
  while (at < size) {
    size_t n = size - at < slice ? size - at : slice;
    nb += remote_body_encode(&b, (char const *)data + at, n, ob + nb);
    at += n;
  }
  fb = remote_body_finish(&b, ob + nb);
  if (na != nb || fa != fb || memcmp(oa, ob, na + fa)) abort();
  {
    char last = size ? (char)data[size - 1] : '\n';
    if (!fa != !(last == '\n' || last == '\r')) abort();
  }
  for (i = 0; i < na; i++) {
    if (oa[i] == '\n' && (i == 0 || oa[i - 1] != '\r')) abort();
    if (oa[i] == '\r' && (i + 1 >= na + fa || oa[i + 1] != '\n')) abort();
    if (oa[i] == '\n') {
      /* the line just ended must not be a lone "." */
      if (i - ls == 2 && oa[ls] == '.') abort();
      ls = i + 1;
    }
  }
  return 0;
}
