/* smtpd_auth: the base64 decoder against good, non-canonical and hostile input
 * (with the output room exactly right, one short, and zero), and the PLAIN and
 * LOGIN credential checks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "../../qmail-smtpd/smtpd_auth.h"

struct bcase { char const *in; int want; char const *out; size_t outlen; };
#define B(i, w, o) { i, w, o, sizeof o - 1 }

static struct bcase const b64[] = {
  B("", 1, ""),
  B("Zg==", 1, "f"),
  B("Zm8=", 1, "fo"),
  B("Zm9v", 1, "foo"),
  B("Zm9vYg==", 1, "foob"),
  B("Zm9vYmE=", 1, "fooba"),
  B("Zm9vYmFy", 1, "foobar"),
  B("AGpvZQBzZWNyZXQ=", 1, "\0joe\0secret"),
  B("+/+/", 1, "\xfb\xff\xbf"),
  B("////", 1, "\xff\xff\xff"),
  B("Zg=", -1, ""),              /* not a multiple of 4 */
  B("Zg", -1, ""),
  B("Z===", -1, ""),             /* three pad characters */
  B("====", -1, ""),
  B("Zg==Zg==", -1, ""),         /* padding in the middle */
  B("Zm=v", -1, ""),             /* data after padding */
  B("Zh==", -1, ""),             /* stray bits under the padding */
  B("Zm9=", -1, ""),
  B("Zm9v\r\n", -1, ""),
  B("Zm 9v", -1, ""),
  B("Zm9-", -1, ""),             /* base64url alphabet */
  B("Zm9_", -1, ""),
  B("Zm9\x80", -1, ""),
  B("Zm9\xff", -1, ""),
};

static void decode_table(void **state)
{
  size_t i;
  (void)state;
  for (i = 0; i < sizeof b64 / sizeof b64[0]; i++) {
    unsigned char out[64];
    size_t n = 99;
    int r = smtpd_b64_decode(out, sizeof out, &n, b64[i].in, strlen(b64[i].in));
    if (r != b64[i].want) fail_msg("case %zu \"%s\": got %d, want %d", i, b64[i].in, r, b64[i].want);
    if (r < 0) continue;
    if (n != b64[i].outlen || memcmp(out, b64[i].out, n))
      fail_msg("case %zu \"%s\": got %zu bytes, want %zu", i, b64[i].in, n, b64[i].outlen);
    /* exactly enough room works, one byte less is refused without a write past it */
    if (n) {
      unsigned char guard[65];
      size_t m;
      memset(guard, 0xaa, sizeof guard);
      if (smtpd_b64_decode(guard, n, &m, b64[i].in, strlen(b64[i].in)) != 1 || m != n)
        fail_msg("case %zu: exact room refused", i);
      memset(guard, 0xaa, sizeof guard);
      if (smtpd_b64_decode(guard, n - 1, &m, b64[i].in, strlen(b64[i].in)) != -1)
        fail_msg("case %zu: short room accepted", i);
      if (guard[n - 1] != 0xaa) fail_msg("case %zu: wrote past the room", i);
    }
  }
}

/* A long run: exactly SMTPD_AUTH_RESP_MAX bytes fit, more do not. */
static void decode_limits(void **state)
{
  static char in[SMTPD_AUTH_B64_MAX + 8];
  static unsigned char out[SMTPD_AUTH_RESP_MAX];
  size_t n, len;
  (void)state;
  len = (SMTPD_AUTH_RESP_MAX / 3) * 4;
  memset(in, 'A', len);
  assert_int_equal(smtpd_b64_decode(out, sizeof out, &n, in, len), 1);
  assert_int_equal(n, (SMTPD_AUTH_RESP_MAX / 3) * 3);
  memset(in, 'A', len + 4);
  assert_int_equal(smtpd_b64_decode(out, sizeof out, &n, in, len + 4), -1);
  assert_int_equal(smtpd_b64_decode(out, 0, &n, "QQ==", 4), -1);
  assert_int_equal(smtpd_b64_decode(out, 0, &n, "", 0), 1);
  assert_int_equal(n, 0);
}

