/* SMTP reply parser: one byte at a time so any slicing of the input gives the same
 * result. Input is hostile: every line, the line count and the kept text are capped,
 * and only printable ASCII is kept (CR dropped, any other byte becomes '?'). It
 * never reads past the bytes it is given and never writes past r->text. */
#include <string.h>

#include "remote_reply.h"

void remote_reply_init(remote_reply *r)
{
  memset(r, 0, sizeof *r);
}

static void keep(remote_reply *r, char c)
{
  if (r->textlen >= REMOTE_REPLY_TEXT_MAX) { r->truncated = 1; return; }
  r->text[r->textlen++] = c;
}

static int bad(remote_reply *r, enum remote_reply_error e)
{
  r->error = e;
  r->text[r->textlen] = 0;
  return -1;
}

static int endline(remote_reply *r)
{
  if (r->linelen < 3) return bad(r, REMOTE_REPLY_ECODE);
  if (r->linelen == 3) r->last = 1;       /* "250" alone ends the reply */
  if (r->lines == 1) r->code = r->linecode;
  else if (r->linecode != r->code) return bad(r, REMOTE_REPLY_EMIXED);
  if (r->last) {
    if (r->truncated) {
      memcpy(r->text + r->textlen, "...", 3);
      r->textlen += 3;
    }
    r->text[r->textlen] = 0;
    r->done = 1;
    return 1;
  }
  r->linelen = 0;
  r->raw = 0;
  r->linecode = 0;
  keep(r, '\n');
  return 0;
}

int remote_reply_feed(remote_reply *r, char const *s, size_t len, size_t *used)
{
  size_t i;
  *used = 0;
  if (r->done) return 1;
  if (r->error) return -1;
  for (i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    *used = i + 1;
    if (c == '\n') {
      int rc;
      if (!r->raw) {
        if (r->lines >= REMOTE_REPLY_LINES_MAX) return bad(r, REMOTE_REPLY_ELINES);
        r->lines++;
      }
      rc = endline(r);
      if (rc) return rc;
      continue;
    }
    if (r->raw == 0) {
      if (r->lines >= REMOTE_REPLY_LINES_MAX) return bad(r, REMOTE_REPLY_ELINES);
      r->lines++;
    }
    if (r->raw >= REMOTE_REPLY_LINE_MAX) return bad(r, REMOTE_REPLY_ELINE);
    r->raw++;
    if (c == '\r') continue;     /* dropped wherever it is, as qmail does */
    if (r->linelen < 3) {
      if (c < '0' || c > '9') return bad(r, REMOTE_REPLY_ECODE);
      if (r->linelen == 0 && (c < '1' || c > '5')) return bad(r, REMOTE_REPLY_ECODE);
      r->linecode = r->linecode * 10 + (c - '0');
    } else if (r->linelen == 3) {
      if (c == ' ') r->last = 1;
      else if (c != '-') return bad(r, REMOTE_REPLY_ESEP);
    }
    r->linelen++;
    keep(r, (c >= 32 && c < 127) ? (char)c : '?');
  }
  return 0;
}

static size_t digits(char const *s, size_t len, size_t max)
{
  size_t n = 0;
  while (n < len && n <= max && s[n] >= '0' && s[n] <= '9') n++;
  return (n >= 1 && n <= max) ? n : 0;
}

int remote_reply_enhanced(remote_reply const *r, char *out)
{
  char const *s = r->text;
  size_t len = r->textlen, i = 4, a, b;
  char const *nl = memchr(s, '\n', len);
  if (nl) len = (size_t)(nl - s);
  if (len < 9 || (s[4] != '2' && s[4] != '4' && s[4] != '5') || s[5] != '.') return 0;
  i = 6;
  a = digits(s + i, len - i, 3);
  if (!a || i + a >= len || s[i + a] != '.') return 0;
  i += a + 1;
  b = digits(s + i, len - i, 3);
  if (!b) return 0;
  i += b;
  if (i < len && s[i] != ' ') return 0;
  memcpy(out, s + 4, i - 4);
  out[i - 4] = 0;
  return 1;
}
