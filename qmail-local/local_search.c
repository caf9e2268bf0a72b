/* .qmail file names for an extension. The extension is the envelope's: it is
 * checked with local_ext_ok before it gets here, and every name built starts with
 * ".qmail" in the current directory (the home). */
#include <string.h>

#include <skalibs/stralloc.h>

#include "local_search.h"

int local_ext_ok(char const *ext, size_t len)
{
  size_t i;
  if (len > LOCAL_EXT_MAX) return 0;
  for (i = 0; i < len; i++) {
    unsigned char c = (unsigned char)ext[i];
    if (c == '/' || c < 32 || c == 127) return 0;
  }
  return 1;
}

int local_safeext(stralloc *sa, char const *ext, size_t len)
{
  size_t i;
  if (!stralloc_readyplus(sa, len)) return 0;
  for (i = 0; i < len; i++) {
    char c = ext[i];
    if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
    else if (c == '.') c = ':';
    sa->s[sa->len++] = c;
  }
  return 1;
}

void local_search_init(local_search *s, char const *dash, char const *ext)
{
  s->dash = dash;
  s->ext = ext;
  s->extlen = strlen(ext);
  s->cut = s->extlen;
  s->state = 0;
}

int local_search_name(stralloc *name, char const *dash, char const *ext, char const *suffix)
{
  name->len = 0;
  return stralloc_cats(name, ".qmail") && stralloc_cats(name, dash)
      && local_safeext(name, ext, strlen(ext)) && stralloc_cats(name, suffix)
      && stralloc_0(name);
}

int local_search_next(local_search *s, stralloc *name, size_t *deflt)
{
  if (s->state == 0) {
    s->state = *s->dash ? 1 : 2;
    *deflt = LOCAL_SEARCH_EXACT;
    return local_search_name(name, s->dash, s->ext, "") ? 1 : -1;
  }
  if (s->state == 2) return 0;
  /* cut points: the whole ext if it ends in '-', every position after a '-', and 0 */
  for (;;) {
    size_t i = s->cut;
    if (i && s->ext[i - 1] != '-') { s->cut--; continue; }
    if (i) s->cut--; else s->state = 2;
    name->len = 0;
    if (!stralloc_cats(name, ".qmail") || !stralloc_cats(name, s->dash)
        || !local_safeext(name, s->ext, i) || !stralloc_cats(name, "default")
        || !stralloc_0(name)) return -1;
    *deflt = i;
    return 1;
  }
}
