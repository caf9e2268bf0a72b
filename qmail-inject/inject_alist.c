/* The address-list parser of qmail-inject. Trusts nothing: the value comes from the
 * message. Works on the lexer's tokens with an explicit position, without
 * recursion beyond one level of group, and rolls back what it appended when the
 * value turns out not to be an address list. Never changes bytes outside the
 * addresses it completes. */
#include <string.h>

#include "inject_alist.h"

/* parse state for one value */
typedef struct walk_s {
  inject_alist *al;
  char const *v;
  size_t len;
  size_t const *sig;        /* token index of each significant token */
  size_t n;                 /* how many */
  size_t p;                 /* current position in sig */
  size_t copied;            /* bytes of v already in al->out */
  inject_rw const *rw;
  stralloc *addrs;
  size_t count;
} walk;

static inject_tok const *tok(walk const *w, size_t p)
{
  return inject_lex_tok(&w->al->lx, w->sig[p]);
}

static char type(walk const *w, size_t p)
{
  return p < w->n ? tok(w, p)->type : 0;
}

static int word(char t)
{
  return t == INJECT_T_ATOM || t == INJECT_T_QUOTE || t == INJECT_T_LITERAL;
}

static int syntax(walk *w)
{
  w->al->err = INJECT_ALIST_E_SYNTAX;
  return 0;
}

/* Checks sig[a..b) as a local part / domain sequence: words, dots and at-signs,
 * never two words side by side, and no leading '@' (a route belongs in <>). */
static int addr_spec_ok(walk const *w, size_t a, size_t b)
{
  size_t p;
  if (a < b && type(w, a) == '@') return 0;
  for (p = a; p < b; p++) {
    char t = type(w, p);
    if (!word(t) && t != '.' && t != '@') return 0;
    if (p > a && word(t) && word(type(w, p - 1))) return 0;
  }
  return 1;
}

/* sig[a..b) inside angle brackets: [@dom,@dom:]addr-spec, or empty. */
static int angle_ok(walk const *w, size_t a, size_t b)
{
  size_t p, colon = b;
  if (a < b && type(w, a) == '@') {
    for (p = a; p < b; p++) if (type(w, p) == ':') { colon = p; break; }
    if (colon == b) return 0;
    for (p = a; p < colon; p++) {
      char t = type(w, p);
      if (!word(t) && t != '.' && t != '@' && t != ',') return 0;
    }
    a = colon + 1;
  }
  return addr_spec_ok(w, a, b);
}

/* One address: sig[a..b), completed, collected and written in place. */
static int mailbox(walk *w, size_t a, size_t b, int angle)
{
  inject_addr *addr = &w->al->addr;
  size_t p, start, end, i, nt;
  if (a == b && !angle) return 1;           /* an empty member, as obs-addr-list allows */
  addr->n = 0;
  for (p = a; p < b; p++) {
    inject_tok const *t = tok(w, p);
    if (!inject_addr_push(addr, t->type, inject_lex_text(&w->al->lx, t), t->textlen)) {
      w->al->err = INJECT_ALIST_E_LONG;
      return 0;
    }
  }
  if (!inject_addr_complete(addr, w->rw) || inject_addr_envlen(addr) > INJECT_ADDR_MAX) {
    w->al->err = INJECT_ALIST_E_LONG;
    return 0;
  }
  if (!inject_addr_envelope(w->addrs, addr) || !stralloc_0(w->addrs)) return -1;
  w->count++;
  if (a == b) return 1;                      /* <> stays as written */
  start = tok(w, a)->start;
  end = tok(w, b - 1)->end;
  if (!stralloc_catb(&w->al->out, w->v + w->copied, start - w->copied)) return -1;
  /* a bare address that completes to nothing (".") is written as the
   * null address it now is, so that the field says what the envelope got */
  if (!addr->n && !angle && !stralloc_catb(&w->al->out, "<>", 2)) return -1;
  if (!inject_addr_header(&w->al->out, addr)) return -1;
  /* comments written inside the address survive after it */
  nt = inject_lex_n(&w->al->lx);
  for (i = w->sig[a]; i < nt; i++) {
    inject_tok const *t = inject_lex_tok(&w->al->lx, i);
    if (t->start >= end) break;
    if (t->type == INJECT_T_COMMENT
        && (!stralloc_catb(&w->al->out, " ", 1)
            || !stralloc_catb(&w->al->out, w->v + t->start, t->end - t->start))) return -1;
  }
  w->copied = end;
  return 1;
}

