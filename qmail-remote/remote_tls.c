/* tlsdestinations and the TLS decisions. The list is the administrator's, the host
 * comes from the envelope: the host is only compared; paths and pins from the list
 * are length-checked before they are copied; a line that cannot be read for the
 * host being delivered to must defer the mail, never send it in clear. */
#include <string.h>
#include <strings.h>

#include "remote_tls.h"
#include "qm_tlsctl.h"

int remote_tlsdest_parse(remote_tlsdest *d, char const *s, size_t len)
{
  memset(d, 0, sizeof *d);
  d->policy = REMOTE_TLS_CA;
  if (!len) return 1;
  if (s[0] != ':' || memchr(s, 0, len)) return -1;
  s++; len--;
  if (len > 7 && !memcmp(s, "cafile:", 7)) {
    s += 7; len -= 7;
    /* an absolute path: the helper runs in queue/mess, a relative one would surprise */
    if (!len || len > REMOTE_TLS_PATH_MAX || s[0] != '/') return -1;
    memcpy(d->cafile, s, len);
    d->cafile[len] = 0;
    return 1;
  }
  if (len > 7 && !memcmp(s, "sha256:", 7)) {
    if (!qm_tlsctl_parse_pin(d->pin, s + 7, len - 7)) return -1;
    d->policy = REMOTE_TLS_PIN;
    return 1;
  }
  return -1;
}

/* The first line whose key is exactly key (klen bytes, any case). */
static int lookup(remote_tlsdest *d, char const *list, size_t len, char const *key, size_t klen)
{
  size_t at = 0;
  while (at < len) {
    char const *e = memchr(list + at, 0, len - at);
    size_t l = e ? (size_t)(e - (list + at)) : len - at;
    char const *line = list + at;
    at += l + 1;
    if (l >= klen && (l == klen || line[klen] == ':') && !strncasecmp(line, key, klen))
      return remote_tlsdest_parse(d, line + klen, l - klen);
  }
  return 0;
}

int remote_tlsdest_find(remote_tlsdest *d, char const *list, size_t len, char const *host)
{
  size_t hl = strlen(host), i;
  int r;
  memset(d, 0, sizeof *d);
  d->policy = REMOTE_TLS_OPPORTUNISTIC;
  /* an address literal or an empty host is never a key */
  if (!hl || host[0] == '[' || memchr(host, ':', hl)) return 0;
  r = lookup(d, list, len, host, hl);
  for (i = 0; !r && i < hl; i++)
    if (host[i] == '.' && i + 1 < hl) r = lookup(d, list, len, host + i, hl - i);
  if (r <= 0) {
    int bad = r < 0;
    memset(d, 0, sizeof *d);
    d->policy = REMOTE_TLS_OPPORTUNISTIC;
    return bad ? -1 : 0;
  }
  return 1;
}

enum remote_tls_act remote_tls_decide(enum remote_tls_policy p, int helper, int offered, int named)
{
  if (p == REMOTE_TLS_OPPORTUNISTIC) return helper && offered ? REMOTE_TLS_START : REMOTE_TLS_PLAIN;
  if (!helper || !offered) return REMOTE_TLS_REFUSE;
  if (p == REMOTE_TLS_CA && !named) return REMOTE_TLS_REFUSE;
  return REMOTE_TLS_START;
}

int remote_tls_fallback(enum remote_tls_policy p)
{
  return p == REMOTE_TLS_OPPORTUNISTIC;
}

size_t remote_tls_request(char *out, char const *name, remote_tlsdest const *d)
{
  static char const hex[] = "0123456789abcdef";
  size_t n = 0, nl = strlen(name), i;
  if (nl > REMOTE_TLS_NAME_MAX || (nl && !qm_tlsctl_name_ok(name, nl))) return 0;
  memcpy(out, "starttls ", 9); n = 9;
  if (nl) { memcpy(out + n, name, nl); n += nl; }
  else out[n++] = '-';
  out[n++] = ' ';
  switch (d->policy) {
    case REMOTE_TLS_OPPORTUNISTIC: memcpy(out + n, "none", 4); n += 4; break;
    case REMOTE_TLS_CA: memcpy(out + n, "ca", 2); n += 2; break;
    case REMOTE_TLS_PIN:
      memcpy(out + n, "sha256:", 7); n += 7;
      for (i = 0; i < REMOTE_TLS_PIN_LEN; i++) {
        out[n++] = hex[d->pin[i] >> 4];
        out[n++] = hex[d->pin[i] & 15];
      }
      break;
  }
  out[n++] = '\n';
  return n;
}

/* Appends at most what fits, keeping room for the NUL. */
static size_t put(char *out, size_t n, char const *s)
{
  size_t l = strlen(s);
  if (l > REMOTE_TLS_NOTE_MAX - 1 - n) l = REMOTE_TLS_NOTE_MAX - 1 - n;
  memcpy(out + n, s, l);
  return n + l;
}

void remote_tls_note(char *out, char const *proto, char const *cipher, char const *verified)
{
  size_t n = 0;
  int ver = strcmp(verified, "none") != 0;
  n = put(out, n, proto);
  n = put(out, n, " ");
  n = put(out, n, cipher);
  n = put(out, n, ver ? ", verified (" : ", unverified");
  if (ver) { n = put(out, n, verified); n = put(out, n, ")"); }
  out[n] = 0;
}
