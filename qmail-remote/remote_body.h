/* The DATA body encoder: message bytes as stored in the queue (LF line ends) to
 * SMTP wire form: every line ends CRLF (a bare CR or LF never goes out), a line
 * starting with '.' gets another one, and the end is CRLF "." CRLF. */
#ifndef REMOTE_BODY_H
#define REMOTE_BODY_H

#include <stddef.h>

typedef struct remote_body {
  int midline;     /* bytes of the current line have been written */
  int cr;          /* a CR is held back: CRLF or a bare CR, not yet known */
  unsigned long long bytes;  /* bytes written so far, for logs */
} remote_body;

/* Worst case output of remote_body_encode for len input bytes: each byte may
 * become up to two ("\n" -> "\r\n", "." -> ".."), plus a held CR. Callers size
 * out with remote_body_outmax and check it cannot wrap (len <= REMOTE_BODY_CHUNK). */
#define REMOTE_BODY_CHUNK 65536
#define remote_body_outmax(len) (2 * (len) + 2)

void remote_body_init(remote_body *b);

/* Encodes len (<= REMOTE_BODY_CHUNK) bytes into out (at least
 * remote_body_outmax(len) bytes); returns the number of bytes written. */
size_t remote_body_encode(remote_body *b, char const *in, size_t len, char *out);

/* The end: writes the final ".\r\n" (after a held CR's LF) into out (at least 5
 * bytes) and returns its length, or returns 0 if the message ended in a partial
 * line (qmail refuses those: #5.6.2). */
size_t remote_body_finish(remote_body *b, char *out);
#define REMOTE_BODY_FINISH_MAX 5

#endif
