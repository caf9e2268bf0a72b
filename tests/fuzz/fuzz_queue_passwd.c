/* libFuzzer harness: a passwd line of any bytes, for a uid taken from its first bytes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../qmail-queue/queue_passwd.h"

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size);

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size)
{
  char name[16];
  unsigned long uid = size ? data[0] : 0;
  if (queue_passwd_line((char const *)data, size, uid, name, sizeof name) && strlen(name) >= sizeof name)
    __builtin_trap();
  return 0;
}
