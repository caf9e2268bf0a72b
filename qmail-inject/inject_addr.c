/* Address tokens for qmail-inject: completion, rendering and argument parsing.
 * Trusts nothing: token counts are bounded by INJECT_ADDR_TOKENS and arguments by
 * INJECT_ADDR_MAX before use, and no control character is accepted from an
 * argument. Never writes outside the token array or the given stralloc. */
#include <string.h>

#include "inject_addr.h"

int inject_addr_push(inject_addr *a, char type, char const *s, size_t len)
{
  if (a->n >= INJECT_ADDR_TOKENS) return 0;
  a->t[a->n].type = type;
  a->t[a->n].s = s;
  a->t[a->n].len = len;
  a->n++;
  return 1;
}

static int append(inject_addr *a, inject_addr const *b)
{
  size_t i;
  for (i = 0; i < b->n; i++)
    if (!inject_addr_push(a, b->t[i].type, b->t[i].s, b->t[i].len)) return 0;
  return 1;
}

/* Lexes lead + value into dst, accepting only what a domain may hold. */
static int rw_one(inject_addr *dst, stralloc *src, inject_lexed *lx, char lead,
                  char const *value)
{
  size_t i, n;
  int why, r;
  dst->n = 0;
  src->len = 0;
  if (!stralloc_catb(src, &lead, 1) || !stralloc_cats(src, value)) return -1;
  r = inject_lex(lx, src->s, src->len, &why);
  if (r <= 0) return r;
  n = inject_lex_n(lx);
  for (i = 0; i < n; i++) {
    inject_tok const *t = inject_lex_tok(lx, i);
    switch (t->type) {
    case INJECT_T_ATOM: case INJECT_T_LITERAL: case '.': case '@':
      if (t->type == '@' && i) return 0;
      if (!inject_addr_push(dst, t->type, inject_lex_text(lx, t), t->textlen)) return 0;
      break;
    default:
      return 0;
    }
  }
  return 1;
}

int inject_rw_init(inject_rw *rw, char const *defaulthost, char const *defaultdomain,
                   char const *plusdomain)
{
  int r, i;
  for (i = 0; i < 3; i++) {
    rw->src[i] = stralloc_zero;
    rw->lx[i] = (inject_lexed)INJECT_LEXED_ZERO;
  }
  r = rw_one(&rw->host, &rw->src[0], &rw->lx[0], '@', defaulthost);
  if (r > 0) r = rw_one(&rw->domain, &rw->src[1], &rw->lx[1], '.', defaultdomain);
  if (r > 0) r = rw_one(&rw->plus, &rw->src[2], &rw->lx[2], '.', plusdomain);
  return r;
}

void inject_rw_free(inject_rw *rw)
{
  int i;
  for (i = 0; i < 3; i++) {
    stralloc_free(&rw->src[i]);
    inject_lex_free(&rw->lx[i]);
  }
}

static int has(inject_addr const *a, char type)
{
  size_t i;
  for (i = 0; i < a->n; i++) if (a->t[i].type == type) return 1;
  return 0;
}

int inject_addr_complete(inject_addr *a, inject_rw const *rw)
{
  size_t i;
  inject_atok *last;
  if (!a->n) return 1;
  /* x@[] is a VERP request for qmail-send; leave it alone */
  if (a->n >= 2 && a->t[a->n - 1].type == INJECT_T_LITERAL && !a->t[a->n - 1].len
      && a->t[a->n - 2].type == '@') return 1;
  if (a->t[0].type == '@') {            /* source route: up to the first ':' */
    for (i = 0; i < a->n && a->t[i].type != ':'; i++) ;
    if (i >= a->n) { a->n = 0; return 1; }
    memmove(a->t, a->t + i + 1, (a->n - i - 1) * sizeof a->t[0]);
    a->n -= i + 1;
    if (!a->n) return 1;
  }
  /* qmail drops one '.' and then one '@'; dropping all of them makes completion
   * idempotent, so a completed header field says what the envelope got */
  while (a->t[a->n - 1].type == '.' || a->t[a->n - 1].type == '@')
    if (!--a->n) return 1;
  if (!has(a, '@') && !append(a, &rw->host)) return 0;
  last = &a->t[a->n - 1];
  if (last->type == INJECT_T_ATOM && last->len && last->s[last->len - 1] == '+') {
    if (last->len > 1) {
      last->len--;
      if (!append(a, &rw->plus)) return 0;
    } else {
      /* the host was only "+": it becomes plusdomain itself */
      a->n--;
      for (i = 1; i < rw->plus.n; i++)
        if (!inject_addr_push(a, rw->plus.t[i].type, rw->plus.t[i].s, rw->plus.t[i].len))
          return 0;
    }
  }
  for (i = a->n; i-- > 0;) {
    char ty = a->t[i].type;
    if (ty == '.' || ty == INJECT_T_LITERAL) return 1;
    if (ty == '@') break;
  }
  return append(a, &rw->domain);
}

