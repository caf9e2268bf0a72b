/* libFuzzer harness for the qmail-queue envelope checker: the input fed whole and in
 * slices chosen by its first byte must give the same verdict and the same length. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "../../qmail-queue/queue_envelope.h"

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size);

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size)
{
  queue_env a, b;
  size_t ua = 0, ub = 0, at = 0, slice;
  int ra, rb = 0;
  if (!size) return 0;
  slice = (size_t)(data[0] % 17) + 1;
  data++;
  size--;
  queue_env_init(&a);
  ra = queue_env_feed(&a, (char const *)data, size, &ua);
  queue_env_init(&b);
  while (at < size) {
    size_t n = size - at < slice ? size - at : slice, u = 0;
    rb = queue_env_feed(&b, (char const *)data + at, n, &u);
    ub += u;
    if (rb) break;
    at += n;
  }
  if (ra != rb || ua != ub || a.error != b.error) abort();
  if (ra >= 0 && a.nrcpt != b.nrcpt) abort();
  if (ra == 1 && (ua < 3 || data[ua - 1] != 0 || data[0] != 'F')) abort();
  if (ua > size || a.total > QUEUE_ENVELOPE_MAX) abort();
  return 0;
}
