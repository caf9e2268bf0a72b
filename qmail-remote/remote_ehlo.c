/* EHLO capability parsing. Input is the already sanitized reply text (printable
 * ASCII, lines joined by '\n'); keywords are matched case-insensitively and only as
 * whole words. A SIZE value that does not fit is taken as no limit given. */
#include <strings.h>

#include "remote_ehlo.h"

static struct { char const *kw; size_t len; unsigned int flag; } const kws[] = {
  { "PIPELINING", 10, REMOTE_EHLO_PIPELINING },
  { "SIZE", 4, REMOTE_EHLO_SIZE },
  { "8BITMIME", 8, REMOTE_EHLO_8BITMIME },
  { "SMTPUTF8", 8, REMOTE_EHLO_SMTPUTF8 },
  { "ENHANCEDSTATUSCODES", 19, REMOTE_EHLO_ENHANCED },
  { "STARTTLS", 8, REMOTE_EHLO_STARTTLS },
};

static void line(remote_ehlo *e, char const *s, size_t len)
{
  size_t i, k = 0;
  if (len < 4) return;
  s += 4;
  len -= 4;
  while (k < len && s[k] != ' ') k++;
  for (i = 0; i < sizeof kws / sizeof kws[0]; i++) {
    if (k != kws[i].len || strncasecmp(s, kws[i].kw, k)) continue;
    e->caps |= kws[i].flag;
    if (kws[i].flag == REMOTE_EHLO_SIZE) {
      unsigned long n = 0;
      size_t j = k;
      int ok = 1;
      while (j < len && s[j] == ' ') j++;
      if (j == len) ok = 0;
      for (; j < len && ok; j++) {
        if (s[j] < '0' || s[j] > '9' || n > (~0UL - 9) / 10) ok = 0;
        else n = n * 10 + (unsigned long)(s[j] - '0');
      }
      e->sizemax = ok ? n : 0;
    }
  }
}

void remote_ehlo_parse(remote_ehlo *e, char const *text, size_t len)
{
  size_t i, start = 0;
  int first = 1;
  e->caps = 0;
  e->sizemax = 0;
  for (i = 0; i <= len; i++) {
    if (i < len && text[i] != '\n') continue;
    if (!first) line(e, text + start, i - start);
    first = 0;
    start = i + 1;
  }
}
