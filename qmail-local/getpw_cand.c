/* Candidate account names for a local part. The local part comes from the envelope
 * (anyone's bytes): it is only ever compared, lowercased into a bounded buffer and
 * handed to the check, never used as a path. */
#include <string.h>

#include <skalibs/bytestr.h>
#include <skalibs/stralloc.h>

#include "getpw_cand.h"

static int is_postmaster(char const *s, size_t n)
{
  static char const pm[] = "postmaster";
  size_t i;
  if (n != sizeof pm - 1) return 0;
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 'A' && c <= 'Z') c = (unsigned char)(c - 'A' + 'a');
    if (c != (unsigned char)pm[i]) return 0;
  }
  return 1;
}

size_t getpw_candidates(char const *local, size_t len, char brk, size_t *cut, size_t max)
{
  size_t n = 0, i;
  for (i = len + 1; i-- > 0 && n < max;) {
    if (i < len && local[i] != brk) continue;
    if (!i || i >= GETPW_NAME_MAX) continue;
    if (memchr(local, 0, i) || is_postmaster(local, i)) continue;
    cut[n++] = i;
  }
  return n;
}

int getpw_resolve(char const *local, size_t len, char brk, char const *aliasname,
                  getpw_check_fn *check, void *ctx, getpw_result *r)
{
  size_t cut[GETPW_NAME_MAX];
  char name[GETPW_NAME_MAX];
  size_t n, k;
  if (!len || len > GETPW_LOCAL_MAX) return 0;
  n = getpw_candidates(local, len, brk, cut, GETPW_NAME_MAX);
  for (k = 0; k < n; k++) {
    int c;
    memcpy(name, local, cut[k]);
    name[cut[k]] = 0;
    case_lowerb(name, cut[k]);
    r->user.len = 0;
    c = check(ctx, name, &r->user);
    if (c < 0) return -1;
    if (!c) continue;
    if (!stralloc_0(&r->user)) return -1;
    r->alias = 0;
    if (cut[k] == len) { r->dash = ""; r->extpos = len; }
    else { r->dash = "-"; r->extpos = cut[k] + 1; }
    return 1;
  }
  r->user.len = 0;
  if (!stralloc_cats(&r->user, aliasname) || !stralloc_0(&r->user)) return -1;
  r->alias = 1;
  r->dash = "-";
  r->extpos = 0;
  return 1;
}
