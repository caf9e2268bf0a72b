/* tlsd_ctl: the control-channel messages between qmail-tlsd and the program it
 * serves (see PROTOCOL): requests from the served program, the report line back.
 * Parsers trust nothing; formatters sanitize every value to printable ASCII and cap
 * it, so nothing a peer put in a certificate can break a line. */
#ifndef TLSD_CTL_H
#define TLSD_CTL_H

#include <stddef.h>

#define TLSD_CTL_MAX 512        /* longest control line, LF included */
#define TLSD_NAME_MAX 253       /* longest server name */
#define TLSD_FIELD_MAX 64       /* protocol, cipher, verify result */
#define TLSD_PEER_MAX 256       /* peer certificate subject as reported */
#define TLSD_PIN_LEN 32         /* SHA-256 */

enum tlsd_req_kind { TLSD_REQ_STARTTLS = 1, TLSD_REQ_PLAIN };
enum tlsd_verify { TLSD_VERIFY_NONE = 0, TLSD_VERIFY_CA, TLSD_VERIFY_PIN };

typedef struct {
  enum tlsd_req_kind kind;
  enum tlsd_verify verify;          /* client requests only */
  char name[TLSD_NAME_MAX + 1];     /* client: server name, "" when none */
  unsigned char pin[TLSD_PIN_LEN];  /* client: SHA-256 of the server certificate */
  int client;                       /* the request had client fields */
} tlsd_req;

typedef struct {
  char proto[TLSD_FIELD_MAX + 1];
  char cipher[TLSD_FIELD_MAX + 1];
  char verified[TLSD_FIELD_MAX + 1];
  char peer[TLSD_PEER_MAX + 1];
} tlsd_report;

/* Length of the first line in s including its LF: >0 found, 0 need more, -1 no LF
 * within TLSD_CTL_MAX bytes. */
long tlsd_ctl_line(char const *s, size_t len);

/* Parses one request line (LF excluded): 1, or -1 when malformed. */
int tlsd_ctl_parse(tlsd_req *r, char const *s, size_t len);

/* Writes the report line "ok proto cipher verified peer\n" into out (at least
 * TLSD_CTL_MAX bytes); returns its length. Values are sanitized and capped. */
size_t tlsd_ctl_report(char *out, char const *proto, char const *cipher,
                       char const *verified, char const *peer);

/* Writes "fail reason\n" the same way. */
size_t tlsd_ctl_fail(char *out, char const *reason);

/* Parses a report line (LF excluded): 1 ok (r filled), 0 a "fail" line (reason in
 * r->peer), -1 malformed. For the served programs. */
int tlsd_ctl_parse_report(tlsd_report *r, char const *s, size_t len);

/* Copies in to out (room for max bytes plus NUL): bytes outside 0x21-0x7e become
 * '?', or '_' for a space when spaces are not kept; returns the length. */
size_t tlsd_sanitize(char *out, size_t max, char const *in, size_t len, int keepspace);

/* Parses 64 hex digits (either case, optional ':' between byte pairs) into a pin. */
int tlsd_parse_pin(unsigned char *pin, char const *s, size_t len);

/* Is s a plausible DNS host name (letters, digits, '-', '.'; 1-253 bytes)? */
int tlsd_name_ok(char const *s, size_t len);

#endif
