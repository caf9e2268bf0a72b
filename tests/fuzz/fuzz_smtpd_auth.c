/* libFuzzer harness for the AUTH decoder: any bytes as base64 and as a decoded
 * PLAIN response. What decodes must re-encode to the same text (one encoding per
 * value), never fill past its room, and give credentials within the limits. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../qmail-smtpd/smtpd_auth.h"

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size);

static size_t encode(char *out, unsigned char const *in, size_t len)
{
  static char const a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t i, n = 0;
  for (i = 0; i + 2 < len; i += 3) {
    unsigned long w = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8 | in[i + 2];
    out[n++] = a[w >> 18]; out[n++] = a[(w >> 12) & 63]; out[n++] = a[(w >> 6) & 63]; out[n++] = a[w & 63];
  }
  if (len - i == 1) {
    unsigned long w = (unsigned long)in[i] << 16;
    out[n++] = a[w >> 18]; out[n++] = a[(w >> 12) & 63]; out[n++] = '='; out[n++] = '=';
  } else if (len - i == 2) {
    unsigned long w = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8;
    out[n++] = a[w >> 18]; out[n++] = a[(w >> 12) & 63]; out[n++] = a[(w >> 6) & 63]; out[n++] = '=';
  }
  return n;
}

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size)
{
  static unsigned char out[SMTPD_AUTH_RESP_MAX + 1];
  static char back[SMTPD_AUTH_B64_MAX + 8];
  smtpd_authcred c;
  size_t n;
  out[SMTPD_AUTH_RESP_MAX] = 0x5a;
  if (smtpd_b64_decode(out, SMTPD_AUTH_RESP_MAX, &n, (char const *)data, size) > 0) {
    if (n > SMTPD_AUTH_RESP_MAX || encode(back, out, n) != size || memcmp(back, data, size)) abort();
    if (smtpd_auth_plain(&c, out, n) > 0
        && (!c.userlen || c.userlen > SMTPD_AUTH_USER_MAX || !smtpd_auth_user_ok(c.user, c.userlen)
            || !c.passlen || c.passlen > SMTPD_AUTH_PASS_MAX || strlen(c.pass) != c.passlen)) abort();
  }
  if (out[SMTPD_AUTH_RESP_MAX] != 0x5a) abort();
  if (smtpd_auth_plain(&c, data, size) > 0 && (c.userlen + c.passlen + 2 > size || strlen(c.user) != c.userlen))
    abort();
  return 0;
}
