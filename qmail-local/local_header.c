/* Header scanning for loops. The message is anyone's bytes: lines of any length,
 * NULs, no header end at all; the state is a few counters, so none of that costs
 * memory, and counting stops at LOCAL_MAXHOPS. */
#include "local_header.h"

static char const rec[] = "received";
static char const del[] = "delivered";

void local_hdr_init(local_hdr *h, char const *dtline, size_t len)
{
  h->dt = dtline;
  h->dtlen = len;
  h->col = 0;
  h->dtmatch = h->recmatch = h->delmatch = 1;
  h->hops = 0;
  h->done = 0;
  h->verdict = LOCAL_HDR_OK;
}

static char lower(char c)
{
  return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

int local_hdr_feed(local_hdr *h, char const *s, size_t len)
{
  size_t i;
  if (h->done) return 1;
  for (i = 0; i < len; i++) {
    char c = s[i];
    if (h->dtmatch && (h->col >= h->dtlen || h->dt[h->col] != c)) h->dtmatch = 0;
    if (h->col < sizeof rec - 1 && h->recmatch && lower(c) != rec[h->col]) h->recmatch = 0;
    if (h->col < sizeof del - 1 && h->delmatch && lower(c) != del[h->col]) h->delmatch = 0;
    h->col++;
    if (c != '\n') continue;
    if (h->col == 1) { h->done = 1; return 1; }   /* the empty line: header over */
    if (h->dtmatch && h->col == h->dtlen) {
      h->verdict = LOCAL_HDR_MYLINE;
      h->done = 1;
      return 1;
    }
    if ((h->recmatch && h->col > sizeof rec - 1) || (h->delmatch && h->col > sizeof del - 1))
      if (++h->hops >= LOCAL_MAXHOPS) {
        h->verdict = LOCAL_HDR_HOPS;
        h->done = 1;
        return 1;
      }
    h->col = 0;
    h->dtmatch = h->recmatch = h->delmatch = 1;
  }
  return 0;
}
