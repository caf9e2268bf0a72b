/* SMTP reply parser (RFC 5321 4.2): fed the bytes a server sends, in any slices,
 * until one whole reply (all its lines) is in. Trusts nothing from the peer: lines,
 * line count and kept text are capped, and the kept text is printable ASCII only. */
#ifndef REMOTE_REPLY_H
#define REMOTE_REPLY_H

#include <stddef.h>

#define REMOTE_REPLY_LINE_MAX 2048   /* raw bytes of one line, CRLF included */
#define REMOTE_REPLY_LINES_MAX 200   /* lines of one multi-line reply */
#define REMOTE_REPLY_TEXT_MAX 4000   /* kept text; the rest is dropped, marked "..." */

enum remote_reply_error {
  REMOTE_REPLY_OK = 0,
  REMOTE_REPLY_ECODE,       /* a line does not start with three digits */
  REMOTE_REPLY_ESEP,        /* the fourth byte is neither ' ', '-' nor the line end */
  REMOTE_REPLY_EMIXED,      /* lines of one reply carry different codes */
  REMOTE_REPLY_ELINE,       /* a line longer than REMOTE_REPLY_LINE_MAX */
  REMOTE_REPLY_ELINES       /* more than REMOTE_REPLY_LINES_MAX lines */
};

typedef struct remote_reply {
  unsigned int code;        /* 100..599 once done */
  char text[REMOTE_REPLY_TEXT_MAX + 4];  /* lines joined by '\n', NUL-terminated */
  size_t textlen;
  int truncated;
  enum remote_reply_error error;
  /* parser state */
  size_t raw;               /* raw bytes of the current line so far */
  size_t linelen;           /* of them, bytes other than CR */
  unsigned int lines;
  unsigned int linecode;
  int last;                 /* the current line ends the reply */
  int done;
} remote_reply;

void remote_reply_init(remote_reply *r);

/* Feeds len bytes; *used says how many belong to this reply (the rest belong to the
 * next one). >0 the reply is complete, 0 need more, -1 invalid (r->error says why). */
int remote_reply_feed(remote_reply *r, char const *s, size_t len, size_t *used);

/* The enhanced status code (RFC 3463) at the start of the text of the reply's
 * first line, as "x.y.z" in out (at least 16 bytes); 1 found, 0 none. */
int remote_reply_enhanced(remote_reply const *r, char *out);

#endif