size_t inject_addr_envlen(inject_addr const *a)
{
  size_t i, n = 0;
  for (i = 0; i < a->n; i++) {
    switch (a->t[i].type) {
    case INJECT_T_ATOM: case INJECT_T_QUOTE: n += a->t[i].len; break;
    case INJECT_T_LITERAL: n += a->t[i].len + 2; break;
    default: n++;
    }
  }
  return n;    /* at most INJECT_ADDR_TOKENS tokens of field-sized text: no overflow */
}

int inject_addr_envelope(stralloc *out, inject_addr const *a)
{
  size_t i;
  for (i = 0; i < a->n; i++) {
    inject_atok const *t = &a->t[i];
    int ok;
    switch (t->type) {
    case INJECT_T_ATOM: case INJECT_T_QUOTE: ok = stralloc_catb(out, t->s, t->len); break;
    case INJECT_T_LITERAL:
      ok = stralloc_catb(out, "[", 1) && stralloc_catb(out, t->s, t->len)
           && stralloc_catb(out, "]", 1);
      break;
    default: ok = stralloc_catb(out, &t->type, 1);
    }
    if (!ok) return 0;
  }
  return 1;
}

/* s between open and close, with a backslash before each byte in esc. */
static int escaped(stralloc *out, char open, char const *s, size_t len, char close,
                   char const *esc)
{
  size_t i;
  if (!stralloc_catb(out, &open, 1)) return 0;
  for (i = 0; i < len; i++) {
    if (s[i] && strchr(esc, s[i]) && !stralloc_catb(out, "\\", 1)) return 0;
    if (!stralloc_catb(out, s + i, 1)) return 0;
  }
  return stralloc_catb(out, &close, 1);
}

int inject_addr_header(stralloc *out, inject_addr const *a)
{
  size_t i;
  for (i = 0; i < a->n; i++) {
    inject_atok const *t = &a->t[i];
    int ok;
    switch (t->type) {
    case INJECT_T_ATOM: ok = stralloc_catb(out, t->s, t->len); break;
    case INJECT_T_QUOTE: ok = escaped(out, '"', t->s, t->len, '"', "\"\\"); break;
    case INJECT_T_LITERAL: ok = escaped(out, '[', t->s, t->len, ']', "[]\\"); break;
    default: ok = stralloc_catb(out, &t->type, 1);
    }
    if (!ok) return 0;
  }
  return 1;
}

int inject_local_needs_quote(char const *s, size_t len)
{
  size_t i;
  if (!len || s[0] == '.' || s[len - 1] == '.') return 1;
  for (i = 0; i < len; i++) {
    if (s[i] == '.') {
      if (s[i + 1] == '.') return 1;       /* i + 1 < len: s does not end in '.' */
    } else if (!inject_atom_char((unsigned char)s[i])) return 1;
  }
  return 0;
}

static int push_dotted(inject_addr *a, char const *s, size_t len)
{
  size_t i = 0;
  while (i < len) {
    size_t j = i;
    if (s[i] == '.') {
      if (!inject_addr_push(a, '.', s + i, 1)) return 0;
      i++;
      continue;
    }
    while (j < len && s[j] != '.') {
      if (!inject_atom_char((unsigned char)s[j])) return 0;
      j++;
    }
    if (!inject_addr_push(a, INJECT_T_ATOM, s + i, j - i)) return 0;
    i = j;
  }
  return 1;
}

int inject_addr_fromarg(inject_addr *a, char const *s, size_t len)
{
  size_t i, at;
  a->n = 0;
  if (len >= 2 && s[0] == '<' && s[len - 1] == '>') { s++; len -= 2; }
  if (len > INJECT_ADDR_MAX) return -1;
  for (i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 32 || c == 127) return 0;
  }
  if (!len) return 1;
  for (at = len; at > 0 && s[at - 1] != '@'; at--) ;
  at = at ? at - 1 : len;           /* index of the last '@', or len if none */
  if (inject_local_needs_quote(s, at)) {
    if (!inject_addr_push(a, INJECT_T_QUOTE, s, at)) return 0;
  } else if (!push_dotted(a, s, at)) return 0;
  if (at == len) return 1;
  if (!inject_addr_push(a, '@', s + at, 1)) return 0;
  s += at + 1;
  len -= at + 1;
  if (len && s[0] == '[') {
    if (len < 2 || s[len - 1] != ']') return 0;
    for (i = 1; i + 1 < len; i++)
      if (s[i] == '[' || s[i] == ']' || s[i] == '\\') return 0;
    return inject_addr_push(a, INJECT_T_LITERAL, s + 1, len - 2);
  }
  return push_dotted(a, s, len);
}

int inject_quote_envelope(stralloc *out, char const *s, size_t len)
{
  size_t at;
  for (at = len; at > 0 && s[at - 1] != '@'; at--) ;
  at = at ? at - 1 : len;
  if (!len) return 1;
  if (inject_local_needs_quote(s, at)) {
    if (!escaped(out, '"', s, at, '"', "\"\\")) return 0;
  } else if (!stralloc_catb(out, s, at)) return 0;
  return stralloc_catb(out, s + at, len - at);
}
