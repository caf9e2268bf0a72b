/* Domain names in the two shapes qmail-dns handles: dotted text (from clients, and
 * in answers) and DNS wire form (length-prefixed labels ending in a zero byte).
 * Trusts nothing: every conversion checks label and total lengths and the byte set.
 * Never writes past QDNS_NAME_WIRE_MAX or QDNS_NAME_TEXT_MAX + 1 bytes. */
#ifndef QDNS_NAME_H
#define QDNS_NAME_H

#include <stddef.h>

#define QDNS_NAME_WIRE_MAX 255   /* RFC 1035 3.1: whole name, length bytes included */
#define QDNS_LABEL_MAX 63
#define QDNS_NAME_TEXT_MAX 254   /* dotted, without a trailing dot: 255 - 1 */

/* Dotted text (len bytes, an optional final dot) to lower-case wire form. Only
 * letters, digits, '-' and '_' are allowed in labels (host names and service
 * labels); returns the wire length, or 0 if s is not such a name. */
size_t qdns_name_fromtext(unsigned char out[QDNS_NAME_WIRE_MAX], char const *s, size_t len);

/* Wire form to lower-case dotted text, NUL-terminated; the root is ".". Returns the
 * text length, or 0 if a label holds a byte outside the host name set (such a name
 * must never reach the text protocol) or the wire form is malformed. */
size_t qdns_name_totext(char out[QDNS_NAME_TEXT_MAX + 1], unsigned char const *wire);

/* Length of a well-formed wire name (the zero byte included), or 0 when it is not
 * well formed within max bytes. */
size_t qdns_name_wirelen(unsigned char const *wire, size_t max);

/* 1 if two well-formed wire names are equal, ignoring ASCII case. */
int qdns_name_equal(unsigned char const *a, unsigned char const *b);

#endif
