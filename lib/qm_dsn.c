/* RFC 3464 bounce and delay notices (see qm_dsn.h). Trusts nothing it is given:
 * addresses, report texts and the original are cleaned or escaped on the way out,
 * so a hostile remote reply or message cannot add a header, break the MIME
 * structure or produce an overlong line. Never holds more of the original than
 * its header (QM_DSN_HEADER_MAX), and writes only through the caller's callback. */
#include <errno.h>
#include <string.h>
#include <skalibs/stralloc.h>

#include "qm_date.h"
#include "qm_dsn.h"
#include "qm_size.h"

#define OUTBUF 4096
#define READ_CHUNK 8192
#define BOUNDARY_MAX 72
#define WRAP_TEXT 76       /* readable part */
#define WRAP_FIELD 78      /* folded header fields */
#define DATE_MAX QM_DATE_822_MAX
#define MSGID_HOST_MAX 80

/* --- buffered output --------------------------------------------------------------- */

typedef struct out_s {
  qm_dsn_put_fn *put;
  void *ctx;
  size_t len;
  int failed;
  char buf[OUTBUF];
} out;

static int o_flush(out *o)
{
  if (o->failed) return 0;
  if (o->len && !o->put(o->ctx, o->buf, o->len)) { o->failed = 1; return 0; }
  o->len = 0;
  return 1;
}

static void o_put(out *o, char const *s, size_t n)
{
  while (n && !o->failed) {
    size_t room = OUTBUF - o->len, k = n < room ? n : room;
    memcpy(o->buf + o->len, s, k);
    o->len += k; s += k; n -= k;
    if (o->len == OUTBUF) o_flush(o);
  }
}

static void o_puts(out *o, char const *s) { o_put(o, s, strlen(s)); }
static void o_ch(out *o, char c) { o_put(o, &c, 1); }

static void o_ulong(out *o, unsigned long long u)
{
  char b[24];
  size_t i = sizeof b;
  do { b[--i] = (char)('0' + u % 10); u /= 10; } while (u);
  o_put(o, b + i, sizeof b - i);
}

static size_t fmt_hex(char *s, uint64_t u)
{
  static char const hex[] = "0123456789abcdef";
  char b[16];
  size_t i = sizeof b, n;
  do { b[--i] = hex[u & 15]; u >>= 4; } while (u);
  n = sizeof b - i;
  memcpy(s, b + i, n);
  return n;
}

/* "4 hours 5 minutes", coarse on purpose: people read it. */
static void o_duration(out *o, time_t from, time_t to)
{
  unsigned long long s = to > from ? (unsigned long long)(to - from) : 0;
  unsigned long long d = s / 86400, h = s % 86400 / 3600, m = s % 3600 / 60;
  if (d) {
    o_ulong(o, d); o_puts(o, d == 1 ? " day" : " days");
    if (h) { o_ch(o, ' '); o_ulong(o, h); o_puts(o, h == 1 ? " hour" : " hours"); }
  } else if (h) {
    o_ulong(o, h); o_puts(o, h == 1 ? " hour" : " hours");
    if (m) { o_ch(o, ' '); o_ulong(o, m); o_puts(o, m == 1 ? " minute" : " minutes"); }
  } else {
    o_ulong(o, m); o_puts(o, m == 1 ? " minute" : " minutes");
  }
}

/* --- cleaning what came from outside ---------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (n bytes left) and its code point, or 0.
 * Overlong forms, surrogates and values past U+10FFFF are invalid. */
static size_t utf8_seq(unsigned char const *s, size_t n, unsigned long *cp)
{
  unsigned long c;
  size_t len, i;
  if (s[0] < 0x80) { *cp = s[0]; return 1; }
  if (s[0] >= 0xc2 && s[0] <= 0xdf) { len = 2; c = s[0] & 0x1f; }
  else if (s[0] >= 0xe0 && s[0] <= 0xef) { len = 3; c = s[0] & 0x0f; }
  else if (s[0] >= 0xf0 && s[0] <= 0xf4) { len = 4; c = s[0] & 0x07; }
  else return 0;
  if (n < len) return 0;
  for (i = 1; i < len; i++) {
    if ((s[i] & 0xc0) != 0x80) return 0;
    c = c << 6 | (s[i] & 0x3f);
  }
  if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) || c > 0x10ffff
      || (c >= 0xd800 && c <= 0xdfff)) return 0;
  *cp = c;
  return len;
}

