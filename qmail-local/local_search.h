/* Which .qmail file handles an address: .qmail<dash><ext>, then the -default files
 * from the most specific to the least (.qmail-a-b-c, .qmail-a-b-default,
 * .qmail-a-default, .qmail-default). Pure: names are made here, opened by the
 * caller. The extension comes from the envelope and is checked before use. */
#ifndef LOCAL_SEARCH_H
#define LOCAL_SEARCH_H

#include <stddef.h>
#include <skalibs/stralloc.h>

#define LOCAL_EXT_MAX 1000               /* longest extension looked up */
#define LOCAL_SEARCH_EXACT ((size_t)-1)  /* the candidate is not a -default file */

/* 1 if ext may become part of a file name in the home: no '/', no byte below 32
 * or 127, at most LOCAL_EXT_MAX bytes. ('.' becomes ':', so ".." cannot climb.) */
int local_ext_ok(char const *ext, size_t len);

/* Appends ext lowercased with '.' turned into ':'. 1, or 0 on ENOMEM. */
int local_safeext(stralloc *sa, char const *ext, size_t len);

typedef struct local_search_s {
  char const *dash;
  char const *ext;
  size_t extlen;
  size_t cut;        /* next cut point to try, counting down */
  int state;         /* 0 exact file next, 1 -default files, 2 done */
} local_search;

void local_search_init(local_search *s, char const *dash, char const *ext);
/* The next candidate name, NUL-terminated, in name (overwritten); *deflt is the
 * offset in ext where the part "default" stands for starts, or LOCAL_SEARCH_EXACT.
 * 1 a candidate, 0 no more, -1 out of memory. An empty dash has no -default files. */
int local_search_next(local_search *s, stralloc *name, size_t *deflt);

/* .qmail<dash><safeext><suffix>, NUL-terminated, in name: the -owner files that
 * decide the sender of forwards. 1, or 0 on ENOMEM. */
int local_search_name(stralloc *name, char const *dash, char const *ext, char const *suffix);

#endif
