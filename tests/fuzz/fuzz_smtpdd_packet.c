/* libFuzzer harness: a front's packet to qmail-smtpdd, whatever the bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../qmail-smtpd/smtpdd_packet.h"

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size);

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size)
{
  static smtpdd_packet pk;
  char *p = malloc(size ? size : 1);
  size_t i;
  if (!p) return 0;
  memcpy(p, data, size);
  if (smtpdd_packet_parse(&pk, p, size)) {
    if (pk.envc > SMTPDD_ENVC_MAX || pk.env[pk.envc]) __builtin_trap();
    for (i = 0; i < pk.envc; i++)
      if (pk.env[i] < p || pk.env[i] >= p + size || !strchr(pk.env[i], '=')) __builtin_trap();
  }
  free(p);
  return 0;
}
