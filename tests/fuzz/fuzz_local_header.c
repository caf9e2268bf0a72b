/* libFuzzer harness for the loop checks: any message, fed whole and byte by byte,
 * must give the same verdict. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "../../qmail-local/local_header.h"

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size);

static char const dt[] = "Delivered-To: a@b\n";

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size)
{
  local_hdr whole, bytes;
  size_t i;
  local_hdr_init(&whole, dt, sizeof dt - 1);
  local_hdr_init(&bytes, dt, sizeof dt - 1);
  local_hdr_feed(&whole, (char const *)data, size);
  for (i = 0; i < size; i++)
    if (local_hdr_feed(&bytes, (char const *)data + i, 1)) break;
  if (whole.verdict != bytes.verdict || whole.hops != bytes.hops) abort();
  return 0;
}
