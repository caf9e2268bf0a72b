/* The delivery model behind qmail-newrcpt. Every input is the operator's (assign,
 * passwd, .qmail names), so it is trusted for content but not for size: lengths are
 * checked before copies. The verdict for a local part is computed by running the
 * same decisions qmail-getpw and qmail-local make (getpw_resolve, local_search)
 * over in-memory tables; the keys are every string those decisions compare with. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <skalibs/stralloc.h>

#include "../qmail-local/getpw_cand.h"
#include "../qmail-local/local_search.h"
#include "newrcpt_map.h"
#include "qm_users.h"

/* Characters tried as "any other character" after a prefix: never the break. */
static char const generic[] = "zqxjkv0123456789wybfgmhlnpcdrstuioae_";

static int grow(void **p, size_t *alloc, size_t n, size_t size)
{
  void *q;
  size_t na;
  if (n < *alloc) return 1;
  na = *alloc ? *alloc * 2 : 16;
  if (na > ((size_t)-1) / size) { errno = ENOMEM; return 0; }
  q = realloc(*p, na * size);
  if (!q) { errno = ENOMEM; return 0; }
  *p = q;
  *alloc = na;
  return 1;
}

static char *dupb(char const *s, size_t len)
{
  char *d = malloc(len + 1);
  if (!d) { errno = ENOMEM; return 0; }
  memcpy(d, s, len);
  d[len] = 0;
  return d;
}

static void lowerb(char *s, size_t len)
{
  size_t i;
  for (i = 0; i < len; i++)
    if (s[i] >= 'A' && s[i] <= 'Z') s[i] = (char)(s[i] - 'A' + 'a');
}

static int cmpb(char const *a, size_t alen, char const *b, size_t blen)
{
  int c = memcmp(a, b, alen < blen ? alen : blen);
  if (c) return c;
  return alen < blen ? -1 : alen > blen;
}

void nrc_init(nrc *m, char brk, char const *aliasname)
{
  memset(m, 0, sizeof *m);
  m->brk = brk;
  m->aliasname = aliasname;
}

void nrc_free(nrc *m)
{
  size_t i, j;
  for (i = 0; i < m->nassign; i++) { free(m->assign[i].key); free(m->assign[i].val); }
  for (i = 0; i < m->nacct; i++) { free(m->acct[i].name); free(m->acct[i].home); }
  for (i = 0; i < m->nhome; i++) {
    for (j = 0; j < m->home[i].nfiles; j++) free(m->home[i].files[j]);
    free(m->home[i].files);
    free(m->home[i].path);
  }
  for (i = 0; i < m->ncand; i++) free(m->cand[i].s);
  free(m->assign);
  free(m->acct);
  free(m->home);
  free(m->cand);
  free(m->aliashome);
  stralloc_free(&m->tmp);
  stralloc_free(&m->val);
  stralloc_free(&m->name);
  stralloc_free(&m->key);
  memset(m, 0, sizeof *m);
}

static nrc_assign const *find_assign(nrc const *m, char const *k, size_t len, int exact)
{
  size_t i;
  for (i = 0; i < m->nassign; i++)
    if (m->assign[i].exact == exact && m->assign[i].len == len && !memcmp(m->assign[i].key, k, len))
      return m->assign + i;
  return 0;
}

int nrc_add_assign(void *vm, char const *key, size_t klen, char const *val, size_t vlen)
{
  nrc *m = vm;
  nrc_assign a;
  qm_users_entry e;
  if (!klen || key[0] != '!') { errno = EINVAL; return 0; }
  a.exact = klen >= 2 && !key[klen - 1];
  a.len = klen - 1 - (size_t)a.exact;
  if (a.len > NRC_LOCAL_MAX || memchr(key + 1, 0, a.len)) { errno = EINVAL; return 0; }
  if (!qm_users_parse(&e, &m->val, val, vlen)) return 0;
  if (find_assign(m, key + 1, a.len, a.exact)) return 1;
  if (!grow((void **)&m->assign, &m->aassign, m->nassign, sizeof a)) return 0;
  a.key = dupb(key + 1, a.len);
  a.val = a.key ? dupb(val, vlen) : 0;
  if (!a.val) { free(a.key); return 0; }
  lowerb(a.key, a.len);
  a.vlen = vlen;
  m->assign[m->nassign++] = a;
  return 1;
}

