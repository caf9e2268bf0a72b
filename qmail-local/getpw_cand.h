/* qmail-getpw's decision: which account names a local part may belong to, longest
 * first, and what dash and ext each implies; the alias account when none fits.
 * Pure: the account check (passwd, uid, home owner) is the caller's callback. */
#ifndef GETPW_CAND_H
#define GETPW_CAND_H

#include <stddef.h>
#include <skalibs/stralloc.h>

#define GETPW_NAME_MAX 32     /* account names must be shorter than this */
#define GETPW_LOCAL_MAX 1000  /* longest local part considered */

/* Checks account name (NUL-terminated, lowercase): 1 it takes mail (user holds its
 * canonical name), 0 no such account or not one that takes mail, -1 temporary
 * failure (the callback keeps the reason). */
typedef int getpw_check_fn(void *ctx, char const *name, stralloc *user);

typedef struct getpw_result_s {
  stralloc user;    /* the account (NUL-terminated) */
  char const *dash; /* "" or "-" */
  size_t extpos;    /* ext = local + extpos (original case) */
  int alias;        /* 1 if no account fitted: user is the alias account */
} getpw_result;

/* The candidate account names of local, longest first: the whole local part, then
 * each prefix ending just before a break character; lowercased, shorter than
 * GETPW_NAME_MAX, never "postmaster" (always the alias account's). Fills cut[]
 * with prefix lengths and returns how many (at most max). */
size_t getpw_candidates(char const *local, size_t len, char brk, size_t *cut, size_t max);

/* Runs the candidates through check. 1 resolved (r filled; alias if nothing fitted),
 * -1 the check failed temporarily or out of memory, 0 local part empty or too long. */
int getpw_resolve(char const *local, size_t len, char brk, char const *aliasname,
                  getpw_check_fn *check, void *ctx, getpw_result *r);

#endif