/* An address for a header or the readable part: printable ASCII and valid UTF-8
 * kept, anything else (controls, broken 8-bit) shown as '?'. Cut at whole
 * characters to max bytes. */
static size_t clean_addr(char *dst, size_t max, char const *src, size_t n)
{
  size_t i = 0, w = 0;
  while (i < n) {
    unsigned char const *u = (unsigned char const *)src + i;
    unsigned long cp;
    size_t k = utf8_seq(u, n - i, &cp);
    if (k == 1 && (cp < 0x20 || cp == 0x7f)) k = 0;
    if (!k) { if (w + 1 > max) break; dst[w++] = '?'; i++; continue; }
    if (w + k > max) break;
    memcpy(dst + w, u, k);
    w += k; i += k;
  }
  return w;
}

/* Final-Recipient value. Plain printable ASCII goes as "rfc822; addr"; anything
 * else as RFC 6533 "utf-8; " utf-8-addr-xtext, where every byte outside QCHAR is
 * written \x{HEX} by code point (a broken byte as U+FFFD), so the field stays ASCII. */
static size_t fmt_final(char *dst, size_t max, char const *src, size_t n)
{
  static char const hex[] = "0123456789ABCDEF";
  size_t i, w;
  int plain = 1;
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)src[i];
    if (c < 0x20 || c > 0x7e) { plain = 0; break; }
  }
  if (plain) {
    memcpy(dst, "rfc822; ", 8);
    w = 8;
    if (n > max - w) n = max - w;
    memcpy(dst + w, src, n);
    return w + n;
  }
  memcpy(dst, "utf-8; ", 7);
  w = 7;
  for (i = 0; i < n;) {
    unsigned char const *u = (unsigned char const *)src + i;
    unsigned long cp;
    size_t k = utf8_seq(u, n - i, &cp), digits, j;
    char e[12];
    if (!k) { cp = 0xfffd; k = 1; }
    if (cp >= 0x21 && cp <= 0x7e && cp != '+' && cp != '=' && cp != '\\') {
      if (w + 1 > max) break;
      dst[w++] = (char)cp;
      i += k;
      continue;
    }
    digits = cp > 0xfffff ? 6 : cp > 0xffff ? 5 : cp > 0xfff ? 4 : cp > 0xff ? 3 : 2;
    e[0] = '\\'; e[1] = 'x'; e[2] = '{';
    for (j = 0; j < digits; j++) e[3 + j] = hex[(cp >> (4 * (digits - 1 - j))) & 15];
    e[3 + digits] = '}';
    if (w + digits + 4 > max) break;
    memcpy(dst + w, e, digits + 4);
    w += digits + 4;
    i += k;
  }
  return w;
}

/* A host name for Reporting-MTA, Remote-MTA and the Message-ID: letters, digits
 * and . - _ [ ] : (IP literals); anything else becomes '_'. */
static size_t clean_host(char *dst, size_t max, char const *src)
{
  size_t w = 0;
  for (; *src && w < max; src++) {
    unsigned char c = (unsigned char)*src;
    int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
             || c == '.' || c == '-' || c == '_' || c == '[' || c == ']' || c == ':';
    dst[w++] = ok ? (char)c : '_';
  }
  return w;
}

/* A report text from a delivery program or a remote server, for Diagnostic-Code
 * and the readable part: printable ASCII only, every run of white space, control
 * bytes (CR, LF, NUL ...) turned into one space, 8-bit bytes into '?', cut at
 * QM_DSN_DIAG_MAX. qmail's "/" lines (empty lines of a bounce block) vanish. */
