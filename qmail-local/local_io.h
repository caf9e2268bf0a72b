/* Byte plumbing shared by qmail-local's deliveries: a sink callback, a buffered
 * sink on a file descriptor, and the copy of the message from its first byte.
 * Nothing here decides anything; errors come back as 0 with errno set. */
#ifndef LOCAL_IO_H
#define LOCAL_IO_H

#include <stddef.h>
#include <skalibs/buffer.h>
#include <skalibs/stralloc.h>

#define LOCAL_IO_BUFSIZE 65536

/* Takes n bytes; 1, or 0 with errno set. */
typedef int local_put_fn(void *ctx, char const *s, size_t n);

typedef struct local_out_s {
  buffer b;
  char buf[LOCAL_IO_BUFSIZE];
} local_out;

void local_out_init(local_out *o, int fd);
local_put_fn local_out_put;           /* ctx is a local_out */
int local_out_flush(local_out *o);

/* Reads fd from offset 0 to its end into put. 1, or 0 with errno set (EIO-like
 * errors from the read side are reported as they are). */
int local_copy_message(int fd, local_put_fn *put, void *ctx);

/* why = what + path + ": " + strerror(e) + ". (#4.2.1)", NUL-terminated (the NUL
 * not counted in why->len); why->len is 0 if memory ran out. Returns 0, so a
 * delivery can "return local_why(...)". */
int local_why(stralloc *why, char const *what, char const *path, int e);

#endif
