/* RFC 5322 address lists in header fields (mailboxes, angle addresses with source
 * routes, groups, comments, quoted strings, obsolete empty members), rewritten as
 * qmail-inject does: every address completed in place, all other bytes of the field
 * kept, and each address collected in envelope form. */
#ifndef INJECT_ALIST_H
#define INJECT_ALIST_H

#include <stddef.h>
#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>

#include "inject_addr.h"
#include "inject_lex.h"

/* reasons in inject_alist.err */
enum {
  INJECT_ALIST_E_NONE = 0,
  INJECT_ALIST_E_LEX,       /* unclosed quote, comment or literal; control character */
  INJECT_ALIST_E_SYNTAX,    /* not an address list */
  INJECT_ALIST_E_LONG       /* an address past INJECT_ADDR_MAX or INJECT_ADDR_TOKENS */
};

typedef struct inject_alist_s {
  inject_lexed lx;
  genalloc sig;             /* size_t: the tokens that are not comments */
  stralloc out;             /* the rewritten value */
  inject_addr addr;
  int err;
} inject_alist;

#define INJECT_ALIST_ZERO { INJECT_LEXED_ZERO, GENALLOC_ZERO, STRALLOC_ZERO, { 0 }, 0 }

/* Parses the value v (the bytes after the field's colon), completes every address
 * with rw, sets al->out to the rewritten value and appends each address in envelope
 * form, NUL-terminated, to addrs (an empty one for <>), counting them in *naddrs.
 * Returns 1; 0 if v is not an address list (al->err; addrs and *naddrs untouched);
 * -1 out of memory. */
int inject_alist_rewrite(inject_alist *al, char const *v, size_t len, inject_rw const *rw,
                         stralloc *addrs, size_t *naddrs);

char const *inject_alist_strerr(int err);

void inject_alist_free(inject_alist *al);

#endif
