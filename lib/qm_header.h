/* A streaming RFC 5322 header parser: splits the header block into fields (name and
 * folded value) as bytes arrive, in chunks of any size, with CRLF or LF line ends.
 * The header ends at the first empty line, at end of input, or (as in qmail) at the
 * first line that cannot start a field, which then belongs to the body. Every field
 * and the whole block have a hard size limit. */
#ifndef QM_HEADER_H
#define QM_HEADER_H

#include <stddef.h>
#include <skalibs/stralloc.h>

/* One field with its continuation lines and line ends (LF after normalising). */
#define QM_HEADER_FIELD_MAX (64UL * 1024)
/* The whole header block as read, CRs and the ending empty line included. */
#define QM_HEADER_BLOCK_MAX (1024UL * 1024)

/* flags for qm_header_init */
#define QM_HEADER_STRICT 1      /* a line that cannot start a field is an error,
                                   not the start of the body */
#define QM_HEADER_MBOXLINE 2    /* a "From " line (an mbox separator) is passed on
                                   as a field with mboxline set */

/* reasons in qm_header.err when a call returns -1 */
enum {
  QM_HEADER_E_NONE = 0,
  QM_HEADER_E_NUL,        /* a NUL byte inside a field */
  QM_HEADER_E_FIELD,      /* a field longer than QM_HEADER_FIELD_MAX */
  QM_HEADER_E_BLOCK,      /* a header block longer than QM_HEADER_BLOCK_MAX */
  QM_HEADER_E_NAME,       /* (strict) a line that is not a field */
  QM_HEADER_E_NOMEM,
  QM_HEADER_E_CALLBACK    /* the field function refused; its own reason applies */
};

typedef struct qm_header_field_s {
  char const *s;          /* the field, LF line ends, always ending in LF */
  size_t len;
  size_t namelen;         /* s[0..namelen) is the name, without blanks before ':' */
  size_t value;           /* offset of the value: just after the ':' */
  int mboxline;           /* a "From " line: namelen and value are 0 */
} qm_header_field;

/* Called once per complete field; returns 1 to go on, 0 to stop (error). */
typedef int qm_header_fn(void *ctx, qm_header_field const *f);

typedef struct qm_header_s {
  stralloc cur;           /* the field (or candidate line) being collected */
  size_t total;           /* bytes of input taken into the header block */
  size_t namelen, value;
  unsigned flags;
  int state;
  int cr;                 /* a CR is held back until the next byte shows if it ends a line */
  int done;
  int err;
  int mboxline;
  int blank;              /* the header ended at an empty line */
  int crlf;               /* the first line ended in CRLF */
  int linesseen;
  qm_header_fn *fn;
  void *ctx;
  /* After the header ends without an empty line: the bytes already taken that
   * start the body (a line that is not a field), line end normalised to LF. */
  char const *rest;
  size_t restlen;
} qm_header;

void qm_header_init(qm_header *h, unsigned flags, qm_header_fn *fn, void *ctx);

/* Feeds len bytes. Returns 0 when all were taken and the header goes on; >0 when
 * the header ended: *used bytes of s were taken, s + *used is the body, preceded by
 * h->rest; -1 on error (h->err). Once done, further calls return 1 taking nothing. */
int qm_header_feed(qm_header *h, char const *s, size_t len, size_t *used);

/* End of input: passes the last field on. 1 ok, -1 error (h->err). */
int qm_header_end(qm_header *h);

/* Words for h->err, for error messages. */
char const *qm_header_strerr(int err);

/* Is s (len bytes) a valid field name: printable ASCII without ':' or space? */
int qm_header_name_ok(char const *s, size_t len);

/* Does the field's name equal name (ASCII case-insensitive)? */
int qm_header_is(qm_header_field const *f, char const *name);

void qm_header_free(qm_header *h);

#endif
