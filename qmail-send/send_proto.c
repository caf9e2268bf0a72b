/* Spawner and qmail-clean protocols. The decoders trust nothing: every field has a
 * hard limit checked before a byte is stored, and they never allocate. The
 * encoders refuse fields that would break the framing (a NUL inside). */
#include <errno.h>
#include <string.h>

#include <skalibs/stralloc.h>
#include <skalibs/types.h>

#include "send_proto.h"

void send_cmd_init(send_cmd *c)
{
  c->state = 0;
  c->slot = 0;
  c->want = 1;
  c->nrcpt = 0;
  c->pathlen = c->senderlen = c->rcptlen = c->curlen = 0;
  c->path[0] = c->sender[0] = c->rcpt[0] = 0;
}

/* "S/N:k" → path "S/N", want k; without ':' want stays 1. -1: k not 1..max. */
static int path_count(send_cmd *c)
{
  char *colon = memchr(c->path, ':', c->pathlen);
  size_t i;
  unsigned int k = 0;
  if (!colon) return 0;
  i = (size_t)(colon - c->path) + 1;
  if (i == c->pathlen) return -1;
  for (; i < c->pathlen; i++) {
    unsigned int d = (unsigned char)c->path[i] - '0';
    if (d > 9) return -1;
    k = k * 10 + d;
    if (k > SEND_RCPTS_MAX) return -1;
  }
  if (!k) return -1;
  c->want = k;
  c->pathlen = (size_t)(colon - c->path);
  c->path[c->pathlen] = 0;
  return 0;
}

int send_cmd_feed(send_cmd *c, char const *s, size_t n, size_t *used)
{
  size_t i = 0;
  while (i < n) {
    char ch = s[i++];
    if (c->state == 0) { c->slot = (unsigned char)ch; c->state = 1; continue; }
    if (c->state == 1 || c->state == 2) {
      char *buf = c->state == 1 ? c->path : c->sender;
      size_t *len = c->state == 1 ? &c->pathlen : &c->senderlen;
      size_t max = c->state == 1 ? SEND_PATH_MAX : SEND_FIELD_MAX;
      if (!ch) {
        buf[*len] = 0;
        if (c->state == 1 && path_count(c) < 0) { *used = i; return -1; }
        c->state++;
        continue;
      }
      if (*len >= max) { *used = i; return -1; }
      buf[(*len)++] = ch;
      continue;
    }
    /* recipients: each at most SEND_FIELD_MAX, all with NULs at most SEND_RCPTS_BYTES */
    if (!ch) {
      c->rcpt[c->rcptlen++] = 0;
      c->curlen = 0;
      if (++c->nrcpt == c->want) { c->state = 4; *used = i; return 1; }
      continue;
    }
    if (c->curlen >= SEND_FIELD_MAX || c->rcptlen + 1 >= SEND_RCPTS_BYTES) { *used = i; return -1; }
    c->rcpt[c->rcptlen++] = ch;
    c->curlen++;
  }
  *used = i;
  return 0;
}

int send_cmd_encode_list(stralloc *sa, unsigned char slot, uint64_t id, unsigned int split,
                         char const *sender, size_t slen, char const *const *rcpt,
                         size_t const *rlen, unsigned int n)
{
  char path[UINT64_FMT * 2 + UINT_FMT + 3];
  size_t p, total = 0, oldlen = sa->len;
  unsigned int i;
  if (!split || !n || n > SEND_RCPTS_MAX || slen > SEND_FIELD_MAX || memchr(sender, 0, slen)) {
    errno = EINVAL; return 0;
  }
  for (i = 0; i < n; i++) {
    if (rlen[i] > SEND_FIELD_MAX || memchr(rcpt[i], 0, rlen[i])) { errno = EINVAL; return 0; }
    total += rlen[i] + 1;   /* n * (SEND_FIELD_MAX + 1) cannot overflow */
  }
  if (total > SEND_RCPTS_BYTES) { errno = EINVAL; return 0; }
  p = uint64_fmt(path, id % split);
  path[p++] = '/';
  p += uint64_fmt(path + p, id);
  if (n > 1) { path[p++] = ':'; p += uint_fmt(path + p, n); }
  path[p++] = 0;
  if (!stralloc_catb(sa, (char *)&slot, 1) || !stralloc_catb(sa, path, p)
      || !stralloc_catb(sa, sender, slen) || !stralloc_catb(sa, "", 1)) goto nomem;
  for (i = 0; i < n; i++)
    if (!stralloc_catb(sa, rcpt[i], rlen[i]) || !stralloc_catb(sa, "", 1)) goto nomem;
  return 1;
nomem:
  sa->len = oldlen;
  return 0;
}

