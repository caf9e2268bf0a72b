/* DATA body encoding, one byte at a time so that any slicing gives the same output.
 * Trusts nothing about the message: NUL and 8-bit bytes pass unchanged (8BITMIME),
 * but the line structure is rebuilt so that no bare CR or LF reaches the wire and
 * no line can be read as the end of data. Writes at most remote_body_outmax bytes. */
#include "remote_body.h"

void remote_body_init(remote_body *b)
{
  b->midline = 0;
  b->cr = 0;
  b->bytes = 0;
}

size_t remote_body_encode(remote_body *b, char const *in, size_t len, char *out)
{
  size_t i, o = 0;
  for (i = 0; i < len; i++) {
    char c = in[i];
    if (b->cr) {
      /* CR LF and a bare CR both end the line as CRLF */
      out[o++] = '\r';
      out[o++] = '\n';
      b->cr = 0;
      b->midline = 0;
      if (c == '\n') continue;
    }
    if (c == '\r') { b->cr = 1; continue; }
    if (c == '\n') {
      out[o++] = '\r';
      out[o++] = '\n';
      b->midline = 0;
      continue;
    }
    if (!b->midline && c == '.') out[o++] = '.';
    out[o++] = c;
    b->midline = 1;
  }
  b->bytes += o;
  return o;
}

size_t remote_body_finish(remote_body *b, char *out)
{
  size_t o = 0;
  if (b->cr) {
    out[o++] = '\r';
    out[o++] = '\n';
    b->cr = 0;
    b->midline = 0;
  }
  if (b->midline) return 0;
  out[o++] = '.';
  out[o++] = '\r';
  out[o++] = '\n';
  b->bytes += o;
  return o;
}
