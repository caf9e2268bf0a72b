/* libFuzzer harness: inotify records for todo/, whatever the bytes. */
#include <stddef.h>
#include <stdint.h>

#include "../../qmail-send/send_inotify.h"

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size);

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size)
{
  uint64_t ids[16];
  int flags;
  size_t n = send_inotify_ids((char const *)data, size, ids, 16, &flags);
  if (n > 16) __builtin_trap();
  return 0;
}
