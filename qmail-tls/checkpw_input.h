/* checkpw_input: the pure parts of qmail-checkpw and qmail-newpw: the
 * checkpassword input on fd 3, one users/passwords line, and a comparison whose
 * time does not depend on where two strings differ. Trusts no byte of either
 * input; never copies a password. */
#ifndef CHECKPW_INPUT_H
#define CHECKPW_INPUT_H

#include <stddef.h>

#define CHECKPW_INPUT_MAX 512   /* the checkpassword interface's limit */
#define CHECKPW_USER_MAX 128    /* a user name */
#define CHECKPW_HASH_MAX 256    /* a crypt(3) hash */

typedef struct checkpw_input_s {
  char const *user;             /* into the caller's buffer, NUL-ended */
  size_t userlen;
  char const *pass;
  size_t passlen;
  char const *stamp;
} checkpw_input;

/* Splits "user\0password\0timestamp\0" (len bytes; anything after the third NUL is
 * ignored, as the interface allows). 1 ok, -1 malformed: more than
 * CHECKPW_INPUT_MAX bytes, fewer than three fields, a bad user name. */
int checkpw_parse(checkpw_input *in, char const *buf, size_t len);

/* A user name: 1-CHECKPW_USER_MAX bytes of printable ASCII, no space, no ':'. */
int checkpw_user_ok(char const *s, size_t len);

/* One line of users/passwords (without its LF): "user:hash". 1 an entry (*ulen
 * bytes of user at line, the hash at *hash, *hlen bytes), 0 a blank or '#' line, -1
 * malformed (no ':', bad user, empty or overlong hash, a control byte or space). */
int checkpw_pwline(char const *line, size_t len, size_t *ulen, char const **hash, size_t *hlen);

/* 1 if the strings are equal; the time depends only on their lengths. */
int checkpw_equal(char const *a, char const *b);

#endif