static size_t clean_diag(char *dst, char const *src, size_t n)
{
  size_t i, w = 0;
  int space = 1;
  for (i = 0; i < n && w < QM_DSN_DIAG_MAX; i++) {
    unsigned char c = (unsigned char)src[i];
    if (c == '/' && (i == 0 || src[i - 1] == '\n') && (i + 1 == n || src[i + 1] == '\n')) continue;
    if (c <= 0x20 || c == 0x7f) {
      if (!space) { dst[w++] = ' '; space = 1; }
      continue;
    }
    dst[w++] = c > 0x7e ? '?' : (char)c;
    space = 0;
  }
  while (w && dst[w - 1] == ' ') w--;
  return w;
}

/* Writes text (single spaces, no controls) starting at column col, breaking at
 * spaces so lines stay within width where a space allows, and never past
 * QM_DSN_LINE_MAX. A break replaces the space by LF + cont (for a header field,
 * cont " " keeps the unfolded value). Returns the final column. */
static size_t o_wrap(out *o, char const *s, size_t n, size_t col, size_t width, char const *cont)
{
  size_t contlen = strlen(cont);
  while (n) {
    size_t room = width > col ? width - col : 0;
    size_t hard = QM_DSN_LINE_MAX > col ? QM_DSN_LINE_MAX - col : 0;
    size_t cut = 0, i;
    int space = 0;
    if (n <= room) { o_put(o, s, n); return col + n; }
    for (i = room; i > 0; i--) if (s[i] == ' ') { cut = i; space = 1; break; }
    for (i = room + 1; !space && i < n && i <= hard; i++) if (s[i] == ' ') { cut = i; space = 1; }
    if (!space) {
      if (n <= hard) { o_put(o, s, n); return col + n; }
      cut = hard;
    }
    o_put(o, s, cut);
    o_ch(o, '\n');
    o_put(o, cont, contlen);
    col = contlen;
    if (space) cut++;
    s += cut; n -= cut;
  }
  return col;
}

/* --- status codes and routing -------------------------------------------------------- */

static size_t scan_digits(char const *s, size_t n, size_t max)
{
  size_t i = 0;
  while (i < n && i < max + 1 && s[i] >= '0' && s[i] <= '9') i++;
  return i >= 1 && i <= max ? i : 0;
}

/* c.s.d at s: class one digit, subject and detail 1-3 digits. Length or 0. */
static size_t scan_code(char const *s, size_t n)
{
  size_t a, b;
  if (n < 5 || (s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] != '.') return 0;
  a = scan_digits(s + 2, n - 2, 3);
  if (!a || 2 + a >= n || s[2 + a] != '.') return 0;
  b = scan_digits(s + 3 + a, n - 3 - a, 3);
  if (!b) return 0;
  if (3 + a + b < n && s[3 + a + b] >= '0' && s[3 + a + b] <= '9') return 0;
  return 3 + a + b;
}

/* failed takes 4 (a deferral that ran out of time) or 5; delayed only 4. */
static int class_fits(int action, char c)
{
  return action == QM_DSN_DELAYED ? c == '4' : c == '4' || c == '5';
}

size_t qm_dsn_status(char *out_, char const *text, size_t len, int action)
{
  size_t i, k = 0, at = 0;
  char const *def = action == QM_DSN_DELAYED ? "4.0.0" : "5.0.0";
  if (!text) len = 0;
  for (i = 0; !k && i + 2 < len; i++) {
    if (text[i] != '(' || text[i + 1] != '#') continue;
    k = scan_code(text + i + 2, len - i - 2);
    if (k && i + 2 + k < len && text[i + 2 + k] == ')') at = i + 2;
    else k = 0;
  }
  for (i = 0; !k && i + 4 < len; i++) {
    if ((i && text[i - 1] >= '0' && text[i - 1] <= '9') || scan_digits(text + i, len - i, 3) != 3
        || (text[i + 3] != ' ' && text[i + 3] != '-')) continue;
    k = scan_code(text + i + 4, len - i - 4);
    if (k && text[i] == text[i + 4]) at = i + 4;
    else k = 0;
  }
  if (!k || !class_fits(action, text[at])) { memcpy(out_, def, 6); return 5; }
  memcpy(out_, text + at, k);
  out_[k] = 0;
  return k;
}

