/* The body of a message on its way through qmail-inject: passed on unchanged,
 * except that a message whose header came with CRLF line ends has them turned into
 * the LF the queue stores (a CR not before an LF stays). Streams in chunks of any
 * size and holds at most one byte back. */
#ifndef INJECT_BODY_H
#define INJECT_BODY_H

#include <stddef.h>

typedef int inject_put_fn(void *ctx, char const *s, size_t len);   /* 1 ok, 0 failed */

typedef struct inject_body_s {
  int crlf;       /* turn CRLF into LF */
  int cr;         /* a CR is held back */
} inject_body;

void inject_body_init(inject_body *b, int crlf);
/* 1, or 0 when put failed. */
int inject_body_feed(inject_body *b, char const *s, size_t len, inject_put_fn *put, void *ctx);
int inject_body_end(inject_body *b, inject_put_fn *put, void *ctx);

#endif
