/* smtpd_auth: the pure parts of SMTP AUTH (RFC 4954): a strict bounded base64
 * decoder and the PLAIN (RFC 4616) and LOGIN credential checks. Trusts no input
 * byte; never logs, stores or copies a password anywhere but the caller's buffer,
 * which the caller wipes. */
#ifndef SMTPD_AUTH_H
#define SMTPD_AUTH_H

#include <stddef.h>

#define SMTPD_AUTH_USER_MAX 128    /* user name bytes */
#define SMTPD_AUTH_PASS_MAX 256    /* password bytes: user + pass + stamp fit 512 */
/* a PLAIN response decoded: authzid NUL authcid NUL password */
#define SMTPD_AUTH_RESP_MAX (2 * SMTPD_AUTH_USER_MAX + SMTPD_AUTH_PASS_MAX + 2)
#define SMTPD_AUTH_B64_MAX (((SMTPD_AUTH_RESP_MAX + 2) / 3) * 4)

typedef struct smtpd_authcred_s {
  char user[SMTPD_AUTH_USER_MAX + 1];
  size_t userlen;
  char pass[SMTPD_AUTH_PASS_MAX + 1];
  size_t passlen;
} smtpd_authcred;

/* Decodes base64 (RFC 4648 alphabet, padded, no white space, no stray bits) into
 * out (room for max bytes). Returns 1 with *outlen set, -1 when malformed or the
 * result would not fit. Nothing past max is ever written. */
int smtpd_b64_decode(unsigned char *out, size_t max, size_t *outlen, char const *in, size_t len);

/* Is this a user name we pass on: 1-SMTPD_AUTH_USER_MAX bytes of printable ASCII
 * without space or ':'? */
int smtpd_auth_user_ok(char const *s, size_t len);

/* A decoded PLAIN response into c: 1 ok, -1 malformed (wrong number of NULs, empty
 * or overlong fields, a bad user name, an authzid other than the user). */
int smtpd_auth_plain(smtpd_authcred *c, unsigned char const *in, size_t len);

/* A password from LOGIN: 1 ok (copied into c), -1 empty, overlong or with a NUL. */
int smtpd_auth_setpass(smtpd_authcred *c, unsigned char const *in, size_t len);

/* Wipes the credentials (a store the compiler may not drop). */
void smtpd_auth_wipe(void *p, size_t len);

#endif
