/* Recipient classification: qmail-send's rules for envnoathost, percenthack, locals
 * and virtualdomains (QMAIL-INTERFACES 4.2). Trusts nothing in the address beyond
 * its length; never reads or writes outside the given buffers and never touches
 * files. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <skalibs/stralloc.h>

#include "qm_size.h"
#include "send_rcpt.h"

static int keycmp(char const *a, size_t alen, char const *b, size_t blen)
{
  size_t n = alen < blen ? alen : blen;
  int r = n ? strncasecmp(a, b, n) : 0;
  if (r) return r;
  return alen < blen ? -1 : alen > blen;
}

static int entrycmp(void const *x, void const *y)
{
  send_table_entry const *a = x, *b = y;
  int r = keycmp(a->key, a->keylen, b->key, b->keylen);
  if (r) return r;
  /* equal keys keep file order, so the first line wins */
  return a->key < b->key ? -1 : a->key > b->key;
}

int send_table_build(send_table *t, stralloc const *list, int split)
{
  size_t i, n = 0, k = 0;
  send_table_entry *e;
  for (i = 0; i < list->len; i++) if (!list->s[i]) n++;
  if (list->len && list->s[list->len - 1]) n++;
  e = n ? calloc(n, sizeof *e) : 0;
  if (n && !e) return 0;
  i = 0;
  while (i < list->len) {
    char const *s = list->s + i;
    size_t len = strnlen(s, list->len - i), c = len;
    if (split) {
      char const *colon = memchr(s, ':', len);
      if (!colon) { i += len + 1; continue; }   /* qmail ignores lines without a colon */
      c = (size_t)(colon - s);
    }
    e[k].key = s;
    e[k].keylen = c;
    e[k].val = c < len ? s + c + 1 : s + len;
    e[k].vallen = c < len ? len - c - 1 : 0;
    k++;
    i += len + 1;
  }
  if (k) qsort(e, k, sizeof *e, entrycmp);
  /* drop later duplicates so that find needs no tie-breaking */
  if (k) {
    size_t w = 1;
    for (i = 1; i < k; i++)
      if (keycmp(e[i].key, e[i].keylen, e[w - 1].key, e[w - 1].keylen)) e[w++] = e[i];
    k = w;
  }
  free(t->e);
  t->e = e;
  t->n = k;
  return 1;
}

void send_table_free(send_table *t)
{
  free(t->e);
  t->e = 0;
  t->n = 0;
}

send_table_entry const *send_table_find(send_table const *t, char const *key, size_t len)
{
  size_t lo = 0, hi = t ? t->n : 0;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int r = keycmp(key, len, t->e[mid].key, t->e[mid].keylen);
    if (!r) return &t->e[mid];
    if (r < 0) hi = mid; else lo = mid + 1;
  }
  return 0;
}

static size_t lastat(char const *s, size_t len)
{
  size_t i = len;
  while (i--) if (s[i] == '@') return i;
  return len;
}

int send_rcpt_classify(send_rcpt_ctx const *ctx, char const *addr, size_t len,
                       stralloc *out, size_t *prelen)
{
  size_t at, i;
  send_table_entry const *hit = 0;
  *prelen = 0;
  out->len = 0;
  if (!stralloc_catb(out, addr, len)) return -1;
  at = lastat(out->s, out->len);
  if (at == out->len) {
    char const *h = ctx->envnoathost ? ctx->envnoathost : "envnoathost";
    if (!stralloc_catb(out, "@", 1) || !stralloc_catb(out, h, strlen(h))) return -1;
  }

  /* percenthack: u%h@dom becomes u@h while dom is listed; each round drops a
   * domain, so the loop ends within the number of '%' in the address */
  for (;;) {
    size_t pct;
    at = lastat(out->s, out->len);
    if (!send_table_find(ctx->percenthack, out->s + at + 1, out->len - at - 1)) break;
    pct = at;
    while (pct-- && out->s[pct] != '%') ;
    if (pct == (size_t)-1) break;
    out->s[pct] = '@';
    out->len = at;
  }

  at = lastat(out->s, out->len);
  if (send_table_find(ctx->locals, out->s + at + 1, out->len - at - 1)) return SEND_CHAN_LOCAL;

  /* virtualdomains: whole address, domain, each .suffix longest first, empty key */
  for (i = 0; i <= out->len && !hit; i++)
    if (!i || i == at + 1 || i == out->len || (i > at && out->s[i] == '.'))
      hit = send_table_find(ctx->vdoms, out->s + i, out->len - i);
  if (!hit || !hit->vallen) return SEND_CHAN_REMOTE;
  {
    size_t plus;
    if (!qm_size_add(&plus, hit->vallen, 1)) return -1;
    if (!stralloc_insertb(out, 0, "-", 1) || !stralloc_insertb(out, 0, hit->val, hit->vallen))
      return -1;
    *prelen = plus;
  }
  return SEND_CHAN_LOCAL;
}

int send_rcpt_unprepend(send_rcpt_ctx const *ctx, char const *rcpt, size_t len, size_t *cut)
{
  stralloc out = STRALLOC_ZERO;
  size_t at = lastat(rcpt, len), i;
  *cut = 0;
  /* the prepend is never empty, so the cut is after a '-' inside the local part */
  for (i = 1; i < at && !*cut; i++) {
    size_t pre;
    int c;
    if (rcpt[i] != '-') continue;
    c = send_rcpt_classify(ctx, rcpt + i + 1, len - i - 1, &out, &pre);
    if (c < 0) { stralloc_free(&out); return 0; }
    if (c == SEND_CHAN_LOCAL && pre == i + 1 && out.len == len && !memcmp(out.s, rcpt, len)) *cut = pre;
  }
  stralloc_free(&out);
  return 1;
}

int send_verp(stralloc *out, char const *sender, size_t slen, char const *rcpt, size_t rlen)
{
  static char const suffix[] = "-@[]";
  size_t const sl = sizeof suffix - 1;
  size_t sat, rat;
  out->len = 0;
  if (slen < sl || memcmp(sender + slen - sl, suffix, sl))
    return stralloc_catb(out, sender, slen);
  slen -= sl;
  sat = lastat(sender, slen);
  rat = lastat(rcpt, rlen);
  if (!stralloc_catb(out, sender, sat) || !stralloc_catb(out, rcpt, rat)) return 0;
  if (rat < rlen && (!stralloc_catb(out, "=", 1)
                     || !stralloc_catb(out, rcpt + rat + 1, rlen - rat - 1))) return 0;
  if (sat < slen && !stralloc_catb(out, sender + sat, slen - sat)) return 0;
  return 1;
}
