/* libFuzzer harness: the todo/N envelope parser and, for each recipient it yields,
 * the classification and the spawner command built from it. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../qmail-send/send_proto.h"
#include "../../qmail-send/send_rcpt.h"
#include "../../qmail-send/send_todo.h"

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size);

static send_todo todo;
static send_cmd cmd;

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size)
{
  static char const listtext[] = "local.test\0";
  static char const vdtext[] = "virt.test:pre\0.sub.test:s\0:all\0";
  stralloc ll = { (char *)listtext, sizeof listtext - 1, sizeof listtext - 1 };
  stralloc vl = { (char *)vdtext, sizeof vdtext - 1, sizeof vdtext - 1 };
  send_table locals = SEND_TABLE_ZERO, vdoms = SEND_TABLE_ZERO;
  send_rcpt_ctx ctx;
  stralloc out = STRALLOC_ZERO, wire = STRALLOC_ZERO, sender = STRALLOC_ZERO;
  size_t off = 0;
  if (!send_table_build(&locals, &ll, 0) || !send_table_build(&vdoms, &vl, 1)) return 0;
  ctx.locals = &locals; ctx.vdoms = &vdoms; ctx.percenthack = &locals; ctx.envnoathost = "e.test";
  send_todo_init(&todo);
  while (off < size) {
    size_t used = 0, pre;
    int r = send_todo_feed(&todo, (char const *)data + off, size - off, &used);
    off += used;
    if (r < 0) break;
    if (!r) continue;
    if (todo.len > SEND_TODO_FIELD_MAX) __builtin_trap();
    if (todo.type == 'F') stralloc_copyb(&sender, todo.val, todo.len);
    if (todo.type != 'T') continue;
    if (send_rcpt_classify(&ctx, todo.val, todo.len, &out, &pre) < 0) continue;
    if (pre > out.len) __builtin_trap();
    wire.len = 0;
    if (send_cmd_encode(&wire, 3, 4711, 23, sender.s ? sender.s : "", sender.len, out.s, out.len)) {
      size_t u;
      send_cmd_init(&cmd);
      if (send_cmd_feed(&cmd, wire.s, wire.len, &u) != 1 || u != wire.len
          || cmd.nrcpt != 1 || cmd.rcptlen != out.len + 1 || memcmp(cmd.rcpt, out.s, out.len)) __builtin_trap();
    }
  }
  send_todo_finish(&todo);
  send_table_free(&locals); send_table_free(&vdoms);
  stralloc_free(&out); stralloc_free(&wire); stralloc_free(&sender);
  return 0;
}
