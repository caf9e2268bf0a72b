/* RFC 5321 paths ("<local@domain>", "<>", source routes) and ESMTP parameters, as
 * they arrive in MAIL and RCPT. Trusts nothing: every byte is checked, every length
 * is capped by the constants below before it is stored. The parser is incremental
 * (bytes in, any split) and never allocates; the result is the unquoted address
 * that goes into the envelope. It never lowercases or rewrites what it keeps. */
#ifndef QM_ADDR_H
#define QM_ADDR_H

#include <stddef.h>

#define QM_ADDR_LOCAL_MAX 64      /* local part, as on the wire (RFC 5321 4.5.3.1.1) */
#define QM_ADDR_DOMAIN_MAX 255    /* domain, as on the wire (4.5.3.1.2) */
#define QM_ADDR_LABEL_MAX 63      /* one domain label (RFC 1035) */
#define QM_ADDR_PATH_MAX 900      /* '<' to '>' inclusive, source route included */
#define QM_ADDR_LITERAL_MAX 64    /* "[...]" contents: IPv6:+45 is the longest useful */
#define QM_ADDR_PARAMS_MAX 16     /* ESMTP parameters on one MAIL or RCPT */
#define QM_ADDR_KEYWORD_MAX 32    /* one parameter keyword */

/* Flags for the parser. */
#define QM_ADDR_NULL_OK 1u        /* "<>" is accepted (MAIL) */
#define QM_ADDR_NODOMAIN_OK 2u    /* "<local>" without '@' is accepted */
#define QM_ADDR_UTF8 4u           /* RFC 6531: well-formed UTF-8 in local part and domain */

enum qm_addr_err {
  QM_ADDR_OK = 0,
  QM_ADDR_ENOBRACKET,     /* the path does not start with '<' */
  QM_ADDR_ESYNTAX,        /* a byte that cannot come where it came */
  QM_ADDR_ECTRL,          /* NUL, CR, LF or another control byte */
  QM_ADDR_E8BIT,          /* non-ASCII without QM_ADDR_UTF8 */
  QM_ADDR_EUTF8,          /* malformed UTF-8 */
  QM_ADDR_ETOOLONG,       /* path over QM_ADDR_PATH_MAX */
  QM_ADDR_ELOCALLONG,     /* local part over QM_ADDR_LOCAL_MAX */
  QM_ADDR_EDOMAINLONG,    /* domain or a label too long */
  QM_ADDR_ENULL,          /* "<>" where it is not allowed */
  QM_ADDR_ENODOMAIN,      /* no '@domain' where one is required */
  QM_ADDR_ELITERAL,       /* an address literal that is not a valid IPv4 or IPv6 address */
  QM_ADDR_EDONE           /* fed again after the path was complete */
};

typedef struct qm_addr_s {
  /* The result: unquoted "local@domain", NUL-terminated; empty for "<>". */
  char addr[QM_ADDR_PATH_MAX + 1];
  size_t len;
  size_t at;              /* index of the '@' before the domain, or len if none */
  int eightbit;           /* some byte is >= 0x80 (needs SMTPUTF8 downstream) */
  int quoted;             /* the local part was a quoted string */
  int literal;            /* the domain is an address literal: 4 IPv4, 6 IPv6 */
  enum qm_addr_err err;   /* why the last call returned -1 */
  /* Parser state: private. */
  unsigned flags;
  int state;
  size_t wire;            /* bytes seen, '<' included */
  size_t localwire;
  size_t domwire;
  size_t label;           /* bytes in the current domain label */
  size_t litstart;        /* index in addr where the literal's contents start */
  unsigned char prev;     /* previous wire byte of the local part or domain */
  unsigned utf8need;      /* continuation bytes still owed */
  unsigned char utf8lo, utf8hi;  /* range of the next continuation byte */
} qm_addr;

void qm_addr_init(qm_addr *a, unsigned flags);
/* Feeds bytes. Returns the number of bytes used (the last one is the closing '>')
 * once the path is complete, 0 when all were used and more are needed, -1 when the
 * path is invalid (a->err says why). */
int qm_addr_feed(qm_addr *a, char const *s, size_t len);
/* The whole path in one call: 1 and *used = bytes up to and including '>', or -1
 * (incomplete input counts as a syntax error). */
int qm_addr_parse(qm_addr *a, unsigned flags, char const *s, size_t len, size_t *used);
char const *qm_addr_strerror(enum qm_addr_err e);

/* Is s (len bytes) well-formed UTF-8 (no overlong forms, surrogates or values past
 * U+10FFFF)? Pure ASCII is. */
int qm_addr_utf8_valid(char const *s, size_t len);

/* Is s (len bytes) a dotted quad as an address literal may hold it: four decimal
 * parts of one to three digits, each at most 255 (leading zeros allowed)? 1 with
 * the four bytes in ip (when not null), else 0. */
int qm_addr_ipv4(char const *s, size_t len, unsigned char ip[4]);

/* ESMTP parameters: what follows the path, e.g. " SIZE=1000 BODY=8BITMIME". */
typedef struct qm_addr_param_s {
  char const *key;        /* points into the input; not NUL-terminated */
  size_t keylen;
  char const *value;      /* 0 if the parameter has no '=' */
  size_t valuelen;
} qm_addr_param;

/* Splits s into at most max parameters (keyword 1*(ALPHA/DIGIT/'-') up to
 * QM_ADDR_KEYWORD_MAX bytes, optional '=' and a value of printable ASCII other than
 * '=' and space, or well-formed UTF-8 with utf8 set), separated by one or more
 * spaces. Returns the count (0 for an empty or all-space s), or -1 on bad syntax or
 * more than max. */
int qm_addr_params(qm_addr_param *out, size_t max, char const *s, size_t len, int utf8);

/* A value of xtext (RFC 3461 4): '+' HEXHEX escapes, printable ASCII otherwise. */
int qm_addr_xtext_valid(char const *s, size_t len);

#endif
