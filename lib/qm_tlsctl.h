/* qm_tlsctl: the control-channel messages between qmail-tlsd and the program it
 * serves (see PROTOCOL): requests from the served program, the report line back.
 * Parsers trust nothing; formatters sanitize every value to printable ASCII and cap
 * it, so nothing a peer put in a certificate can break a line. */
#ifndef QM_TLSCTL_H
#define QM_TLSCTL_H

#include <stddef.h>

#define QM_TLSCTL_MAX 512        /* longest control line, LF included */
#define QM_TLSCTL_NAME_MAX 253       /* longest server name */
#define QM_TLSCTL_FIELD_MAX 64       /* protocol, cipher, verify result */
#define QM_TLSCTL_PEER_MAX 256       /* peer certificate subject as reported */
#define QM_TLSCTL_PIN_LEN 32         /* SHA-256 */

enum qm_tlsreq_kind { QM_TLSREQ_STARTTLS = 1, QM_TLSREQ_PLAIN };
enum qm_tlsverify { QM_TLSVERIFY_NONE = 0, QM_TLSVERIFY_CA, QM_TLSVERIFY_PIN };

typedef struct {
  enum qm_tlsreq_kind kind;
  enum qm_tlsverify verify;          /* client requests only */
  char name[QM_TLSCTL_NAME_MAX + 1];     /* client: server name, "" when none */
  unsigned char pin[QM_TLSCTL_PIN_LEN];  /* client: SHA-256 of the server certificate */
  int client;                       /* the request had client fields */
} qm_tlsreq;

typedef struct {
  char proto[QM_TLSCTL_FIELD_MAX + 1];
  char cipher[QM_TLSCTL_FIELD_MAX + 1];
  char verified[QM_TLSCTL_FIELD_MAX + 1];
  char peer[QM_TLSCTL_PEER_MAX + 1];
} qm_tlsreport;

/* Length of the first line in s including its LF: >0 found, 0 need more, -1 no LF
 * within QM_TLSCTL_MAX bytes. */
long qm_tlsctl_line(char const *s, size_t len);

/* Parses one request line (LF excluded): 1, or -1 when malformed. */
int qm_tlsctl_parse(qm_tlsreq *r, char const *s, size_t len);

/* Writes the report line "ok proto cipher verified peer\n" into out (at least
 * QM_TLSCTL_MAX bytes); returns its length. Values are sanitized and capped. */
size_t qm_tlsctl_report(char *out, char const *proto, char const *cipher,
                       char const *verified, char const *peer);

/* Writes "fail reason\n" the same way. */
size_t qm_tlsctl_fail(char *out, char const *reason);

/* Parses a report line (LF excluded): 1 ok (r filled), 0 a "fail" line (reason in
 * r->peer), -1 malformed. For the served programs. */
int qm_tlsctl_parse_report(qm_tlsreport *r, char const *s, size_t len);

/* Copies in to out (room for max bytes plus NUL): bytes outside 0x21-0x7e become
 * '?', or '_' for a space when spaces are not kept; returns the length. */
size_t qm_tlsctl_sanitize(char *out, size_t max, char const *in, size_t len, int keepspace);

/* Parses 64 hex digits (either case, optional ':' between byte pairs) into a pin. */
int qm_tlsctl_parse_pin(unsigned char *pin, char const *s, size_t len);

/* Is s a plausible DNS host name (letters, digits, '-', '.'; 1-253 bytes)? */
int qm_tlsctl_name_ok(char const *s, size_t len);

#endif
