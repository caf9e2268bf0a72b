/* SMTP AUTH decoding (RFC 4954, 4616, 4648). Every length is checked against the
 * output room before a byte is written; a response that is not canonical base64
 * is refused whole rather than repaired. Must never keep a password beyond the
 * caller's buffer. */
#include <string.h>

#include "smtpd_auth.h"

static int b64val(unsigned char c)
{
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

int smtpd_b64_decode(unsigned char *out, size_t max, size_t *outlen, char const *in, size_t len)
{
  size_t i, n = 0;
  *outlen = 0;
  if (len % 4) return -1;
  for (i = 0; i < len; i += 4) {
    int v[4], k, pad = 0;
    unsigned long w;
    for (k = 0; k < 4; k++) {
      unsigned char c = (unsigned char)in[i + k];
      if (c == '=') {
        /* padding only in the last group, only at its end, at most two */
        if (i + 4 != len || k < 2) return -1;
        pad++;
        v[k] = 0;
        continue;
      }
      if (pad) return -1;
      v[k] = b64val(c);
      if (v[k] < 0) return -1;
    }
    w = (unsigned long)v[0] << 18 | (unsigned long)v[1] << 12 | (unsigned long)v[2] << 6 | (unsigned long)v[3];
    /* bits below the last whole byte must be zero: one encoding per input */
    if (pad == 2 && (w & 0xffffUL)) return -1;
    if (pad == 1 && (w & 0xffUL)) return -1;
    if ((size_t)(3 - pad) > max - n) return -1;
    out[n++] = (unsigned char)(w >> 16);
    if (pad < 2) out[n++] = (unsigned char)(w >> 8);
    if (pad < 1) out[n++] = (unsigned char)w;
  }
  *outlen = n;
  return 1;
}

int smtpd_auth_user_ok(char const *s, size_t len)
{
  size_t i;
  if (!len || len > SMTPD_AUTH_USER_MAX) return 0;
  for (i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c <= 32 || c >= 127 || c == ':') return 0;
  }
  return 1;
}

int smtpd_auth_setpass(smtpd_authcred *c, unsigned char const *in, size_t len)
{
  if (!len || len > SMTPD_AUTH_PASS_MAX || memchr(in, 0, len)) return -1;
  memcpy(c->pass, in, len);
  c->pass[len] = 0;
  c->passlen = len;
  return 1;
}

int smtpd_auth_plain(smtpd_authcred *c, unsigned char const *in, size_t len)
{
  unsigned char const *z1, *z2;
  size_t zlen, ulen;
  c->userlen = c->passlen = 0;
  c->user[0] = c->pass[0] = 0;
  z1 = memchr(in, 0, len);
  if (!z1) return -1;
  zlen = (size_t)(z1 - in);
  z2 = memchr(z1 + 1, 0, len - zlen - 1);
  if (!z2) return -1;
  ulen = (size_t)(z2 - z1 - 1);
  if (!smtpd_auth_user_ok((char const *)z1 + 1, ulen)) return -1;
  /* acting for somebody else (an authzid naming another user) is not offered */
  if (zlen && (zlen != ulen || memcmp(in, z1 + 1, ulen))) return -1;
  if (smtpd_auth_setpass(c, z2 + 1, len - (size_t)(z2 + 1 - in)) < 0) return -1;
  memcpy(c->user, z1 + 1, ulen);
  c->user[ulen] = 0;
  c->userlen = ulen;
  return 1;
}

void smtpd_auth_wipe(void *p, size_t len)
{
  volatile unsigned char *v = p;
  while (len--) *v++ = 0;
}
