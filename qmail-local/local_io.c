/* Message copying and buffered output for deliveries. The message is read from
 * offset 0 every time: each instruction gets the whole message, never the rest of
 * what an earlier one left. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/buffer.h>
#include <skalibs/stralloc.h>

#include "local_io.h"

void local_out_init(local_out *o, int fd)
{
  buffer_init(&o->b, &buffer_write, fd, o->buf, sizeof o->buf);
}

int local_out_put(void *ctx, char const *s, size_t n)
{
  local_out *o = ctx;
  ssize_t r = buffer_put(&o->b, s, n);
  return r >= 0 && (size_t)r == n;
}

int local_out_flush(local_out *o)
{
  return buffer_flush(&o->b);
}

int local_copy_message(int fd, local_put_fn *put, void *ctx)
{
  char buf[LOCAL_IO_BUFSIZE];
  if (lseek(fd, 0, SEEK_SET) < 0) return 0;
  for (;;) {
    ssize_t r = fd_read(fd, buf, sizeof buf);
    if (r < 0) return 0;
    if (!r) return 1;
    if (!put(ctx, buf, (size_t)r)) return 0;
  }
}

int local_why(stralloc *why, char const *what, char const *path, int e)
{
  why->len = 0;
  if (!stralloc_cats(why, what) || !stralloc_cats(why, path) || !stralloc_cats(why, ": ")
      || !stralloc_cats(why, strerror(e)) || !stralloc_cats(why, ". (#4.2.1)")
      || !stralloc_0(why))
    why->len = 0;
  else why->len--;
  return 0;
}
