/* tlsd_plain: finds the end of a STARTTLS command line in a byte stream, across
 * reads of any size. A line counts when it is "STARTTLS" in any case, optionally
 * followed by spaces, tabs or CR, then LF. Everything else is passed untouched. */
#include "tlsd_plain.h"

#define TLSD_PLAIN_WORD "STARTTLS"
#define TLSD_PLAIN_WORDLEN 8
#define TLSD_PLAIN_COLMAX 1024   /* saturation point of the column count */

void tlsd_plain_init(tlsd_plain *p)
{
  p->col = 0;
  p->match = 1;
}

static int upper(int c)
{
  return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
}

size_t tlsd_plain_scan(tlsd_plain *p, char const *s, size_t len, int *hold)
{
  size_t i;
  *hold = 0;
  for (i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '\n') {
      int was = p->match && p->col >= TLSD_PLAIN_WORDLEN;
      tlsd_plain_init(p);
      if (was) { *hold = 1; return i + 1; }
      continue;
    }
    if (p->match) {
      if (p->col < TLSD_PLAIN_WORDLEN)
        p->match = upper(c) == TLSD_PLAIN_WORD[p->col];
      else
        p->match = c == ' ' || c == '\t' || c == '\r';
    }
    if (p->col < TLSD_PLAIN_COLMAX) p->col++;
  }
  return len;
}
