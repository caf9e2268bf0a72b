/* One address as qmail-inject handles it: a short list of tokens (atoms, quoted
 * strings, literals and the specials . @ : ,), completed with qmail's rules and
 * written out in envelope form (quotes removed) or header form (quoted again). */
#ifndef INJECT_ADDR_H
#define INJECT_ADDR_H

#include <stddef.h>
#include <skalibs/stralloc.h>

#include "inject_lex.h"

#define INJECT_ADDR_MAX 1000        /* bytes of an address in envelope form */
#define INJECT_ADDR_TOKENS 1024     /* tokens of one address, completion included */

typedef struct inject_atok_s {
  char type;                        /* INJECT_T_ATOM, _QUOTE, _LITERAL or . @ : , */
  char const *s;
  size_t len;
} inject_atok;

typedef struct inject_addr_s {
  size_t n;
  inject_atok t[INJECT_ADDR_TOKENS];
} inject_addr;

/* What completion appends, lexed once from the control values: "@defaulthost",
 * ".defaultdomain", ".plusdomain". */
typedef struct inject_rw_s {
  inject_addr host, domain, plus;
  stralloc src[3];
  inject_lexed lx[3];
} inject_rw;

/* 1, 0 if a value does not lex as a domain (atoms, dots, literals), -1 no memory. */
int inject_rw_init(inject_rw *rw, char const *defaulthost, char const *defaultdomain,
                   char const *plusdomain);
void inject_rw_free(inject_rw *rw);

/* Appends a token; 0 if the address is full. */
int inject_addr_push(inject_addr *a, char type, char const *s, size_t len);

/* qmail's completion, in order: <> and x@[] stay; a source route is dropped;
 * trailing dots and at-signs are dropped (qmail drops one of each); no '@' gets "@defaulthost"; a trailing '+' on the
 * host becomes ".plusdomain"; a host without dot or literal gets ".defaultdomain".
 * Returns 1, 0 if the address grew past INJECT_ADDR_TOKENS. */
int inject_addr_complete(inject_addr *a, inject_rw const *rw);

/* Lengths and renderings; the renderers append to out and return 0 on ENOMEM. */
size_t inject_addr_envlen(inject_addr const *a);
int inject_addr_envelope(stralloc *out, inject_addr const *a);
int inject_addr_header(stralloc *out, inject_addr const *a);

/* An address given as an argument or built from the environment, in envelope form
 * ("local@domain", the local part taken literally up to the last '@'; one pair of
 * angle brackets is removed). 1 ok, 0 not an address, -1 longer than
 * INJECT_ADDR_MAX. */
int inject_addr_fromarg(inject_addr *a, char const *s, size_t len);

/* Does s (len bytes) need quoting as a local part (not a dot-atom)? */
int inject_local_needs_quote(char const *s, size_t len);

/* Appends the header form of an envelope address: the local part quoted when it
 * must be, the domain as it is. */
int inject_quote_envelope(stralloc *out, char const *s, size_t len);

#endif
