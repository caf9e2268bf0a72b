/* qm_tlsctl: control-channel requests and reports (qmail-tls/PROTOCOL), shared by
 * qmail-tlsd and the programs it serves. A request is one line: "starttls",
 * "plain", or "starttls NAME VERIFY" from a client-mode program, where VERIFY is
 * none, ca, or sha256:HEX. Anything else is refused whole. */
#include <string.h>

#include "qm_tlsctl.h"

long qm_tlsctl_line(char const *s, size_t len)
{
  size_t i, n = len < QM_TLSCTL_MAX ? len : QM_TLSCTL_MAX;
  for (i = 0; i < n; i++)
    if (s[i] == '\n') return (long)(i + 1);
  return len >= QM_TLSCTL_MAX ? -1 : 0;
}

int qm_tlsctl_name_ok(char const *s, size_t len)
{
  size_t i;
  if (!len || len > QM_TLSCTL_NAME_MAX) return 0;
  for (i = 0; i < len; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '-' || c == '.'))
      return 0;
  }
  return 1;
}

static int hexval(char c)
{
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int qm_tlsctl_parse_pin(unsigned char *pin, char const *s, size_t len)
{
  size_t i = 0, n = 0;
  while (n < QM_TLSCTL_PIN_LEN) {
    int hi, lo;
    if (n && i < len && s[i] == ':') i++;
    if (len - i < 2) return 0;
    hi = hexval(s[i]); lo = hexval(s[i + 1]);
    if (hi < 0 || lo < 0) return 0;
    pin[n++] = (unsigned char)(hi << 4 | lo);
    i += 2;
  }
  return i == len;
}

/* Splits s at single spaces into at most max words; -1 on empty words or too many. */
static int words(char const *s, size_t len, char const **w, size_t *wl, int max)
{
  int n = 0;
  size_t i = 0, start = 0;
  if (!len) return -1;
  for (i = 0; i <= len; i++) {
    if (i == len || s[i] == ' ') {
      if (i == start || n == max) return -1;
      w[n] = s + start; wl[n] = i - start; n++;
      start = i + 1;
    }
  }
  return n;
}

static int is(char const *w, size_t wl, char const *lit)
{
  size_t n = strlen(lit);
  return wl == n && !memcmp(w, lit, n);
}

int qm_tlsctl_parse(qm_tlsreq *r, char const *s, size_t len)
{
  char const *w[3];
  size_t wl[3];
  int n;
  memset(r, 0, sizeof *r);
  if (len && s[len - 1] == '\r') len--;
  n = words(s, len, w, wl, 3);
  if (n == 1 && is(w[0], wl[0], "plain")) { r->kind = QM_TLSREQ_PLAIN; return 1; }
  if (n == 1 && is(w[0], wl[0], "starttls")) { r->kind = QM_TLSREQ_STARTTLS; return 1; }
  if (n != 3 || !is(w[0], wl[0], "starttls")) return -1;
  r->kind = QM_TLSREQ_STARTTLS;
  r->client = 1;
  if (!is(w[1], wl[1], "-")) {
    if (!qm_tlsctl_name_ok(w[1], wl[1])) return -1;
    memcpy(r->name, w[1], wl[1]);
    r->name[wl[1]] = 0;
  }
  if (is(w[2], wl[2], "none")) r->verify = QM_TLSVERIFY_NONE;
  else if (is(w[2], wl[2], "ca")) r->verify = QM_TLSVERIFY_CA;
  else if (wl[2] > 7 && !memcmp(w[2], "sha256:", 7)) {
    if (!qm_tlsctl_parse_pin(r->pin, w[2] + 7, wl[2] - 7)) return -1;
    r->verify = QM_TLSVERIFY_PIN;
  } else return -1;
  /* checking a certificate against the CA store means nothing without a name */
  if (r->verify == QM_TLSVERIFY_CA && !r->name[0]) return -1;
  return 1;
}

size_t qm_tlsctl_sanitize(char *out, size_t max, char const *in, size_t len, int keepspace)
{
  size_t i, n = len < max ? len : max;
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)in[i];
    if (c == ' ') out[i] = keepspace ? ' ' : '_';
    else out[i] = c >= 0x21 && c <= 0x7e ? (char)c : '?';
  }
  out[n] = 0;
  return n;
}

static size_t put(char *out, size_t at, char const *v, size_t max, int keepspace)
{
  if (!v || !*v) { out[at] = '-'; return at + 1; }
  return at + qm_tlsctl_sanitize(out + at, max, v, strlen(v), keepspace);
}

size_t qm_tlsctl_report(char *out, char const *proto, char const *cipher,
                       char const *verified, char const *peer)
{
  /* 3 + 3*(64+1) + 256 + 1 = 455 < QM_TLSCTL_MAX */
  size_t n = 0;
  memcpy(out, "ok ", 3); n = 3;
  n = put(out, n, proto, QM_TLSCTL_FIELD_MAX, 0); out[n++] = ' ';
  n = put(out, n, cipher, QM_TLSCTL_FIELD_MAX, 0); out[n++] = ' ';
  n = put(out, n, verified, QM_TLSCTL_FIELD_MAX, 0); out[n++] = ' ';
  n = put(out, n, peer, QM_TLSCTL_PEER_MAX, 1);
  out[n++] = '\n';
  return n;
}

size_t qm_tlsctl_fail(char *out, char const *reason)
{
  size_t n;
  memcpy(out, "fail ", 5);
  n = put(out, 5, reason, QM_TLSCTL_PEER_MAX, 1);
  out[n++] = '\n';
  return n;
}

static int field(char *dst, size_t max, char const **s, size_t *len)
{
  size_t i = 0;
  while (i < *len && (*s)[i] != ' ') i++;
  if (!i || i > max) return 0;
  memcpy(dst, *s, i);
  dst[i] = 0;
  if (i == *len) { *s += i; *len = 0; return 1; }
  *s += i + 1; *len -= i + 1;
  return 1;
}

static int printable(char const *s, size_t len)
{
  size_t i;
  for (i = 0; i < len; i++)
    if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e) return 0;
  return 1;
}

int qm_tlsctl_parse_report(qm_tlsreport *r, char const *s, size_t len)
{
  memset(r, 0, sizeof *r);
  if (!printable(s, len)) return -1;
  if (len >= 5 && !memcmp(s, "fail ", 5)) {
    if (len - 5 > QM_TLSCTL_PEER_MAX || len == 5) return -1;
    memcpy(r->peer, s + 5, len - 5);
    return 0;
  }
  if (len < 3 || memcmp(s, "ok ", 3)) return -1;
  s += 3; len -= 3;
  if (!field(r->proto, QM_TLSCTL_FIELD_MAX, &s, &len) || !len) return -1;
  if (!field(r->cipher, QM_TLSCTL_FIELD_MAX, &s, &len) || !len) return -1;
  if (!field(r->verified, QM_TLSCTL_FIELD_MAX, &s, &len) || !len) return -1;
  if (len > QM_TLSCTL_PEER_MAX) return -1;
  memcpy(r->peer, s, len);
  return 1;
}
