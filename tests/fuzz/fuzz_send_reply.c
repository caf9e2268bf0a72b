/* libFuzzer harness: spawner replies and qmail-clean commands, the bytes qmail-send
 * and qmail-clean read from their partners, fed in chunks whose sizes the input's
 * first byte picks. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../qmail-send/send_log.h"
#include "../../qmail-send/send_proto.h"

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size);

static send_reply reply;

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size)
{
  size_t step, off = 0;
  send_clean clean;
  stralloc sa = STRALLOC_ZERO;
  if (!size) return 0;
  step = (size_t)data[0] % 17 + 1;
  data++; size--;
  send_reply_init(&reply);
  while (off < size) {
    size_t n = size - off < step ? size - off : step, used = 0;
    int r = send_reply_feed(&reply, (char const *)data + off, n, &used);
    if (used > n) __builtin_trap();
    off += used;
    if (r == 1) {
      if (reply.len > SEND_REPORT_MAX) __builtin_trap();
      send_reply_letter(&reply);
      sa.len = 0;
      send_log_delivery(&sa, 1, reply.text, reply.len);
      if (memchr(sa.s, '\n', sa.len) != sa.s + sa.len - 1) __builtin_trap();
      send_reply_init(&reply);
    }
  }
  off = 0;
  send_clean_init(&clean);
  while (off < size) {
    size_t used = 0;
    uint64_t id;
    if (send_clean_feed(&clean, (char const *)data + off, size - off, &used) == 1) {
      send_clean_parse(&clean, &id);
      send_clean_init(&clean);
    }
    off += used;
  }
  stralloc_free(&sa);
  return 0;
}
