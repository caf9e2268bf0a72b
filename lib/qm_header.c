/* The header block state machine of qm_header.h. Trusts nothing in its input: every
 * byte is counted against the field and block limits before it is stored, and a
 * field reaches the callback only complete and within them. Never reads past the
 * bytes it is given and never holds more than one field. */
#include <string.h>

#include <skalibs/stralloc.h>

#include "qm_header.h"

enum { S_START, S_NAME, S_BLANKS, S_VALUE, S_DONE };

#define DONE_BYTE 1     /* the header ended with this byte, which was taken */
#define FAIL (-1)

void qm_header_init(qm_header *h, unsigned flags, qm_header_fn *fn, void *ctx)
{
  memset(h, 0, sizeof *h);
  h->cur = stralloc_zero;
  h->flags = flags;
  h->state = S_START;
  h->fn = fn;
  h->ctx = ctx;
}

void qm_header_free(qm_header *h)
{
  stralloc_free(&h->cur);
}

static int name_char(unsigned char c)
{
  return c > 32 && c < 127 && c != ':';
}

int qm_header_name_ok(char const *s, size_t len)
{
  size_t i;
  if (!len) return 0;
  for (i = 0; i < len; i++) if (!name_char((unsigned char)s[i])) return 0;
  return 1;
}

int qm_header_is(qm_header_field const *f, char const *name)
{
  size_t i, n = strlen(name);
  if (f->mboxline || f->namelen != n) return 0;
  for (i = 0; i < n; i++) {
    unsigned char a = (unsigned char)f->s[i], b = (unsigned char)name[i];
    if (a >= 'A' && a <= 'Z') a += 32;
    if (b >= 'A' && b <= 'Z') b += 32;
    if (a != b) return 0;
  }
  return 1;
}

char const *qm_header_strerr(int err)
{
  switch (err) {
  case QM_HEADER_E_NONE: return "no error";
  case QM_HEADER_E_NUL: return "NUL byte in a header field";
  case QM_HEADER_E_FIELD: return "header field longer than 64 KiB";
  case QM_HEADER_E_BLOCK: return "header longer than 1 MiB";
  case QM_HEADER_E_NAME: return "invalid header field name";
  case QM_HEADER_E_NOMEM: return "out of memory";
  case QM_HEADER_E_CALLBACK: return "header field refused";
  }
  return "unknown header error";
}

static int fail(qm_header *h, int err)
{
  h->err = err;
  return FAIL;
}

static int store(qm_header *h, char c)
{
  if (h->cur.len >= QM_HEADER_FIELD_MAX) return fail(h, QM_HEADER_E_FIELD);
  if (!stralloc_catb(&h->cur, &c, 1)) return fail(h, QM_HEADER_E_NOMEM);
  return 0;
}

/* Hands the collected field on and forgets it. */
static int emit(qm_header *h)
{
  qm_header_field f;
  if (!h->cur.len) return 0;
  f.s = h->cur.s;
  f.len = h->cur.len;
  f.namelen = h->mboxline ? 0 : h->namelen;
  f.value = h->mboxline ? 0 : h->value;
  f.mboxline = h->mboxline;
  if (!h->fn(h->ctx, &f)) return fail(h, QM_HEADER_E_CALLBACK);
  h->cur.len = 0;
  h->mboxline = 0;
  return 0;
}

static int finish(qm_header *h, int blank)
{
  h->state = S_DONE;
  h->done = 1;
  h->blank = blank;
  return DONE_BYTE;
}

/* The line collected so far (plus c, unless c < 0) cannot start a field: the header
 * ends and the line becomes the start of the body. */
static int not_a_field(qm_header *h, int c)
{
  if (h->flags & QM_HEADER_STRICT) return fail(h, QM_HEADER_E_NAME);
  if (c >= 0 && store(h, (char)c) < 0) return FAIL;
  h->rest = h->cur.s;
  h->restlen = h->cur.len;
  return finish(h, 0);
}

static int step(qm_header *h, unsigned char c)
{
  switch (h->state) {
  case S_START:
    if (h->cur.len) {
      if (c == ' ' || c == '\t') {      /* a continuation line */
        h->state = S_VALUE;
        return store(h, (char)c);
      }
      if (emit(h) < 0) return FAIL;
    }
    if (c == '\n') return finish(h, 1);
    if (!name_char(c)) return not_a_field(h, c);
    h->state = S_NAME;
    return store(h, (char)c);
  case S_NAME:
    if (name_char(c)) return store(h, (char)c);
    if (c == ':') {
      h->namelen = h->cur.len;
      if (store(h, ':') < 0) return FAIL;
      h->value = h->cur.len;
      h->state = S_VALUE;
      return 0;
    }
    if (c == ' ' && (h->flags & QM_HEADER_MBOXLINE) && h->cur.len == 4
        && !memcmp(h->cur.s, "From", 4)) {
      h->mboxline = 1;
      h->state = S_VALUE;
      return store(h, ' ');
    }
    if (c == ' ' || c == '\t') {
      h->namelen = h->cur.len;
      h->state = S_BLANKS;
      return store(h, (char)c);
    }
    return not_a_field(h, c);
  case S_BLANKS:
    if (c == ' ' || c == '\t') return store(h, (char)c);
    if (c == ':') {
      if (store(h, ':') < 0) return FAIL;
      h->value = h->cur.len;
      h->state = S_VALUE;
      return 0;
    }
    return not_a_field(h, c);
  case S_VALUE:
    if (!c) return fail(h, QM_HEADER_E_NUL);
    if (c == '\n') h->state = S_START;
    return store(h, (char)c);
  }
  return DONE_BYTE;
}

/* Takes one input byte into the block count. */
static int count(qm_header *h)
{
  if (h->total >= QM_HEADER_BLOCK_MAX) return fail(h, QM_HEADER_E_BLOCK);
  h->total++;
  return 0;
}

int qm_header_feed(qm_header *h, char const *s, size_t len, size_t *used)
{
  size_t i;
  int r;
  *used = 0;
  if (h->err) return FAIL;
  if (h->done) return 1;
  for (i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (h->cr) {
      h->cr = 0;
      if (c != '\n') {
        /* a lone CR is data; if it ends the header, c belongs to the body */
        r = step(h, '\r');
        if (r < 0) return FAIL;
        if (r) { *used = i; return 1; }
      } else if (!h->linesseen) h->crlf = 1;
    }
    if (count(h) < 0) return FAIL;
    if (c == '\r') { h->cr = 1; continue; }
    if (c == '\n') h->linesseen = 1;
    r = step(h, c);
    if (r < 0) return FAIL;
    if (r) { *used = i + 1; return 1; }
  }
  *used = len;
  return 0;
}

int qm_header_end(qm_header *h)
{
  int r;
  if (h->err) return FAIL;
  if (h->done) return 1;
  if (h->cr) {
    /* a CR that ends the input ends its line */
    h->cr = 0;
    r = step(h, '\n');
    if (r < 0) return FAIL;
    if (r) return 1;
  }
  switch (h->state) {
  case S_NAME:
  case S_BLANKS:
    return not_a_field(h, -1) < 0 ? FAIL : 1;
  case S_VALUE:
    /* the last line had no line end: give the field one */
    if (!stralloc_catb(&h->cur, "\n", 1)) return fail(h, QM_HEADER_E_NOMEM);
    /* fall through */
  default:
    if (emit(h) < 0) return FAIL;
  }
  finish(h, 0);
  return 1;
}