static int list(walk *w, int in_group);

/* One member: a mailbox, an angle address with its display name, or a group. */
static int address(walk *w, int in_group)
{
  size_t k, gt;
  char t = 0;
  for (k = w->p; k < w->n; k++) {
    t = type(w, k);
    if (t == '<' || t == ':' || t == ',' || t == ';' || t == '>') break;
  }
  if (k < w->n && t == '<') {
    /* the display name: words and dots, and the '@' that real mail puts there */
    size_t p;
    for (p = w->p; p < k; p++) {
      char u = type(w, p);
      if (!word(u) && u != '.' && u != '@') return syntax(w);
    }
    for (gt = k + 1; gt < w->n && type(w, gt) != '>'; gt++) ;
    if (gt >= w->n || !angle_ok(w, k + 1, gt)) return syntax(w);
    w->p = gt + 1;
    return mailbox(w, k + 1, gt, 1);
  }
  if (k < w->n && t == ':') {
    size_t p;
    if (in_group || k == w->p) return syntax(w);     /* a group has a name */
    for (p = w->p; p < k; p++) {
      char u = type(w, p);
      if (!word(u) && u != '.') return syntax(w);
    }
    w->p = k + 1;
    return list(w, 1);
  }
  if (k < w->n && t == '>') return syntax(w);
  if (!addr_spec_ok(w, w->p, k)) return syntax(w);
  {
    size_t a = w->p;
    w->p = k;
    return mailbox(w, a, k, 0);
  }
}

static int list(walk *w, int in_group)
{
  for (;;) {
    int r;
    while (type(w, w->p) == ',') w->p++;
    if (w->p >= w->n) return 1;      /* a group may lack its ';' at the very end */
    if (type(w, w->p) == ';') {
      if (!in_group) return syntax(w);
      w->p++;
      return 1;
    }
    r = address(w, in_group);
    if (r <= 0) return r;
    if (w->p < w->n && type(w, w->p) != ',' && type(w, w->p) != ';') return syntax(w);
  }
}

int inject_alist_rewrite(inject_alist *al, char const *v, size_t len, inject_rw const *rw,
                         stralloc *addrs, size_t *naddrs)
{
  walk w;
  size_t i, n, addrlen = addrs->len;
  int why, r;
  al->err = INJECT_ALIST_E_NONE;
  al->out.len = 0;
  r = inject_lex(&al->lx, v, len, &why);
  if (r < 0) return -1;
  if (!r) { al->err = INJECT_ALIST_E_LEX; return 0; }
  genalloc_setlen(size_t, &al->sig, 0);
  n = inject_lex_n(&al->lx);
  for (i = 0; i < n; i++)
    if (inject_lex_tok(&al->lx, i)->type != INJECT_T_COMMENT
        && !genalloc_append(size_t, &al->sig, &i)) return -1;
  memset(&w, 0, sizeof w);
  w.al = al;
  w.v = v;
  w.len = len;
  w.sig = genalloc_s(size_t, &al->sig);
  w.n = genalloc_len(size_t, &al->sig);
  w.rw = rw;
  w.addrs = addrs;
  r = list(&w, 0);
  if (r > 0 && !stralloc_catb(&al->out, v + w.copied, len - w.copied)) r = -1;
  if (r <= 0) {
    addrs->len = addrlen;
    return r;
  }
  *naddrs += w.count;
  return 1;
}

char const *inject_alist_strerr(int err)
{
  switch (err) {
  case INJECT_ALIST_E_LEX: return "unbalanced quote, comment or bracket, or a control character";
  case INJECT_ALIST_E_SYNTAX: return "not an address list";
  case INJECT_ALIST_E_LONG: return "address too long";
  }
  return "no error";
}

void inject_alist_free(inject_alist *al)
{
  inject_lex_free(&al->lx);
  genalloc_free(size_t, &al->sig);
  stralloc_free(&al->out);
}