struct pcase { char const *in; size_t len; int want; char const *user; char const *pass; };
#define P(s, w, u, p) { s, sizeof s - 1, w, u, p }

static struct pcase const plains[] = {
  P("\0joe\0secret", 1, "joe", "secret"),
  P("joe\0joe\0secret", 1, "joe", "secret"),
  P("\0joe@example.org\0p a s s\xc3\xa9", 1, "joe@example.org", "p a s s\xc3\xa9"),
  P("admin\0joe\0secret", -1, "", ""),      /* acting for another user */
  P("jo\0joe\0secret", -1, "", ""),
  P("\0joe\0", -1, "", ""),                 /* empty password */
  P("\0\0secret", -1, "", ""),              /* empty user */
  P("\0joe", -1, "", ""),
  P("joe", -1, "", ""),
  P("", -1, "", ""),
  P("\0joe\0sec\0ret", -1, "", ""),         /* a NUL in the password */
  P("\0j oe\0secret", -1, "", ""),
  P("\0j:oe\0secret", -1, "", ""),
  P("\0j\roe\0secret", -1, "", ""),
  P("\0j\xc3\xa9\0secret", -1, "", ""),
};

static void plain_table(void **state)
{
  size_t i;
  (void)state;
  for (i = 0; i < sizeof plains / sizeof plains[0]; i++) {
    smtpd_authcred c;
    int r = smtpd_auth_plain(&c, (unsigned char const *)plains[i].in, plains[i].len);
    if (r != plains[i].want) fail_msg("case %zu: got %d, want %d", i, r, plains[i].want);
    if (r < 0) continue;
    if (strcmp(c.user, plains[i].user) || c.userlen != strlen(plains[i].user))
      fail_msg("case %zu: user '%s', want '%s'", i, c.user, plains[i].user);
    if (strcmp(c.pass, plains[i].pass) || c.passlen != strlen(plains[i].pass))
      fail_msg("case %zu: password '%s', want '%s'", i, c.pass, plains[i].pass);
  }
}

static void plain_limits(void **state)
{
  static unsigned char buf[SMTPD_AUTH_RESP_MAX + 16];
  smtpd_authcred c;
  size_t n;
  (void)state;
  /* the longest user and password pass, one byte more of either does not */
  buf[0] = 0;
  memset(buf + 1, 'u', SMTPD_AUTH_USER_MAX);
  buf[1 + SMTPD_AUTH_USER_MAX] = 0;
  memset(buf + 2 + SMTPD_AUTH_USER_MAX, 'p', SMTPD_AUTH_PASS_MAX + 1);
  n = 2 + SMTPD_AUTH_USER_MAX + SMTPD_AUTH_PASS_MAX;
  assert_int_equal(smtpd_auth_plain(&c, buf, n), 1);
  assert_int_equal(c.userlen, SMTPD_AUTH_USER_MAX);
  assert_int_equal(c.passlen, SMTPD_AUTH_PASS_MAX);
  assert_int_equal(smtpd_auth_plain(&c, buf, n + 1), -1);
  memmove(buf + 2, buf + 1, n);
  buf[1] = 'u';
  assert_int_equal(smtpd_auth_plain(&c, buf, n), -1);
  assert_int_equal(smtpd_auth_setpass(&c, (unsigned char const *)"x", 1), 1);
  assert_int_equal(smtpd_auth_setpass(&c, (unsigned char const *)"", 0), -1);
  assert_int_equal(smtpd_auth_setpass(&c, (unsigned char const *)"a\0b", 3), -1);
  assert_int_equal(smtpd_auth_user_ok("joe", 3), 1);
  assert_int_equal(smtpd_auth_user_ok("", 0), 0);
  assert_int_equal(smtpd_auth_user_ok("j\x7f", 2), 0);
  smtpd_auth_wipe(&c, sizeof c);
  assert_int_equal(c.pass[0], 0);
  assert_int_equal(c.passlen, 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(decode_table),
    cmocka_unit_test(decode_limits),
    cmocka_unit_test(plain_table),
    cmocka_unit_test(plain_limits),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
