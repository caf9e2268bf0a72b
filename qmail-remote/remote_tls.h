/* TLS policy for qmail-remote: control/tlsdestinations (which domains require TLS
 * and how the server's certificate is checked), the decision taken after EHLO, the
 * request line for qmail-tlsd and the note the reports carry. Pure functions: the
 * file and the host come from outside and are only compared, length-checked and
 * copied into fixed fields; nothing here does I/O. */
#ifndef REMOTE_TLS_H
#define REMOTE_TLS_H

#include <stddef.h>

#define REMOTE_TLS_PATH_MAX 1024    /* a cafile path */
#define REMOTE_TLS_NAME_MAX 253     /* a server name sent for SNI and the name check */
#define REMOTE_TLS_PIN_LEN 32       /* SHA-256 */
#define REMOTE_TLS_NOTE_MAX 200     /* the text a report gets, NUL included */
#define REMOTE_TLS_REQ_MAX 512      /* a request line, LF included (PROTOCOL) */

enum remote_tls_policy {
  REMOTE_TLS_OPPORTUNISTIC = 0,  /* not listed: STARTTLS when offered, unverified */
  REMOTE_TLS_CA,                 /* listed: the CA store (or cafile) and the host name */
  REMOTE_TLS_PIN                 /* listed with sha256:HEX: that certificate only */
};

typedef struct remote_tlsdest {
  enum remote_tls_policy policy;
  char cafile[REMOTE_TLS_PATH_MAX + 1];   /* "" = the helper's default store */
  unsigned char pin[REMOTE_TLS_PIN_LEN];
} remote_tlsdest;

/* Parses what follows "domain" on a line: "" (CA store), ":cafile:/path" or
 * ":sha256:HEX" (64 hex digits, ':' allowed between byte pairs). 1 ok, -1 bad. */
int remote_tlsdest_parse(remote_tlsdest *d, char const *s, size_t len);

/* list: entries each ended by '\0' (qm_control_parselist), len bytes in all. The key
 * of a line runs to its first ':'; "domain" matches host exactly, ".suffix" matches
 * every host ending in it, the longest suffix first; case ignored; the first line
 * with the key wins. 1 matched (*d filled), 0 opportunistic (*d says so), -1 the
 * matching line is malformed (the caller must defer: it cannot know the policy). */
int remote_tlsdest_find(remote_tlsdest *d, char const *list, size_t len, char const *host);

/* What to do once EHLO has answered. */
enum remote_tls_act {
  REMOTE_TLS_PLAIN = 0,   /* go on without TLS */
  REMOTE_TLS_START,       /* send STARTTLS and hand the connection to qmail-tlsd */
  REMOTE_TLS_REFUSE       /* policy forbids plaintext here: quit, try the next address */
};
/* helper: qmail-tlsd serves us; offered: the EHLO reply listed STARTTLS; named:
 * a server name is known (the CA check needs one). */
enum remote_tls_act remote_tls_decide(enum remote_tls_policy p, int helper, int offered, int named);

/* After STARTTLS failed (refused with a non-220, or the handshake or check failed):
 * 1 the same address may be used in plaintext, 0 try the next address. */
int remote_tls_fallback(enum remote_tls_policy p);

/* The request "starttls NAME VERIFY\n" into out (REMOTE_TLS_REQ_MAX bytes): name ""
 * becomes "-". Returns its length, 0 when the name is not a plausible host name. */
size_t remote_tls_request(char *out, char const *name, remote_tlsdest const *d);

/* The report note from the helper's "ok PROTO CIPHER VERIFIED PEER" fields, e.g.
 * "TLSv1.3 TLS_AES_256_GCM_SHA384, verified (ca)"; into out (REMOTE_TLS_NOTE_MAX). */
void remote_tls_note(char *out, char const *proto, char const *cipher, char const *verified);

#endif