int nrc_add_account(nrc *m, char const *name, char const *home)
{
  nrc_account a;
  size_t i;
  for (i = 0; i < m->nacct; i++) if (!strcmp(m->acct[i].name, name)) return 1;
  if (!grow((void **)&m->acct, &m->aacct, m->nacct, sizeof a)) return 0;
  a.name = dupb(name, strlen(name));
  a.home = a.name ? dupb(home, strlen(home)) : 0;
  if (!a.home) { free(a.name); return 0; }
  m->acct[m->nacct++] = a;
  return 1;
}

int nrc_set_alias(nrc *m, char const *home)
{
  free(m->aliashome);
  m->aliashome = dupb(home, strlen(home));
  return !!m->aliashome;
}

static int cmp_acct(void const *a, void const *b)
{
  return strcmp(((nrc_account const *)a)->name, ((nrc_account const *)b)->name);
}

static int cmp_home(void const *a, void const *b)
{
  return strcmp(((nrc_home const *)a)->path, ((nrc_home const *)b)->path);
}

static int cmp_str(void const *a, void const *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_cand(void const *a, void const *b)
{
  nrc_cand const *x = a, *y = b;
  int c = cmpb(x->s, x->len, y->s, y->len);
  return c ? c : x->prefix - y->prefix;
}

static int add_home(nrc *m, char const *path)
{
  nrc_home h;
  memset(&h, 0, sizeof h);
  if (!grow((void **)&m->home, &m->ahome, m->nhome, sizeof h)) return 0;
  h.path = dupb(path, strlen(path));
  if (!h.path) return 0;
  m->home[m->nhome++] = h;
  return 1;
}

int nrc_prepare(nrc *m)
{
  size_t i, j;
  if (m->nacct) qsort(m->acct, m->nacct, sizeof *m->acct, &cmp_acct);
  for (i = 0; i < m->nacct; i++) if (!add_home(m, m->acct[i].home)) return 0;
  if (m->aliashome && !add_home(m, m->aliashome)) return 0;
  for (i = 0; i < m->nassign; i++) {
    qm_users_entry e;
    if (!qm_users_parse(&e, &m->val, m->assign[i].val, m->assign[i].vlen)) return 0;
    if (!add_home(m, e.home)) return 0;
  }
  if (m->nhome) qsort(m->home, m->nhome, sizeof *m->home, &cmp_home);
  for (i = j = 0; i < m->nhome; i++) {
    if (j && !strcmp(m->home[j - 1].path, m->home[i].path)) { free(m->home[i].path); continue; }
    m->home[j++] = m->home[i];
  }
  m->nhome = j;
  return 1;
}

int nrc_home_addfile(nrc *m, size_t i, char const *name)
{
  nrc_home *h = m->home + i;
  char *s;
  if (!grow((void **)&h->files, &h->afiles, h->nfiles, sizeof *h->files)) return 0;
  s = dupb(name, strlen(name));
  if (!s) return 0;
  h->files[h->nfiles++] = s;
  return 1;
}

void nrc_home_unknown(nrc *m, size_t i)
{
  m->home[i].unknown = 1;
}

static nrc_home const *find_home(nrc const *m, char const *path)
{
  nrc_home key;
  key.path = (char *)path;
  if (!m->nhome) return 0;
  return bsearch(&key, m->home, m->nhome, sizeof *m->home, &cmp_home);
}

static int home_has(nrc_home const *h, char const *name)
{
  return h->nfiles && bsearch(&name, h->files, h->nfiles, sizeof *h->files, &cmp_str);
}

static int add_cand1(nrc *m, char const *s, size_t len, int prefix)
{
  nrc_cand c;
  if (len > NRC_LOCAL_MAX) return 1;          /* longer than any address we judge */
  if (!grow((void **)&m->cand, &m->acand, m->ncand, sizeof c)) return 0;
  c.s = dupb(s, len);
  if (!c.s) return 0;
  lowerb(c.s, len);
  c.len = len;
  c.prefix = prefix;
  m->cand[m->ncand++] = c;
  return 1;
}

/* A prefix also decides the address that is the prefix itself, which may differ
 * (".qmail-" against ".qmail-default"): give it its own exact key. */
static int add_cand(nrc *m, char const *s, size_t len, int prefix)
{
  if (!add_cand1(m, s, len, prefix)) return 0;
  return !prefix || !len || add_cand1(m, s, len, 0);
}

/* base + rest, where each ':' in rest may stand for '.' or ':' in the address. */
static int add_variants(nrc *m, char const *base, size_t blen, char const *rest, size_t rlen, int prefix)
{
  size_t colon[NRC_COLONS_MAX], nc = 0, i;
  unsigned long v, nv;
  m->tmp.len = 0;
  if (!stralloc_catb(&m->tmp, base, blen) || !stralloc_catb(&m->tmp, rest, rlen)) return 0;
  for (i = 0; i < rlen; i++) {
    if (rest[i] != ':') continue;
    if (nc == NRC_COLONS_MAX) { m->tmp.s[blen + i] = '.'; continue; }
    colon[nc++] = blen + i;
  }
  nv = 1UL << nc;
  for (v = 0; v < nv; v++) {
    for (i = 0; i < nc; i++) m->tmp.s[colon[i]] = (v >> i) & 1 ? ':' : '.';
    if (!add_cand(m, m->tmp.s, m->tmp.len, prefix)) return 0;
  }
  return 1;
}

/* The addresses a file .qmail<dash><e> of an owner speaks for, when that owner gets
 * local parts base + rest with ext = pre + rest. */
static int derive(nrc *m, char const *base, size_t blen, char const *pre, char const *e)
{
  size_t elen = strlen(e), plen, i;
  stralloc *sp = &m->name;
  for (i = 0; i < elen; i++) {
    unsigned char c = (unsigned char)e[i];
    if (c < 32 || c == 127 || (c >= 'A' && c <= 'Z')) return 1;   /* never looked up */
  }
  sp->len = 0;
  if (!local_safeext(sp, pre, strlen(pre))) return 0;
  plen = sp->len;
  if (elen >= 7 && !memcmp(e + elen - 7, "default", 7) && (elen == 7 || e[elen - 8] == '-')) {
    size_t q = elen - 7;
    if (q >= plen && !memcmp(e, sp->s, plen)
        && !add_variants(m, base, blen, e + plen, q - plen, 1)) return 0;
  }
  if (elen >= plen && !memcmp(e, sp->s, plen)
      && !add_variants(m, base, blen, e + plen, elen - plen, 0)) return 0;
  return 1;
}

/* Every file .qmail<dash>* of home, as seen by an owner of base + rest. */
static int derive_home(nrc *m, char const *home, char const *dash, char const *base, size_t blen,
                       char const *pre)
{
  nrc_home const *h = find_home(m, home);
  size_t i, dlen = strlen(dash);
  if (!h || !dlen) return 1;           /* an empty dash always delivers */
  for (i = 0; i < h->nfiles; i++) {
    char const *f = h->files[i];
    if (strncmp(f, ".qmail", 6) || strncmp(f + 6, dash, dlen)) continue;
    if (!derive(m, base, blen, pre, f + 6 + dlen)) return 0;
  }
  return 1;
}

int nrc_build(nrc *m)
{
  size_t i, j;
  for (i = 0; i < m->nhome; i++)
    if (m->home[i].nfiles) qsort(m->home[i].files, m->home[i].nfiles, sizeof *m->home[i].files, &cmp_str);
  if (!add_cand(m, "", 0, 1) || !add_cand(m, "postmaster", 10, 0)) return 0;
  for (i = 0; i < m->nassign; i++) {
    nrc_assign const *a = m->assign + i;
    qm_users_entry e;
    stralloc keep = STRALLOC_ZERO;
    int ok;
    if (!add_cand(m, a->key, a->len, !a->exact)) return 0;
    if (a->exact) continue;
    if (!qm_users_parse(&e, &keep, a->val, a->vlen)) return 0;
    ok = derive_home(m, e.home, e.dash, a->key, a->len, e.ext);
    stralloc_free(&keep);
    if (!ok) return 0;
  }
  for (i = 0; i < m->nacct; i++) {
    nrc_account const *a = m->acct + i;
    size_t n = strlen(a->name);
    stralloc base = STRALLOC_ZERO;
    int ok;
    if (!add_cand(m, a->name, n, 0)) return 0;
    if (!stralloc_catb(&base, a->name, n) || !stralloc_catb(&base, &m->brk, 1)) return 0;
    ok = add_cand(m, base.s, base.len, 1) && derive_home(m, a->home, "-", base.s, base.len, "");
    stralloc_free(&base);
    if (!ok) return 0;
  }
  if (m->aliashome && !derive_home(m, m->aliashome, "-", "", 0, "")) return 0;
  qsort(m->cand, m->ncand, sizeof *m->cand, &cmp_cand);
  for (i = j = 0; i < m->ncand; i++) {
    if (j && !cmp_cand(m->cand + j - 1, m->cand + i)) { free(m->cand[i].s); continue; }
    m->cand[j++] = m->cand[i];
  }
  m->ncand = j;
  return 1;
}

static int check_acct(void *vm, char const *name, stralloc *user)
{
  nrc *m = vm;
  nrc_account key;
  key.name = (char *)name;
  m->found = m->nacct ? bsearch(&key, m->acct, m->nacct, sizeof *m->acct, &cmp_acct) : 0;
  if (!m->found) return 0;
  return stralloc_cats(user, name) ? 1 : -1;
}

/* qmail-local's file search in a home: 1 found or cannot judge, 0 no such file. */
static int search(nrc *m, char const *home, char const *dash, char const *ext, size_t extlen)
{
  nrc_home const *h = find_home(m, home);
  local_search s;
  size_t deflt;
  int r;
  if (!h || h->unknown || !local_ext_ok(ext, extlen)) return 1;
  m->key.len = 0;
  if (!stralloc_catb(&m->key, ext, extlen) || !stralloc_0(&m->key)) return -1;
  local_search_init(&s, dash, m->key.s);
  while ((r = local_search_next(&s, &m->name, &deflt)) > 0)
    if (home_has(h, m->name.s)) return 1;
  if (r < 0) return -1;
  return *dash ? 0 : 1;      /* an empty dash falls back to the default delivery */
}

int nrc_decide(nrc *m, char const *local, size_t len)
{
  nrc_assign const *a;
  getpw_result r = { STRALLOC_ZERO, "", 0, 0 };
  char const *home;
  size_t cut = 0;
  int rc;
  if (len > NRC_LOCAL_MAX) return 1;
  m->tmp.len = 0;
  if (!stralloc_catb(&m->tmp, local, len)) return -1;
  lowerb(m->tmp.s, len);
  /* users/assign: the exact entry, else the longest wildcard prefix */
  a = find_assign(m, m->tmp.s, len, 1);
  if (!a)
    for (cut = len + 1; cut-- > 0;)
      if ((a = find_assign(m, m->tmp.s, cut, 0))) break;
  if (a) {
    qm_users_entry e;
    stralloc ext = STRALLOC_ZERO;
    if (!qm_users_parse(&e, &m->val, a->val, a->vlen)) return -1;
    if (!e.uid) return 1;             /* lspawn refuses it: a temporary failure */
    if (!stralloc_cats(&ext, e.ext) || (!a->exact && !stralloc_catb(&ext, local + cut, len - cut))) {
      stralloc_free(&ext);
      return -1;
    }
    rc = search(m, e.home, e.dash, ext.s ? ext.s : "", ext.len);
    stralloc_free(&ext);
    return rc;
  }
  /* the passwd database, as qmail-getpw */
  m->found = 0;
  rc = getpw_resolve(local, len, m->brk, m->aliasname, &check_acct, m, &r);
  stralloc_free(&r.user);
  if (rc < 0) return -1;
  if (!rc) { r.alias = 1; r.dash = "-"; r.extpos = 0; }
  if (r.alias) {
    if (!m->aliashome) return 1;      /* no alias account: lspawn defers */
    home = m->aliashome;
  } else home = m->found->home;
  return search(m, home, r.dash, local + r.extpos, len - r.extpos);
}

/* In cand[0..n), sorted: is there an entry starting with s? */
static int any_startswith(nrc_cand const *c, size_t n, char const *s, size_t len)
{
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (cmpb(c[mid].s, c[mid].len, s, len) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo < n && c[lo].len >= len && !memcmp(c[lo].s, s, len);
}

static int emit_one(nrc *m, nrc_cand const *set, size_t n, nrc_cand const *c,
                    char const *pre, size_t plen, char const *domain,
                    nrc_emit_fn *emit, void *ctx)
{
  stralloc full = STRALLOC_ZERO;
  int v = 1, ok;
  if (!stralloc_catb(&full, pre, plen) || !stralloc_catb(&full, c->s, c->len)) goto nomem;
  if (c->prefix) {
    /* the addresses this prefix decides all behave like prefix + a character no
     * other key continues it with */
    char const *z;
    for (z = generic; *z; z++) {
      if (*z == m->brk) continue;
      m->key.len = 0;
      if (!stralloc_catb(&m->key, c->s, c->len) || !stralloc_catb(&m->key, z, 1)) goto nomem;
      if (!any_startswith(set, n, m->key.s, m->key.len)) break;
    }
    if (*z) {
      if (!stralloc_catb(&full, z, 1)) goto nomem;
      v = nrc_decide(m, full.s, full.len);
    }
  } else v = nrc_decide(m, full.s, full.len);
  if (v < 0) goto nomem;
  m->key.len = 0;
  if (!stralloc_catb(&m->key, c->prefix ? "+" : "=", 1) || !stralloc_catb(&m->key, c->s, c->len)
      || !stralloc_catb(&m->key, "@", 1) || !stralloc_cats(&m->key, domain)) goto nomem;
  ok = emit(ctx, m->key.s, m->key.len, v);
  stralloc_free(&full);
  return ok;
nomem:
  stralloc_free(&full);
  errno = ENOMEM;
  return 0;
}

int nrc_emit(nrc *m, char const *domain, char const *prepend, nrc_emit_fn *emit, void *ctx)
{
  stralloc pre = STRALLOC_ZERO;
  nrc_cand *set = m->cand;
  size_t n = m->ncand, i;
  int ok = 0;
  if (strlen(domain) > NRC_DOMAIN_MAX) { errno = EINVAL; return 0; }
  m->key.len = 0;
  if (!stralloc_catb(&m->key, "@", 1) || !stralloc_cats(&m->key, domain)) return 0;
  if (!emit(ctx, m->key.s, m->key.len, 1)) return 0;
  if (prepend) {
    /* a virtual domain: the local parts that start with prepend-, less that */
    if (!stralloc_cats(&pre, prepend) || !stralloc_catb(&pre, "-", 1)) return 0;
    lowerb(pre.s, pre.len);
    set = 0;
    n = 0;
    {
      size_t a = 0;
      nrc_cand c = { (char *)"", 0, 1 };
      if (!grow((void **)&set, &a, n, sizeof c)) goto done;
      set[n++] = c;
      for (i = 0; i < m->ncand; i++) {
        nrc_cand const *g = m->cand + i;
        if (g->len < pre.len || memcmp(g->s, pre.s, pre.len)) continue;
        if (g->len == pre.len) continue;       /* "" is there already; u cannot be empty */
        if (!grow((void **)&set, &a, n, sizeof c)) goto done;
        c.s = g->s + pre.len;
        c.len = g->len - pre.len;
        c.prefix = g->prefix;
        set[n++] = c;
      }
    }
  }
  for (i = 0; i < n; i++)
    if (!emit_one(m, set, n, set + i, pre.s ? pre.s : "", pre.len, domain, emit, ctx)) goto done;
  ok = 1;
done:
  if (set != m->cand) free(set);
  stralloc_free(&pre);
  return ok;
}
