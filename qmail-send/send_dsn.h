/* Bounces and delay notices as RFC 3464 multipart/report messages, built from the
 * blocks qmail-send appends to bounce/N ("<recipient>:\n<text>\n\n", an empty line
 * inside the text written as "/"). Pure: the caller streams the original message
 * between send_dsn_head and send_dsn_tail, and hands the result to qmail-queue. */
#ifndef SEND_DSN_H
#define SEND_DSN_H

#include <stddef.h>
#include <stdint.h>
#include <skalibs/stralloc.h>

#define SEND_DSN_TEXT_MAX 2000     /* report text kept per recipient */
#define SEND_DSN_DIAG_MAX 900      /* Diagnostic-Code value, unfolded */

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

/* The enhanced status code in a report ("#5.1.1" as qmail writes it, or a bare
 * "5.1.1" after an SMTP reply code); def when there is none. out gets at most 16
 * bytes with a NUL. */
void send_dsn_status(char *out, char const *text, size_t len, char const *def);
/* The remote MTA a qmail-remote report names ("Connected to <ip> ...", "<ip> does
 * not like recipient."); 0 if none. *len gets its length. */
char const *send_dsn_remote_mta(char const *text, size_t len, size_t *mlen);

typedef struct send_dsn_ctx_s {
  char const *from;        /* bouncefrom@bouncehost */
  char const *host;        /* bouncehost: Reporting-MTA and the greeting */
  char const *to;          /* who gets the notice */
  char const *date;        /* Date: value, now */
  char const *arrival;     /* Arrival-Date: value, the message's birth */
  char const *msgid;       /* Message-ID: value, <...> included */
  char const *boundary;    /* MIME boundary, unique for this notice */
  int dbl;                 /* a double bounce: the wording says so */
  int delay;               /* a delay notice (Action: delayed), not a failure */
} send_dsn_ctx;

/* Headers, the readable part, the delivery-status part, and the opening of the
 * part that carries the original message. blocks: the content of bounce/N.
 * Returns 1, or 0 on ENOMEM. */
int send_dsn_head(stralloc *out, send_dsn_ctx const *ctx, char const *blocks, size_t blen);
/* The close of the message part and of the report; truncated says whether the
 * original was cut at bouncemaxbytes. */
int send_dsn_tail(stralloc *out, send_dsn_ctx const *ctx, int truncated);

#endif