int qm_dsn_route(char const *sender, size_t len, size_t *rlen)
{
  if (!len) return QM_DSN_TO_POSTMASTER;
  if (len == 4 && !memcmp(sender, "#@[]", 4)) return QM_DSN_DROP;
  *rlen = len;
  if (len > 4 && !memcmp(sender + len - 4, "-@[]", 4)) *rlen = len - 4;
  return QM_DSN_TO_SENDER;
}

int qm_dsn_delay_due(char const *sender, size_t len, time_t arrival, time_t now,
                     unsigned long delaywarning, int already_sent)
{
  size_t r;
  if (!delaywarning || already_sent || qm_dsn_route(sender, len, &r) != QM_DSN_TO_SENDER) return 0;
  if (now < arrival) return 0;
  return (unsigned long long)(now - arrival) >= delaywarning;
}

/* --- the original --------------------------------------------------------------------- */

/* Copies the original line by line: CRs dropped (the queue's lines end in LF),
 * lines longer than QM_DSN_LINE_MAX broken, and a line that starts with "--" and
 * the boundary shifted right by a space so it cannot close our parts. */
typedef struct copier_s {
  out *o;
  char const *delim;     /* "--" boundary */
  size_t dlen;
  size_t col;            /* bytes on the current output line */
  size_t held;           /* bytes of the line start matching delim, not yet written */
  int matching;          /* the line so far is a prefix of delim */
  int any;               /* something was written */
} copier;

static void cp_init(copier *c, out *o, char const *delim, size_t dlen)
{
  c->o = o; c->delim = delim; c->dlen = dlen;
  c->col = 0; c->held = 0; c->matching = 1; c->any = 0;
}

static void cp_release(copier *c)
{
  if (c->held) o_put(c->o, c->delim, c->held);
  c->held = 0;
  c->matching = 0;
}

static void cp_byte(copier *c, char ch)
{
  if (ch == '\r') return;
  c->any = 1;
  if (ch == '\n') {
    cp_release(c);
    o_ch(c->o, '\n');
    c->col = 0; c->matching = 1;
    return;
  }
  if (c->col >= QM_DSN_LINE_MAX) {
    cp_release(c);
    o_ch(c->o, '\n');
    c->col = 0; c->matching = 1;
  }
  c->col++;
  if (c->matching) {
    if (ch == c->delim[c->held]) {
      if (++c->held == c->dlen) {
        o_ch(c->o, ' ');
        c->col++;
        cp_release(c);
      }
      return;
    }
    cp_release(c);
  }
  o_ch(c->o, ch);
}

static void cp_feed(copier *c, char const *s, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++) cp_byte(c, s[i]);
}

/* Ends the copy with a line end, so the closing delimiter starts a line. */
static void cp_end(copier *c)
{
  if (c->held || c->col) { cp_release(c); o_ch(c->o, '\n'); }
  c->col = 0;
}

/* The original's header, read ahead so the readable part can say what is returned. */
typedef struct orig_s {
  stralloc sa;     /* all bytes read so far */
  size_t hlen;     /* header bytes (through the LF of its last line) */
  size_t body;     /* offset of the body in sa; == sa.len with no body read yet */
  int sep;         /* an empty line ended the header */
  int cut;         /* the header was longer than QM_DSN_HEADER_MAX */
  int eof;
} orig;

/* Reads until the empty line, EOF or the header limit. An empty line is "\n" or
 * CRs then "\n". Returns 1, or 0 with errno. */
