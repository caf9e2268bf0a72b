/* mboxrd delivery. The message is anyone's bytes (lines of any length, NULs, no
 * final newline): the filter keeps only counters, so nothing in it costs memory.
 * The path is the mailbox owner's own .qmail line, opened with their rights. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <skalibs/stralloc.h>

#include "local_mbox.h"

static char const fromsp[] = "From ";
#define FROMLEN (sizeof fromsp - 1)

void local_mboxq_init(local_mboxq *q)
{
  q->scan = 1;
  q->gt = 0;
  q->from = 0;
  q->any = 0;
  q->last = 0;
}

static int out(local_mboxq *q, char const *s, size_t n, local_put_fn *put, void *ctx)
{
  if (!n) return 1;
  if (!put(ctx, s, n)) return 0;
  q->any = 1;
  q->last = s[n - 1];
  return 1;
}

/* The '>' run and the part of "From " held back while deciding, with the extra
 * '>' in front when the line turned out to be a From_ line. */
static int pending(local_mboxq *q, int quote, local_put_fn *put, void *ctx)
{
  static char const gts[64] = ">>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>";
  size_t n = q->gt + (quote ? 1 : 0);
  while (n) {
    size_t k = n < sizeof gts ? n : sizeof gts;
    if (!out(q, gts, k, put, ctx)) return 0;
    n -= k;
  }
  if (!out(q, fromsp, q->from, put, ctx)) return 0;
  q->scan = 0;
  q->gt = q->from = 0;
  return 1;
}

int local_mboxq_feed(local_mboxq *q, char const *s, size_t len, local_put_fn *put, void *ctx)
{
  size_t i = 0;
  while (i < len) {
    if (!q->scan) {
      char const *nl = memchr(s + i, '\n', len - i);
      size_t n = nl ? (size_t)(nl - (s + i)) + 1 : len - i;
      if (!out(q, s + i, n, put, ctx)) return 0;
      i += n;
      if (nl) q->scan = 1;
      continue;
    }
    if (!q->from && s[i] == '>') { q->gt++; i++; continue; }
    if (s[i] == fromsp[q->from]) {
      i++;
      if (++q->from == FROMLEN && !pending(q, 1, put, ctx)) return 0;
      continue;
    }
    /* not a From_ line: release what was held and copy the rest of the line */
    if (!pending(q, 0, put, ctx)) return 0;
  }
  return 1;
}

int local_mboxq_end(local_mboxq *q, local_put_fn *put, void *ctx)
{
  if (q->scan && (q->gt || q->from) && !pending(q, 0, put, ctx)) return 0;
  if (q->any && q->last != '\n' && !out(q, "\n", 1, put, ctx)) return 0;
  return out(q, "\n", 1, put, ctx);
}

typedef struct mbox_sink_s {
  local_mboxq q;
  local_out o;
} mbox_sink;

static int quoted(void *ctx, char const *s, size_t n)
{
  mbox_sink *m = ctx;
  return local_mboxq_feed(&m->q, s, n, &local_out_put, &m->o);
}

/* Both lock kinds, each without blocking, retried for LOCAL_MBOX_LOCKWAIT seconds:
 * no signal handler is needed and a reader holding one kind is respected. */
static int lock_both(int fd)
{
  struct flock fl;
  struct timespec pause = { 0, 100000000 };
  unsigned int tries = LOCAL_MBOX_LOCKWAIT * 10;
  memset(&fl, 0, sizeof fl);
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  while (tries--) {
    if (fcntl(fd, F_SETLK, &fl) == 0) {
      if (flock(fd, LOCK_EX | LOCK_NB) == 0) return 1;
      if (errno != EWOULDBLOCK) return -1;
      fl.l_type = F_UNLCK;
      fcntl(fd, F_SETLK, &fl);
      fl.l_type = F_WRLCK;
    } else if (errno != EAGAIN && errno != EACCES) return -1;
    nanosleep(&pause, 0);
  }
  return 0;
}

int local_mbox_deliver(char const *path, int msgfd, char const *ufline, char const *rpline,
                       char const *dtline, stralloc *why)
{
  mbox_sink m;
  struct stat st;
  int fd, r, e;
  fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOCTTY | O_CLOEXEC, 0600);
  if (fd < 0) return local_why(why, "Unable to open ", path, errno);
  r = lock_both(fd);
  if (r <= 0) {
    e = errno;
    close(fd);
    if (!r) {
      why->len = 0;
      if (!stralloc_cats(why, "File ") || !stralloc_cats(why, path)
          || !stralloc_cats(why, " is locked for 30 seconds. (#4.2.1)") || !stralloc_0(why))
        why->len = 0;
      else why->len--;
      return 0;
    }
    return local_why(why, "Unable to lock ", path, e);
  }
  if (fstat(fd, &st) < 0) { e = errno; close(fd); return local_why(why, "Unable to stat ", path, e); }
  local_out_init(&m.o, fd);
  local_mboxq_init(&m.q);
  if (!local_out_put(&m.o, ufline, strlen(ufline))
      || !local_out_put(&m.o, rpline, strlen(rpline))
      || !local_out_put(&m.o, dtline, strlen(dtline))
      || !local_copy_message(msgfd, &quoted, &m)
      || !local_mboxq_end(&m.q, &local_out_put, &m.o)
      || !local_out_flush(&m.o) || fsync(fd) < 0) {
    e = errno;
    /* leave the mailbox as it was: no half message for the next reader */
    if (ftruncate(fd, st.st_size) < 0) {}
    close(fd);
    return local_why(why, "Unable to write ", path, e);
  }
  if (close(fd) < 0) return local_why(why, "Unable to write ", path, errno);
  return 1;
}
