/* Domain name conversions between dotted text and wire form. Input is untrusted
 * (client requests, packet contents): lengths are checked before every copy and
 * only host name bytes cross into text. Never allocates. */
#include <string.h>

#include "qdns_name.h"

static int hostbyte(unsigned char c)
{
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

static unsigned char lower(unsigned char c)
{
  return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

size_t qdns_name_fromtext(unsigned char out[QDNS_NAME_WIRE_MAX], char const *s, size_t len)
{
  size_t w = 0, i = 0;
  if (len > QDNS_NAME_TEXT_MAX + 1) return 0;   /* before reading anything */
  if (len && s[len - 1] == '.') len--;
  if (!len || len > QDNS_NAME_TEXT_MAX) return 0;
  while (i < len) {
    size_t start = i, n;
    while (i < len && s[i] != '.') {
      if (!hostbyte(lower((unsigned char)s[i]))) return 0;
      i++;
    }
    n = i - start;
    if (!n || n > QDNS_LABEL_MAX) return 0;
    /* n + 1 more bytes and the final zero must still fit */
    if (w + n + 2 > QDNS_NAME_WIRE_MAX) return 0;
    out[w++] = (unsigned char)n;
    for (size_t k = start; k < i; k++) out[w++] = lower((unsigned char)s[k]);
    if (i < len) {
      i++;                        /* the dot */
      if (i == len) return 0;     /* "a..": an empty label after a dot */
    }
  }
  out[w++] = 0;
  return w;
}

size_t qdns_name_wirelen(unsigned char const *wire, size_t max)
{
  size_t w = 0;
  if (max > QDNS_NAME_WIRE_MAX) max = QDNS_NAME_WIRE_MAX;
  for (;;) {
    unsigned n;
    if (w >= max) return 0;
    n = wire[w];
    if (!n) return w + 1;
    if (n > QDNS_LABEL_MAX) return 0;
    w += 1 + n;
  }
}

size_t qdns_name_totext(char out[QDNS_NAME_TEXT_MAX + 1], unsigned char const *wire)
{
  size_t w = 0, t = 0;
  if (!qdns_name_wirelen(wire, QDNS_NAME_WIRE_MAX)) return 0;
  if (!wire[0]) { out[0] = '.'; out[1] = 0; return 1; }
  while (wire[w]) {
    unsigned n = wire[w++];
    if (t) out[t++] = '.';
    for (unsigned k = 0; k < n; k++) {
      unsigned char c = lower(wire[w++]);
      if (!hostbyte(c)) return 0;
      out[t++] = (char)c;
    }
  }
  out[t] = 0;
  return t;
}

int qdns_name_equal(unsigned char const *a, unsigned char const *b)
{
  size_t la = qdns_name_wirelen(a, QDNS_NAME_WIRE_MAX);
  if (!la || la != qdns_name_wirelen(b, QDNS_NAME_WIRE_MAX)) return 0;
  for (size_t i = 0; i < la; i++)
    if (lower(a[i]) != lower(b[i])) return 0;
  return 1;
}
