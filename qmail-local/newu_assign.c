/* users/assign lines into users/cdb records. Each line is bounded before it is
 * looked at; values are checked with the same parser qmail-lspawn's lookup uses, so
 * whatever qmail-newu writes, the lookup accepts. */
#include <errno.h>
#include <string.h>

#include <skalibs/bytestr.h>
#include <skalibs/stralloc.h>

#include "newu_assign.h"
#include "qm_users.h"

#define NEWU_FIELDS 6

void newu_init(newu_parser *p, newu_add_fn *add, void *ctx)
{
  memset(p, 0, sizeof *p);
  p->line = p->key = p->val = p->check = stralloc_zero;
  p->add = add;
  p->ctx = ctx;
  p->lineno = 1;
}

void newu_free(newu_parser *p)
{
  stralloc_free(&p->line);
  stralloc_free(&p->key);
  stralloc_free(&p->val);
  stralloc_free(&p->check);
}

char const *newu_strerr(enum newu_err e)
{
  switch (e) {
  case NEWU_ERR_NONE: return "no error";
  case NEWU_ERR_NUL: return "NUL byte";
  case NEWU_ERR_LONG: return "line too long";
  case NEWU_ERR_KIND: return "line does not start with =, + or .";
  case NEWU_ERR_NOCOLON: return "no colon after the address";
  case NEWU_ERR_EMPTY: return "empty address";
  case NEWU_ERR_FIELDS: return "fewer than six fields or no final colon";
  case NEWU_ERR_VALUE: return "bad user, uid, gid, home, dash or ext";
  case NEWU_ERR_NOEND: return "no final . line";
  case NEWU_ERR_NOMEM: return "out of memory";
  case NEWU_ERR_CALLBACK: return "unable to add a record";
  }
  return "unknown error";
}

static int bad(newu_parser *p, enum newu_err e)
{
  p->err = e;
  return -1;
}

/* One complete line, without its LF. */
static int do_line(newu_parser *p, char const *s, size_t len)
{
  qm_users_entry e;
  size_t colon, i, n;
  if (len && s[0] == '.') { p->done = 1; return 1; }
  if (!len || (s[0] != '=' && s[0] != '+')) return bad(p, NEWU_ERR_KIND);
  colon = byte_chr(s, len, ':');
  if (colon == len) return bad(p, NEWU_ERR_NOCOLON);
  if (s[0] == '=' && colon == 1) return bad(p, NEWU_ERR_EMPTY);
  if (colon - 1 > QM_USERS_LOCAL_MAX) return bad(p, NEWU_ERR_LONG);
  p->key.len = 0;
  if (!qm_users_key(&p->key, s + 1, colon - 1, s[0] == '=')) return bad(p, NEWU_ERR_NOMEM);
  /* the value is the six fields after the address; text after the sixth colon
   * that closes them is ignored, as qmail-newu always did */
  p->val.len = 0;
  if (!stralloc_catb(&p->val, s + colon + 1, len - colon - 1)) return bad(p, NEWU_ERR_NOMEM);
  for (i = 0, n = 0; i < p->val.len; i++)
    if (p->val.s[i] == ':') {
      p->val.s[i] = 0;
      if (++n == NEWU_FIELDS) break;
    }
  if (n < NEWU_FIELDS) return bad(p, NEWU_ERR_FIELDS);
  p->val.len = i;
  if (!qm_users_parse(&e, &p->check, p->val.s, p->val.len)) {
    if (errno == ENOMEM) return bad(p, NEWU_ERR_NOMEM);
    return bad(p, NEWU_ERR_VALUE);
  }
  /* dash and ext become part of a .qmail file name: keep it inside the home */
  if (strchr(e.dash, '/') || strchr(e.ext, '/')) return bad(p, NEWU_ERR_VALUE);
  if (s[0] == '+' && colon > 1) {
    char c = p->key.s[p->key.len - 1];   /* lowercased last character of the prefix */
    if (!memchr(p->wild, c, p->nwild)) p->wild[p->nwild++] = c;
  }
  if (!p->add(p->ctx, p->key.s, p->key.len, p->val.s, p->val.len))
    return bad(p, NEWU_ERR_CALLBACK);
  return 0;
}

int newu_feed(newu_parser *p, char const *s, size_t len)
{
  size_t i;
  if (p->err != NEWU_ERR_NONE) return -1;
  if (p->done) return 1;
  while (len) {
    i = byte_chr(s, len, '\n');
    if (memchr(s, 0, i)) return bad(p, NEWU_ERR_NUL);
    if (i > NEWU_LINE_MAX || p->line.len > NEWU_LINE_MAX - i) return bad(p, NEWU_ERR_LONG);
    if (!stralloc_catb(&p->line, s, i)) return bad(p, NEWU_ERR_NOMEM);
    if (i == len) return 0;
    {
      int r = do_line(p, p->line.s, p->line.len);
      if (r) return r;
    }
    p->line.len = 0;
    p->lineno++;
    s += i + 1;
    len -= i + 1;
  }
  return 0;
}

int newu_finish(newu_parser *p)
{
  if (p->err != NEWU_ERR_NONE) return -1;
  if (p->done) return 1;
  /* a last "." without its newline still ends the file */
  if (p->line.len && p->line.s[0] == '.') { p->done = 1; return 1; }
  return bad(p, NEWU_ERR_NOEND);
}
