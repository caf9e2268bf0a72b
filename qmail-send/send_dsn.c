/* RFC 3464 notices. The report texts come from remote SMTP servers and from users'
 * programs, so every byte that reaches a header field is flattened to printable
 * ASCII and cut; the MIME boundary is the caller's and never taken from input. */
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

/* "d.d{1,3}.d{1,3}" at s, class 2, 4 or 5: its length, else 0 */
static size_t enhanced(char const *s, size_t n)
{
  size_t i = 0, k;
  if (n < 5 || (s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] != '.') return 0;
  i = 2;
  for (k = 0; k < 2; k++) {
    size_t start = i;
    while (i < n && isdig(s[i]) && i - start < 3) i++;
    if (i == start) return 0;
    if (k == 0) { if (i >= n || s[i] != '.') return 0; i++; }
  }
  if (i < n && isdig(s[i])) return 0;
  return i;
}

void send_dsn_status(char *out, char const *text, size_t len, char const *def)
{
  size_t i, best = 0, bestlen = 0;
  for (i = 0; i < len; i++) {
    size_t k;
    if (text[i] == '#' && (k = enhanced(text + i + 1, len - i - 1))) { best = i + 1; bestlen = k; }
    else if (!bestlen && (i == 0 || text[i - 1] == ' ') && (k = enhanced(text + i, len - i))
             && i >= 4 && isdig(text[i - 4])) { best = i; bestlen = k; }
  }
  if (!bestlen) {
    size_t d = strlen(def);
    if (d > 15) d = 15;
    memcpy(out, def, d);
    out[d] = 0;
    return;
  }
  memcpy(out, text + best, bestlen);
  out[bestlen] = 0;
}

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

/* A header value from report text: newlines and tabs to spaces, other controls
 * and 8-bit to '?', "/" lines dropped, cut at max. */
static int catflat(stralloc *sa, char const *s, size_t n, size_t max)
{
  size_t i, w = 0;
  int space = 0;
  for (i = 0; i < n && w < max; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '\n' || c == '\t' || c == ' ') { space = 1; continue; }
    if (c == '/' && (i == 0 || s[i - 1] == '\n') && (i + 1 == n || s[i + 1] == '\n')) continue;
    if (space && w) { if (!stralloc_append(sa, ' ')) return 0; w++; }
    space = 0;
    if (c < 32 || c > 126) c = '?';
    if (!stralloc_append(sa, (char)c)) return 0;
    w++;
  }
  return 1;
}

/* The readable text of a block: "/" lines back to empty lines, controls but
 * newline and tab to '?'. */
static int cattext(stralloc *sa, char const *s, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '/' && (i == 0 || s[i - 1] == '\n') && (i + 1 == n || s[i + 1] == '\n')) continue;
    if ((c < 32 && c != '\n' && c != '\t') || c == 127) c = '?';
    if (!stralloc_append(sa, (char)c)) return 0;
  }
  return 1;
}

static int diagnostic(stralloc *sa, char const *text, size_t len)
{
  static char const said[] = "Remote host said: ";
  size_t i;
  for (i = 0; i + sizeof said - 1 <= len; i++)
    if (!memcmp(text + i, said, sizeof said - 1)) {
      size_t j = i + sizeof said - 1, e = j;
      while (e < len && text[e] != '\n') e++;
      return cats(sa, "smtp; ") && catflat(sa, text + j, e - j, SEND_DSN_DIAG_MAX);
    }
  return cats(sa, "x-qmail; ") && catflat(sa, text, len, SEND_DSN_DIAG_MAX);
}

int send_dsn_head(stralloc *out, send_dsn_ctx const *ctx, char const *blocks, size_t blen)
{
  send_dsn_rcpt r;
  size_t off, used;
  char const *b = ctx->boundary;
  if (!(cats(out, "From: ") && cats(out, ctx->from) && cats(out, "\nTo: ") && cats(out, ctx->to)
        && cats(out, "\nSubject: ")
        && cats(out, ctx->delay ? "delivery delayed" : ctx->dbl ? "failure notice (double bounce)" : "failure notice")
        && cats(out, "\nDate: ") && cats(out, ctx->date) && cats(out, "\nMessage-ID: ") && cats(out, ctx->msgid)
        && cats(out, "\nAuto-Submitted: auto-replied\nMIME-Version: 1.0\n"
                     "Content-Type: multipart/report; report-type=delivery-status;\n\tboundary=\"")
        && cats(out, b) && cats(out, "\"\n\nThis is a MIME-formatted delivery status notification.\n\n--")
        && cats(out, b) && cats(out, "\nContent-Type: text/plain; charset=us-ascii\n\n"
                                     "Hi. This is the qmail-send program at ")
        && cats(out, ctx->host) && cats(out, ".\n"))) return 0;
  if (ctx->delay) {
    if (!cats(out, "Your message has not been delivered yet to the addresses below.\n"
                   "This is only a warning: I will keep trying, and you need not send it again.\n"
                   "You will be told if I finally give up.\n\n")) return 0;
  } else if (ctx->dbl) {
    if (!cats(out, "I tried to deliver a bounce message to the address below, and that failed too.\n"
                   "The bounce is attached.\n\n")) return 0;
  } else if (!cats(out, "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
                        "This is a permanent error; I've given up. Sorry it didn't work out.\n\n")) return 0;
  for (off = 0; send_dsn_next(&r, blocks + off, blen - off, &used) == 1; off += used)
    if (!(cats(out, "<") && catflat(out, r.rcpt, r.rlen, SEND_DSN_DIAG_MAX) && cats(out, ">:\n")
          && cattext(out, r.text, r.tlen) && cats(out, "\n"))) return 0;
  if (!(cats(out, "--") && cats(out, b) && cats(out, "\nContent-Type: message/delivery-status\n\n"
                                                       "Reporting-MTA: dns; ")
        && cats(out, ctx->host) && cats(out, "\nArrival-Date: ") && cats(out, ctx->arrival)
        && cats(out, "\n"))) return 0;
  for (off = 0; send_dsn_next(&r, blocks + off, blen - off, &used) == 1; off += used) {
    char status[16];
    size_t mlen;
    char const *mta = send_dsn_remote_mta(r.text, r.tlen, &mlen);
    send_dsn_status(status, r.text, r.tlen, ctx->delay ? "4.0.0" : "5.0.0");
    if (ctx->delay) status[0] = '4';
    else if (status[0] != '5') status[0] = '5';   /* given up: permanent whatever it said */
    if (!(cats(out, "\nFinal-Recipient: rfc822; ") && catflat(out, r.rcpt, r.rlen, SEND_DSN_DIAG_MAX)
          && cats(out, "\nAction: ") && cats(out, ctx->delay ? "delayed" : "failed")
          && cats(out, "\nStatus: ") && cats(out, status) && cats(out, "\n"))) return 0;
    if (mta && !(cats(out, "Remote-MTA: dns; ") && stralloc_catb(out, mta, mlen) && cats(out, "\n")))
      return 0;
    if (!(cats(out, "Diagnostic-Code: ") && diagnostic(out, r.text, r.tlen) && cats(out, "\n"))) return 0;
  }
  return cats(out, "\n--") && cats(out, b) && cats(out, "\nContent-Type: message/rfc822\n\n");
}

int send_dsn_tail(stralloc *out, send_dsn_ctx const *ctx, int truncated)
{
  if (truncated && !cats(out, "\n[message truncated]\n")) return 0;
  return cats(out, "\n--") && cats(out, ctx->boundary) && cats(out, "--\n");
}
