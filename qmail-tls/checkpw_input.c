/* Parsers for qmail-checkpw's fd 3 input and qmail-newpw's lines (checkpw_input.h).
 * Bounded by the named limits before any use; nothing is copied. */
#include <string.h>

#include "checkpw_input.h"

int checkpw_user_ok(char const *s, size_t len)
{
  size_t i;
  if (!len || len > CHECKPW_USER_MAX) return 0;
  for (i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c <= 32 || c >= 127 || c == ':') return 0;
  }
  return 1;
}

int checkpw_parse(checkpw_input *in, char const *buf, size_t len)
{
  char const *z1, *z2, *z3;
  memset(in, 0, sizeof *in);
  if (len > CHECKPW_INPUT_MAX) return -1;
  z1 = memchr(buf, 0, len);
  if (!z1) return -1;
  z2 = memchr(z1 + 1, 0, len - (size_t)(z1 + 1 - buf));
  if (!z2) return -1;
  z3 = memchr(z2 + 1, 0, len - (size_t)(z2 + 1 - buf));
  if (!z3) return -1;
  if (!checkpw_user_ok(buf, (size_t)(z1 - buf))) return -1;
  in->user = buf;
  in->userlen = (size_t)(z1 - buf);
  in->pass = z1 + 1;
  in->passlen = (size_t)(z2 - z1 - 1);
  in->stamp = z2 + 1;
  return 1;
}

int checkpw_pwline(char const *line, size_t len, size_t *ulen, char const **hash, size_t *hlen)
{
  char const *colon;
  size_t i, u;
  for (i = 0; i < len && (line[i] == ' ' || line[i] == '\t'); i++) ;
  if (i == len || line[i] == '#') return 0;
  colon = memchr(line, ':', len);
  if (!colon) return -1;
  u = (size_t)(colon - line);
  if (!checkpw_user_ok(line, u)) return -1;
  *hash = colon + 1;
  *hlen = len - u - 1;
  if (!*hlen || *hlen > CHECKPW_HASH_MAX) return -1;
  for (i = 0; i < *hlen; i++) {
    unsigned char c = (unsigned char)(*hash)[i];
    if (c <= 32 || c >= 127) return -1;
  }
  *ulen = u;
  return 1;
}

int checkpw_equal(char const *a, char const *b)
{
  size_t la = strlen(a), lb = strlen(b), i;
  unsigned char d = (unsigned char)(la != lb);
  /* walk the longer length, reading within both strings, folding every difference */
  size_t n = la > lb ? la : lb;
  for (i = 0; i < n; i++) {
    unsigned char x = i < la ? (unsigned char)a[i] : 0;
    unsigned char y = i < lb ? (unsigned char)b[i] : 0;
    d |= (unsigned char)(x ^ y);
  }
  return d == 0;
}
