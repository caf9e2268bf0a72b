/* The reply qmail-rspawn gives qmail-send for one qmail-remote run. A refused
 * recipient decides the letter (h permanent, s temporary: "no recipient taken"
 * after an s is still worth a retry); an accepted one leaves it to the message
 * report (K, Z, D). The text is the recipient report's, followed by the message
 * report's unless the message fared better than the letter says. */
#include <string.h>

#include "remote_rspawn.h"

/* K = 1, Z = 0, D = -1, so that min() is "the worse"; -2 for anything else. */
static int rank(char c)
{
  switch (c) {
    case 'K': case 'r': return 1;
    case 'Z': case 's': return 0;
    case 'D': case 'h': return -1;
    default: return -2;
  }
}

static int put(stralloc *out, char letter, char const *a, size_t alen, char const *b, size_t blen)
{
  out->len = 0;
  return stralloc_catb(out, &letter, 1) && stralloc_catb(out, a, alen) && stralloc_catb(out, b, blen);
}

int remote_rspawn_report(stralloc *out, int signaled, int code, char const *s, size_t len)
{
  char const *rcpt = 0, *msg = 0;
  size_t rlen = 0, mlen = 0, i = 0;
  int m, worse;
  static char const letters[] = "DZK";
  if (signaled) return put(out, 'Z', "qmail-remote crashed.\n", 22, "", 0);
  if (code == REMOTE_RSPAWN_EXIT_EXEC) return put(out, 'Z', "Unable to run qmail-remote.\n", 28, "", 0);
  if (code) return put(out, 'D', "Unable to run qmail-remote.\n", 28, "", 0);
  if (len > REMOTE_RSPAWN_OUT_MAX) len = REMOTE_RSPAWN_OUT_MAX;
  if (!len) return put(out, 'Z', "qmail-remote produced no output.\n", 33, "", 0);
  /* walk the complete reports: at most one recipient report, then the message's */
  while (i < len && !msg) {
    char const *end = memchr(s + i, 0, len - i);
    size_t n;
    if (!end) break;
    n = (size_t)(end - (s + i));
    if (n && (s[i] == 'K' || s[i] == 'Z' || s[i] == 'D')) { msg = s + i; mlen = n; }
    else if (n && !rcpt && (s[i] == 'r' || s[i] == 'h' || s[i] == 's')) { rcpt = s + i; rlen = n; }
    else break;
    i += n + 1;
  }
  if (!msg) return put(out, 'Z', "qmail-remote produced a mangled report.\n", 40, "", 0);
  m = rank(msg[0]);
  worse = rcpt && rcpt[0] != 'r' ? rank(rcpt[0]) : m;
  if (!rcpt) return put(out, letters[worse + 1], msg + 1, mlen - 1, "", 0);
  if (m <= worse) return put(out, letters[worse + 1], rcpt + 1, rlen - 1, msg + 1, mlen - 1);
  return put(out, letters[worse + 1], rcpt + 1, rlen - 1, "", 0);
}
