/* libFuzzer harness: spawner commands as the spawners read them from qmail-send,
 * one or several recipients, fed in chunks, each complete one checked and its
 * recipients walked inside their buffer. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

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
      size_t total = 0;
      unsigned int i;
      if (cmd.pathlen > SEND_PATH_MAX || cmd.senderlen > SEND_FIELD_MAX
          || cmd.rcptlen > SEND_RCPTS_BYTES || !cmd.nrcpt || cmd.nrcpt > SEND_RCPTS_MAX
          || strlen(cmd.path) != cmd.pathlen) __builtin_trap();
      for (i = 0; i < cmd.nrcpt; i++) {
        size_t l = strlen(send_cmd_rcpt(&cmd, i));
        if (l > SEND_FIELD_MAX) __builtin_trap();
        total += l + 1;
      }
      if (total != cmd.rcptlen) __builtin_trap();
      send_cmd_check(&cmd);
      send_cmd_init(&cmd);
    }
  }
  return 0;
}
