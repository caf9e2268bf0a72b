/* The bounce/N file: the blocks qmail-send appends for each failed recipient
 * ("<recipient>:\n<text>\n\n", an empty line inside the text written as "/"),
 * read back into the recipients of a notice that lib/qm_dsn writes. Pure; the
 * texts are untrusted and only ever cut, never interpreted beyond the MTA name. */
#ifndef SEND_DSN_H
#define SEND_DSN_H

#include <stddef.h>
#include <stdint.h>
#include <skalibs/stralloc.h>

#define SEND_DSN_TEXT_MAX 2000     /* report text kept per recipient */

/* Appends one block for a failed (or delayed) recipient to a bounce/N buffer. */
int send_dsn_block(stralloc *sa, char const *rcpt, size_t rlen, char const *text, size_t tlen);

/* One parsed block. Pointers into the caller's buffer; text keeps "/" lines. */
typedef struct send_dsn_rcpt_s {
  char const *rcpt; size_t rlen;
  char const *text; size_t tlen;
} send_dsn_rcpt;

/* Parses the block at s (n bytes): 1 with *used set, 0 at the end of the data (or a
 * cut final block, which is dropped), -1 malformed (no "<recipient>:" line). */
int send_dsn_next(send_dsn_rcpt *r, char const *s, size_t n, size_t *used);

/* The remote MTA a qmail-remote report names ("Connected to <ip> ...", "<ip> does
 * not like recipient."); 0 if none. *len gets its length. */
char const *send_dsn_remote_mta(char const *text, size_t len, size_t *mlen);

#endif
