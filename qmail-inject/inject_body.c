/* Line ends of the body for qmail-inject. Trusts nothing about chunk boundaries: a
 * CR at the end of one chunk waits for the first byte of the next. Never drops a
 * byte other than a CR directly before an LF, and only in CRLF mode. */
#include "inject_body.h"

void inject_body_init(inject_body *b, int crlf)
{
  b->crlf = crlf;
  b->cr = 0;
}

int inject_body_feed(inject_body *b, char const *s, size_t len, inject_put_fn *put, void *ctx)
{
  size_t i, from = 0;
  if (!b->crlf) return len ? put(ctx, s, len) : 1;
  for (i = 0; i < len; i++) {
    if (b->cr) {
      b->cr = 0;
      if (s[i] != '\n' && !put(ctx, "\r", 1)) return 0;
    }
    if (s[i] == '\r') {
      if (i > from && !put(ctx, s + from, i - from)) return 0;
      b->cr = 1;
      from = i + 1;
    }
  }
  return i > from ? put(ctx, s + from, i - from) : 1;
}

int inject_body_end(inject_body *b, inject_put_fn *put, void *ctx)
{
  if (b->cr) {
    b->cr = 0;
    return put(ctx, "\r", 1);
  }
  return 1;
}
