/* qmail-lspawn's decisions: the reply for a finished qmail-local child (its exit
 * code or signal and its output) and the parsing of a user lookup answer
 * (user\0uid\0gid\0home\0dash\0ext\0 from qmail-getpw). Pure; the caller does the
 * forks, pipes and privilege changes. */
#ifndef SEND_LSPAWN_H
#define SEND_LSPAWN_H

#include <stddef.h>
#include <sys/types.h>
#include <skalibs/stralloc.h>

#define SEND_LSPAWN_OUT_MAX 3000     /* report bytes passed on; the rest is cut */
#define SEND_LSPAWN_PW_MAX 4096      /* a whole lookup answer */

/* Exit codes private to qmail-lspawn and its child (qmail's qlx.h numbering). */
#define LSPAWN_EXIT_BUG 112
#define LSPAWN_EXIT_ROOT 113
#define LSPAWN_EXIT_NFS 115
#define LSPAWN_EXIT_NOALIAS 116
#define LSPAWN_EXIT_CDB 117
#define LSPAWN_EXIT_TEMP 118
#define LSPAWN_EXIT_NOMEM 119
#define LSPAWN_EXIT_EXECLOCAL 120
#define LSPAWN_EXIT_EXECGETPW 121
#define LSPAWN_EXIT_PERMLOCAL 126

/* Builds the reply text, letter first ("Kdid 1+0+0\n"), into out (replaced):
 * signaled != 0 means the child died of a signal. The child's output counts up to
 * its first NUL and at most SEND_LSPAWN_OUT_MAX bytes. Returns 1, or 0 on ENOMEM. */
int send_lspawn_report(stralloc *out, int signaled, int code, char const *output, size_t len);

typedef struct send_pw_s {
  char const *user, *home, *dash, *ext;   /* point into the parsed buffer */
  uid_t uid;
  gid_t gid;
} send_pw;

/* Parses six NUL-separated fields; a NUL after the sixth is allowed (qmail-getpw
 * writes one, users/cdb values have none). s[len] must be a NUL the caller added,
 * so the fields can be used as C strings. Refuses: another number of fields, an
 * empty user, ids that are not decimal or do not fit, a home that is not
 * absolute, over SEND_LSPAWN_PW_MAX bytes. Returns 1 or -1. */
int send_lspawn_pwparse(send_pw *pw, char const *s, size_t len);

#endif