static int orig_header(orig *g, qm_dsn_get_fn *get, void *ctx)
{
  size_t scan = 0, linestart = 0, lastlf = 0, cap = QM_DSN_HEADER_MAX + 2;
  if (!get) { g->eof = 1; return 1; }
  for (;;) {
    for (; scan < g->sa.len; scan++) {
      if (g->sa.s[scan] != '\n') continue;
      if (scan == linestart || (scan == linestart + 1 && g->sa.s[linestart] == '\r')) {
        g->hlen = linestart; g->body = scan + 1; g->sep = 1;
        return 1;
      }
      if (scan + 1 <= QM_DSN_HEADER_MAX) lastlf = scan + 1;
      linestart = scan + 1;
    }
    if (g->sa.len >= cap || g->eof) break;
    {
      size_t want = cap - g->sa.len;
      ssize_t r;
      if (want > READ_CHUNK) want = READ_CHUNK;
      if (!stralloc_readyplus(&g->sa, want)) return 0;
      r = get(ctx, g->sa.s + g->sa.len, want);
      if (r < 0) return 0;
      if (!r) g->eof = 1;
      else g->sa.len += (size_t)r > want ? want : (size_t)r;
    }
  }
  if (g->sa.len >= cap) {
    g->cut = 1;
    g->hlen = lastlf ? lastlf : QM_DSN_HEADER_MAX;
  } else g->hlen = g->sa.len;    /* EOF inside the header: no body */
  g->body = g->sa.len;
  return 1;
}

/* --- the notice ------------------------------------------------------------------------ */

typedef struct ctx_s {
  qm_dsn const *d;
  out *o;
  char boundary[BOUNDARY_MAX];
  size_t blen;
  char delim[BOUNDARY_MAX + 2];
  size_t dlen;
  char mta[QM_DSN_HOST_MAX];
  size_t mtalen;
  int headers_only;
  int truncated;          /* 1 cut, 0 whole, -1 unknown */
  uint64_t bodysize;
} ctx;

static void o_addr(out *o, char const *s, size_t n)
{
  char buf[QM_DSN_ADDR_MAX];
  o_put(o, buf, clean_addr(buf, sizeof buf, s, n));
}

static void o_delim(ctx *c, int last)
{
  o_put(c->o, c->delim, c->dlen);
  if (last) o_puts(c->o, "--");
  o_ch(c->o, '\n');
}

static void write_headers(ctx *c)
{
  qm_dsn const *d = c->d;
  out *o = c->o;
  char date[DATE_MAX], stamp[DATE_MAX], hex[20];
  o_puts(o, "Date: ");
  o_put(o, date, qm_date_fmt822(date, d->now));
  o_puts(o, "\nFrom: Mail Delivery System <");
  o_addr(o, d->from, strlen(d->from));
  o_puts(o, ">\n");
  o_puts(o, "To: <");
  o_addr(o, d->to, strlen(d->to));
  o_puts(o, ">\n");
  o_puts(o, "Subject: Delivery Status Notification (");
  o_puts(o, d->kind == QM_DSN_DELAY ? "Delay" : "Failure");
  o_puts(o, ")\nMessage-ID: <");
  o_put(o, stamp, qm_date_fmtstamp(stamp, d->now));
  o_ch(o, '.');
  o_put(o, hex, fmt_hex(hex, d->id));
  o_ch(o, '.');
  o_put(o, hex, fmt_hex(hex, d->salt));
  o_puts(o, d->kind == QM_DSN_DELAY ? ".delay@" : d->kind == QM_DSN_DOUBLE ? ".double@" : ".bounce@");
  o_put(o, c->mta, c->mtalen < MSGID_HOST_MAX ? c->mtalen : MSGID_HOST_MAX);
  o_puts(o, ">\nAuto-Submitted: auto-replied\nMIME-Version: 1.0\n"
            "Content-Type: multipart/report; report-type=delivery-status;\n\tboundary=\"");
  o_put(o, c->boundary, c->blen);
  o_puts(o, "\"\nContent-Transfer-Encoding: 8bit\n\n"
            "This is a MIME-formatted delivery status notification.\n\n");
}

