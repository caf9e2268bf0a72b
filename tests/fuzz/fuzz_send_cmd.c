/* libFuzzer harness: spawner commands as qmail-lspawn reads them from qmail-send,
 * fed in chunks, each complete one checked. */
#include <stddef.h>
#include <stdint.h>

#include "../../qmail-send/send_proto.h"

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size);

static send_cmd cmd;

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size)
{
  size_t step, off = 0;
  if (!size) return 0;
  step = (size_t)data[0] % 13 + 1;
  data++; size--;
  send_cmd_init(&cmd);
  while (off < size) {
    size_t n = size - off < step ? size - off : step, used = 0;
    int r = send_cmd_feed(&cmd, (char const *)data + off, n, &used);
    off += used;
    if (r < 0) break;
    if (r > 0) {
      if (cmd.pathlen > SEND_PATH_MAX || cmd.senderlen > SEND_FIELD_MAX
          || cmd.rcptlen > SEND_FIELD_MAX) __builtin_trap();
      send_cmd_check(&cmd);
      send_cmd_init(&cmd);
    }
  }
  return 0;
}
