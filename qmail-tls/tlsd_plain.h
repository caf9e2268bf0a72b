/* tlsd_plain: the plaintext phase of qmail-tlsd's server mode. Finds the end of a
 * client's STARTTLS command line so that nothing the client sent after it is handed
 * to the served program before that program has decided. Trusts nothing in the
 * bytes; keeps a few bytes of state, never allocates, never looks past len. */
#ifndef TLSD_PLAIN_H
#define TLSD_PLAIN_H

#include <stddef.h>

typedef struct {
  size_t col;      /* bytes seen on the current line, saturating */
  int match;       /* the current line still reads STARTTLS plus trailing blanks */
} tlsd_plain;

#define TLSD_PLAIN_ZERO { 0, 1 }

void tlsd_plain_init(tlsd_plain *p);

/* Scans s[0..len). Returns how many bytes may be forwarded now; sets *hold to 1 when
 * those bytes end with a STARTTLS line (then the rest must be kept back), else 0. */
size_t tlsd_plain_scan(tlsd_plain *p, char const *s, size_t len, int *hold);

#endif