/* One recipient in the readable part: its address, then its reason indented. */
static void human_rcpt(ctx *c, qm_dsn_rcpt const *r)
{
  char diag[QM_DSN_DIAG_MAX];
  size_t n = r->diag ? clean_diag(diag, r->diag, r->diaglen) : 0;
  o_ch(c->o, '<');
  o_addr(c->o, r->addr, r->addrlen);
  o_puts(c->o, ">:\n");
  if (n) {
    o_puts(c->o, "    ");
    o_wrap(c->o, diag, n, 4, WRAP_TEXT, "    ");
    o_ch(c->o, '\n');
  } else o_puts(c->o, "    (no reason was given)\n");
  o_ch(c->o, '\n');
}

static void o_para(out *o, char const *s)
{
  o_wrap(o, s, strlen(s), 0, WRAP_TEXT, "");
}

static void write_human(ctx *c)
{
  qm_dsn const *d = c->d;
  out *o = c->o;
  char date[DATE_MAX];
  size_t i, shown;
  o_delim(c, 0);
  o_puts(o, "Content-Type: text/plain; charset=utf-8\nContent-Description: Notification\n"
            "Content-Transfer-Encoding: 8bit\n\nThis is the mail system at ");
  o_put(o, c->mta, c->mtalen);
  o_puts(o, ".\n\n");
  if (d->kind == QM_DSN_DELAY) {
    o_para(o, "Your message has not been delivered yet to the recipients listed below. "
              "Each attempt so far failed for a reason that may go away, so there is no "
              "need to send it again.");
    o_puts(o, "\n\nIt has been waiting for ");
    o_duration(o, d->arrival, d->now);
    o_puts(o, ".\nThis server keeps trying until the queue lifetime ends");
    if (d->retry_until > d->now) {
      o_puts(o, ",\nat ");
      o_put(o, date, qm_date_fmt822(date, d->retry_until));
    }
    o_puts(o, ".\n");
    o_para(o, "If it still cannot deliver the message by then, you will get one more "
              "notice saying so; you will get no other notice about this delay.");
    o_puts(o, "\n\n");
  } else if (d->kind == QM_DSN_DOUBLE) {
    o_para(o, "A failure notice sent by this server could not be delivered either. "
              "It reported a message that failed, and the address it was sent back to "
              "failed too. Nothing will retry it: this copy for the postmaster is the "
              "last trace of it.");
    o_puts(o, "\n\n");
  } else {
    o_para(o, "Your message could not be delivered to the recipients listed below. "
              "The failures are permanent: this server has stopped trying these addresses.");
    o_puts(o, "\n\n");
  }
  shown = d->nrcpt < QM_DSN_HUMAN_LIST_MAX ? d->nrcpt : QM_DSN_HUMAN_LIST_MAX;
  for (i = 0; i < shown; i++) human_rcpt(c, &d->rcpt[i]);
  if (shown < d->nrcpt) {
    o_puts(o, "... and ");
    o_ulong(o, d->nrcpt - shown);
    o_puts(o, " more recipients, each listed in the delivery report below.\n\n");
  }
  if (d->kind == QM_DSN_FAILURE) {
    o_para(o, "What you can do: check each address for typing mistakes. Where the reason "
              "quotes the receiving server, only that server's administrators or the "
              "recipient can fix the problem; send the message again once it is fixed, "
              "or reach the recipient another way.");
    o_puts(o, "\n\n");
  }
  o_puts(o, "The message arrived here on ");
  o_put(o, date, qm_date_fmt822(date, d->arrival));
  o_puts(o, "\nfrom <");
  o_addr(o, d->sender ? d->sender : "", d->sender ? strlen(d->sender) : 0);
  o_puts(o, ">.\n");
  if (c->headers_only) o_puts(o, "Its headers are attached below");
  else o_puts(o, "A copy of it is attached below");
  if (c->truncated == 1 && !c->headers_only) {
    o_puts(o, ";\nits body was truncated to its first ");
    o_ulong(o, d->maxbytes);
    o_puts(o, " bytes (of ");
    o_ulong(o, c->bodysize);
    o_puts(o, ")");
  } else if (c->truncated == 1) {
    o_puts(o, ";\nthe header was longer than ");
    o_ulong(o, QM_DSN_HEADER_MAX);
    o_puts(o, " bytes and was truncated");
  } else if (c->truncated < 0 && !c->headers_only) {
    o_puts(o, "\n(at most the first ");
    o_ulong(o, d->maxbytes);
    o_puts(o, " bytes of its body)");
  }
  o_puts(o, ".\n\n");
}

