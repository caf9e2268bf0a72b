/* bounce/N blocks and the remote MTA a qmail-remote report names. The texts come
 * from remote SMTP servers and from users' programs: a block never lets them end
 * the block early (an empty line becomes "/"), and the parsers never read past n. */
#include <string.h>

#include <skalibs/stralloc.h>

#include "send_dsn.h"

static int cats(stralloc *sa, char const *s)
{
  return stralloc_catb(sa, s, strlen(s));
}

int send_dsn_block(stralloc *sa, char const *rcpt, size_t rlen, char const *text, size_t tlen)
{
  size_t i;
  int bol = 1;
  if (tlen > SEND_DSN_TEXT_MAX) tlen = SEND_DSN_TEXT_MAX;
  for (i = 0; i < rlen; i++)
    if (!stralloc_append(sa, rcpt[i] == '\n' ? '_' : rcpt[i])) return 0;
  if (!cats(sa, ":\n")) return 0;
  for (i = 0; i < tlen; i++) {
    char c = text[i];
    if (!c) c = '?';
    if (c == '\n' && bol && !cats(sa, "/")) return 0;
    if (!stralloc_append(sa, c)) return 0;
    bol = c == '\n';
  }
  if (!bol && !stralloc_append(sa, '\n')) return 0;
  return stralloc_append(sa, '\n');
}

int send_dsn_next(send_dsn_rcpt *r, char const *s, size_t n, size_t *used)
{
  char const *nl = memchr(s, '\n', n), *end;
  size_t i;
  if (!n) return 0;
  if (!nl) return 0;
  if (nl == s || nl[-1] != ':') return -1;
  r->rcpt = s;
  r->rlen = (size_t)(nl - s) - 1;
  r->text = nl + 1;
  /* the text ends at the first empty line */
  for (i = (size_t)(nl + 1 - s); i < n; i++)
    if (s[i] == '\n' && (i == (size_t)(nl + 1 - s) || s[i - 1] == '\n')) break;
  if (i >= n) return 0;
  end = s + i;
  r->tlen = (size_t)(end - r->text);
  *used = i + 1;
  return 1;
}

static int isdig(char c) { return c >= '0' && c <= '9'; }

static int addrchar(char c)
{
  return isdig(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '.' || c == ':';
}

char const *send_dsn_remote_mta(char const *text, size_t len, size_t *mlen)
{
  static char const conn[] = "Connected to ";
  size_t i = 0, start;
  int dot = 0;
  if (len >= sizeof conn - 1 && !memcmp(text, conn, sizeof conn - 1)) i = sizeof conn - 1;
  start = i;
  while (i < len && addrchar(text[i]) && i - start < 64) { if (text[i] == '.' || text[i] == ':') dot = 1; i++; }
  if (i == start || !dot || i >= len || text[i] != ' ') return 0;
  *mlen = i - start;
  return text + start;
}