int send_cmd_encode(stralloc *sa, unsigned char slot, uint64_t id, unsigned int split,
                    char const *sender, size_t slen, char const *rcpt, size_t rlen)
{
  return send_cmd_encode_list(sa, slot, id, split, sender, slen, &rcpt, &rlen, 1);
}

char const *send_cmd_rcpt(send_cmd const *c, unsigned int i)
{
  char const *r = c->rcpt;
  while (i--) r += strlen(r) + 1;
  return r;
}

char const *send_cmd_check(send_cmd const *c)
{
  size_t i, slash = 0, nslash = 0, off = 0;
  for (i = 0; i < c->pathlen; i++) {
    if (c->path[i] == '/') { slash = i; nslash++; }
    else if (c->path[i] < '0' || c->path[i] > '9') break;
  }
  if (i < c->pathlen || nslash != 1 || !slash || slash + 1 == c->pathlen)
    return "ZSorry, the message path is invalid. (#4.3.0)";
  while (off < c->rcptlen) {
    size_t len = strlen(c->rcpt + off);
    if (!memchr(c->rcpt + off, '@', len))
      return "DSorry, address must include host name. (#5.1.3)";
    off += len + 1;
  }
  if (!c->rcptlen) return "DSorry, address must include host name. (#5.1.3)";
  return 0;
}

void send_reply_init(send_reply *r)
{
  r->state = 0;
  r->slot = 0;
  r->len = 0;
  r->truncated = 0;
  r->text[0] = 0;
}

int send_reply_feed(send_reply *r, char const *s, size_t n, size_t *used)
{
  size_t i = 0;
  while (i < n) {
    char ch = s[i++];
    if (r->state == 0) { r->slot = (unsigned char)ch; r->state = 1; continue; }
    if (!ch) { r->text[r->len] = 0; r->state = 2; *used = i; return 1; }
    if (r->len < SEND_REPORT_MAX) r->text[r->len++] = ch;
    else r->truncated = 1;
  }
  *used = i;
  return 0;
}

char send_reply_letter(send_reply const *r)
{
  if (!r->len) return 0;
  switch (r->text[0]) {
    case 'K': case 'Z': case 'D': return r->text[0];
    default: return 0;
  }
}

int send_reply_encode(stralloc *sa, unsigned char slot, char letter, char const *text, size_t len)
{
  char const *nul = memchr(text, 0, len);
  if (nul) len = (size_t)(nul - text);
  return stralloc_catb(sa, (char *)&slot, 1) && stralloc_catb(sa, &letter, 1)
      && stralloc_catb(sa, text, len) && stralloc_catb(sa, "", 1);
}

void send_clean_init(send_clean *c)
{
  c->len = 0;
  c->overlong = 0;
}

int send_clean_feed(send_clean *c, char const *s, size_t n, size_t *used)
{
  size_t i = 0;
  while (i < n) {
    char ch = s[i++];
    if (!ch) { *used = i; return 1; }
    if (c->len < SEND_CLEAN_MAX - 1) c->buf[c->len++] = ch;
    else c->overlong = 1;
  }
  *used = i;
  return 0;
}

int send_clean_parse(send_clean const *c, uint64_t *id)
{
  int kind;
  size_t i;
  uint64_t v = 0;
  if (c->overlong || c->len < 6) return SEND_CLEAN_BAD;
  if (!memcmp(c->buf, "todo/", 5)) kind = SEND_CLEAN_TODO;
  else if (!memcmp(c->buf, "foop/", 5)) kind = SEND_CLEAN_FOOP;
  else return SEND_CLEAN_BAD;
  for (i = 5; i < c->len; i++) {
    unsigned int d = (unsigned char)c->buf[i] - '0';
    if (d > 9 || v > (UINT64_MAX - d) / 10) return SEND_CLEAN_BAD;
    v = v * 10 + d;
  }
  *id = v;
  return kind;
}

int send_clean_encode(stralloc *sa, int kind, uint64_t id)
{
  char num[UINT64_FMT];
  size_t n = uint64_fmt(num, id);
  if (kind != SEND_CLEAN_TODO && kind != SEND_CLEAN_FOOP) { errno = EINVAL; return 0; }
  return stralloc_catb(sa, kind == SEND_CLEAN_TODO ? "todo/" : "foop/", 5)
      && stralloc_catb(sa, num, n) && stralloc_catb(sa, "", 1);
}