static void write_status(ctx *c)
{
  qm_dsn const *d = c->d;
  out *o = c->o;
  char date[DATE_MAX], addr[QM_DSN_ADDR_MAX + 8], host[QM_DSN_HOST_MAX], st[QM_DSN_STATUS_MAX];
  char diag[QM_DSN_DIAG_MAX];
  size_t i, n;
  o_delim(c, 0);
  o_puts(o, "Content-Type: message/delivery-status\nContent-Description: Delivery report\n\n"
            "Reporting-MTA: dns; ");
  o_put(o, c->mta, c->mtalen);
  o_puts(o, "\nArrival-Date: ");
  o_put(o, date, qm_date_fmt822(date, d->arrival));
  o_ch(o, '\n');
  for (i = 0; i < d->nrcpt; i++) {
    qm_dsn_rcpt const *r = &d->rcpt[i];
    o_puts(o, "\nFinal-Recipient: ");
    o_put(o, addr, fmt_final(addr, sizeof addr, r->addr, r->addrlen));
    o_puts(o, r->action == QM_DSN_DELAYED ? "\nAction: delayed\nStatus: " : "\nAction: failed\nStatus: ");
    n = r->status ? strlen(r->status) : 0;
    if (n && n < QM_DSN_STATUS_MAX && scan_code(r->status, n) == n && class_fits(r->action, r->status[0]))
      o_puts(o, r->status);
    else {
      qm_dsn_status(st, r->diag, r->diag ? r->diaglen : 0, r->action);
      o_puts(o, st);
    }
    o_ch(o, '\n');
    if (r->remote_mta && (n = clean_host(host, sizeof host, r->remote_mta))) {
      o_puts(o, "Remote-MTA: dns; ");
      o_put(o, host, n);
      o_ch(o, '\n');
    }
    if (r->diag && (n = clean_diag(diag, r->diag, r->diaglen))) {
      o_puts(o, "Diagnostic-Code: smtp; ");
      o_wrap(o, diag, n, 23, WRAP_FIELD, " ");
      o_ch(o, '\n');
    }
    if (r->action == QM_DSN_DELAYED && d->retry_until > d->now) {
      o_puts(o, "Will-Retry-Until: ");
      o_put(o, date, qm_date_fmt822(date, d->retry_until));
      o_ch(o, '\n');
    }
  }
  o_ch(o, '\n');
}

static int write_original(ctx *c, orig *g, qm_dsn_get_fn *get, void *gctx)
{
  out *o = c->o;
  copier cp;
  o_delim(c, 0);
  if (c->headers_only)
    o_puts(o, "Content-Type: text/rfc822-headers\nContent-Description: Headers of the message\n");
  else o_puts(o, "Content-Type: message/rfc822\nContent-Description: The message\n");
  o_puts(o, "Content-Transfer-Encoding: 8bit\n\n");
  cp_init(&cp, o, c->delim, c->dlen);
  cp_feed(&cp, g->sa.s, g->hlen);
  if (!c->headers_only && g->sep) {
    size_t left = c->d->maxbytes, k;
    cp_end(&cp);
    o_ch(o, '\n');
    k = g->sa.len - g->body;
    if (k > left) k = left;
    cp_feed(&cp, g->sa.s + g->body, k);
    left -= k;
    while (left && !g->eof && !o->failed) {
      char buf[READ_CHUNK];
      ssize_t r = get(gctx, buf, left < sizeof buf ? left : sizeof buf);
      if (r < 0) return 0;
      if (!r) break;
      if ((size_t)r > left) r = (ssize_t)left;
      cp_feed(&cp, buf, (size_t)r);
      left -= (size_t)r;
    }
  }
  cp_end(&cp);
  /* the line end before a delimiter belongs to the delimiter (RFC 2046 5.1.1):
   * one more keeps the copy's own last line end */
  o_ch(o, '\n');
  o_delim(c, 1);
  return 1;
}

