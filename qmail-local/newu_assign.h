/* The users/assign parser of qmail-newu: fed the file in pieces of any size, it
 * hands each assignment, already shaped as its users/cdb key and value, to a
 * callback. Trusts nothing in the file: a bad line stops the whole parse, so a
 * half-understood file never replaces a working database. */
#ifndef NEWU_ASSIGN_H
#define NEWU_ASSIGN_H

#include <stddef.h>
#include <skalibs/stralloc.h>

#define NEWU_LINE_MAX 4096        /* longest line of users/assign */

/* Called once per assignment with the cdb key and value; returns 1, or 0 to stop
 * the parse (the feed then returns -1 with NEWU_ERR_CALLBACK). */
typedef int newu_add_fn(void *ctx, char const *key, size_t klen, char const *val, size_t vlen);

enum newu_err {
  NEWU_ERR_NONE,
  NEWU_ERR_NUL,          /* a NUL byte */
  NEWU_ERR_LONG,         /* a line over NEWU_LINE_MAX */
  NEWU_ERR_KIND,         /* a line not starting with =, + or . */
  NEWU_ERR_NOCOLON,      /* no ':' after the address */
  NEWU_ERR_EMPTY,        /* = with an empty address */
  NEWU_ERR_FIELDS,       /* fewer than six fields, or no final ':' */
  NEWU_ERR_VALUE,        /* a field that does not parse: user, uid, gid, home, dash, ext */
  NEWU_ERR_NOEND,        /* the file ends without its "." line */
  NEWU_ERR_NOMEM,
  NEWU_ERR_CALLBACK
};

typedef struct newu_parser_s {
  stralloc line;         /* the line being gathered */
  stralloc key;          /* scratch for the callback's arguments */
  stralloc val;
  stralloc check;        /* scratch for validating a value */
  char wild[256];        /* wildchars seen, in order */
  size_t nwild;
  unsigned long lineno;  /* of the line an error is in */
  int done;
  enum newu_err err;
  newu_add_fn *add;
  void *ctx;
} newu_parser;

void newu_init(newu_parser *p, newu_add_fn *add, void *ctx);
/* >0 the "." line was seen (later bytes are ignored), 0 need more, -1 invalid (p->err). */
int newu_feed(newu_parser *p, char const *s, size_t len);
/* At end of input: >0 complete, -1 invalid (NEWU_ERR_NOEND if no "." line). */
int newu_finish(newu_parser *p);
void newu_free(newu_parser *p);
char const *newu_strerr(enum newu_err e);

#endif