static int valid(qm_dsn const *d)
{
  size_t i;
  if (!d || !d->mta || !*d->mta || !d->from || !*d->from || !d->to || !*d->to) return 0;
  if (d->kind != QM_DSN_FAILURE && d->kind != QM_DSN_DELAY && d->kind != QM_DSN_DOUBLE) return 0;
  if (!d->nrcpt || d->nrcpt > QM_DSN_RCPT_MAX || !d->rcpt) return 0;
  for (i = 0; i < d->nrcpt; i++) {
    qm_dsn_rcpt const *r = &d->rcpt[i];
    if (!r->addr || !r->addrlen) return 0;
    if (r->action != QM_DSN_FAILED && r->action != QM_DSN_DELAYED) return 0;
    if (!r->diag && r->diaglen) return 0;
  }
  return 1;
}

int qm_dsn_write(qm_dsn const *d, qm_dsn_put_fn *put, void *putctx,
                 qm_dsn_get_fn *get, void *getctx)
{
  out o;
  ctx c;
  orig g = { .sa = STRALLOC_ZERO };
  size_t n;
  int ok = 0;
  if (!valid(d) || !put) { errno = EINVAL; return 0; }
  o.put = put; o.ctx = putctx; o.len = 0; o.failed = 0;
  c.d = d; c.o = &o;
  c.mtalen = clean_host(c.mta, sizeof c.mta, d->mta);
  /* "=_" cannot occur in quoted-printable or base64 text; the copy escapes any
   * line of the original that would still match. */
  memcpy(c.boundary, "=_qm-dsn_", 9);
  n = 9;
  n += fmt_hex(c.boundary + n, d->id); c.boundary[n++] = '_';
  n += fmt_hex(c.boundary + n, (uint64_t)d->now); c.boundary[n++] = '_';
  n += fmt_hex(c.boundary + n, d->salt); c.boundary[n++] = '_';
  c.boundary[n++] = (char)('0' + d->kind);
  c.blen = n;
  c.delim[0] = '-'; c.delim[1] = '-';
  memcpy(c.delim + 2, c.boundary, n);
  c.dlen = n + 2;

  if (!orig_header(&g, get, getctx)) goto done;
  c.headers_only = !d->maxbytes || g.cut;
  c.bodysize = 0;
  if (g.cut) c.truncated = 1;
  else if (c.headers_only) c.truncated = 0;
  else if (g.eof) {
    c.bodysize = g.sa.len - g.body;     /* the whole original is already here */
    c.truncated = c.bodysize > d->maxbytes;
  } else if (d->orig_size != QM_DSN_SIZE_UNKNOWN) {
    c.bodysize = d->orig_size > g.body ? d->orig_size - g.body : 0;
    c.truncated = c.bodysize > d->maxbytes;
  } else c.truncated = -1;

  write_headers(&c);
  write_human(&c);
  write_status(&c);
  if (!write_original(&c, &g, get, getctx)) goto done;
  ok = o_flush(&o);
 done:
  stralloc_free(&g.sa);
  return ok;
}

static int put_buffer(void *b, char const *s, size_t n)
{
  return buffer_putall((buffer *)b, s, n, &(size_t){ 0 });
}

int qm_dsn_write_buffer(qm_dsn const *d, buffer *b, qm_dsn_get_fn *get, void *getctx)
{
  return qm_dsn_write(d, &put_buffer, b, get, getctx);
}

ssize_t qm_dsn_get_buffer(void *b, char *s, size_t n)
{
  return buffer_get((buffer *)b, s, n);
}
