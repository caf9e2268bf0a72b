/* Maildir delivery. dir is the mailbox owner's .qmail line and is used with their
 * rights; the host name is escaped before it becomes part of a file name. A
 * message is in new/ only once its bytes and the link are on disk. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <skalibs/stralloc.h>
#include <skalibs/types.h>

#include "local_io.h"
#include "local_maildir.h"

static int num(stralloc *sa, unsigned long n)
{
  char buf[ULONG_FMT];
  return stralloc_catb(sa, buf, ulong_fmt(buf, n));
}

int local_maildir_name(stralloc *sa, unsigned long sec, unsigned long usec,
                       unsigned long pid, unsigned long seq, char const *host)
{
  size_t i, n = strlen(host);
  if (n > LOCAL_HOST_MAX) n = LOCAL_HOST_MAX;
  if (!num(sa, sec) || !stralloc_cats(sa, ".M") || !num(sa, usec)
      || !stralloc_catb(sa, "P", 1) || !num(sa, pid) || !stralloc_catb(sa, "Q", 1)
      || !num(sa, seq) || !stralloc_catb(sa, ".", 1)) return 0;
  for (i = 0; i < n; i++) {
    char const *esc = host[i] == '/' ? "\\057" : host[i] == ':' ? "\\072" : 0;
    if (esc ? !stralloc_cats(sa, esc) : !stralloc_catb(sa, host + i, 1)) return 0;
  }
  return 1;
}

static int sync_dir(char const *path)
{
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r;
  if (fd < 0) return 0;
  r = fsync(fd);
  close(fd);
  return r == 0;
}

int local_maildir_deliver(char const *dir, int msgfd, char const *rpline,
                          char const *dtline, char const *host, unsigned long *seq,
                          stralloc *why)
{
  stralloc tmp = STRALLOC_ZERO, neu = STRALLOC_ZERO;
  local_out *o = 0;
  size_t dlen = strlen(dir), base;
  unsigned int tries;
  int fd = -1, ok = 0, e;
  while (dlen > 1 && dir[dlen - 1] == '/') dlen--;
  if (!stralloc_catb(&tmp, dir, dlen) || !stralloc_cats(&tmp, "/tmp/")) goto nomem;
  base = tmp.len;
  for (tries = 0; tries < LOCAL_MAILDIR_TRIES; tries++) {
    struct timeval tv;
    gettimeofday(&tv, 0);
    tmp.len = base;
    ++*seq;
    if (!local_maildir_name(&tmp, (unsigned long)tv.tv_sec, (unsigned long)tv.tv_usec,
                            (unsigned long)getpid(), *seq, host)
        || !stralloc_0(&tmp)) goto nomem;
    fd = open(tmp.s, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600);
    if (fd >= 0 || errno != EEXIST) break;
  }
  if (fd < 0) { local_why(why, "Unable to create ", tmp.s, errno); goto out; }
  o = malloc(sizeof *o);
  if (!o) goto nomem_unlink;
  local_out_init(o, fd);
  if (!local_out_put(o, rpline, strlen(rpline)) || !local_out_put(o, dtline, strlen(dtline))
      || !local_copy_message(msgfd, &local_out_put, o) || !local_out_flush(o)
      || fsync(fd) < 0) {
    e = errno;
    local_why(why, "Unable to write ", tmp.s, e);
    goto unlink_tmp;
  }
  if (close(fd) < 0) { fd = -1; local_why(why, "Unable to write ", tmp.s, errno); goto unlink_tmp; }
  fd = -1;
  if (!stralloc_catb(&neu, dir, dlen) || !stralloc_cats(&neu, "/new/")
      || !stralloc_catb(&neu, tmp.s + base, tmp.len - base)) goto nomem_unlink;
  if (link(tmp.s, neu.s) < 0) { local_why(why, "Unable to link to ", neu.s, errno); goto unlink_tmp; }
  neu.len -= tmp.len - base;   /* back to dir/new/ */
  neu.s[neu.len] = 0;
  if (!sync_dir(neu.s)) {
    /* the link may not survive a crash: report a temporary failure and let the
     * retry deliver again rather than claim a delivery that could vanish */
    e = errno;
    neu.s[neu.len] = 0;
    local_why(why, "Unable to sync ", neu.s, e);
    goto unlink_tmp;
  }
  unlink(tmp.s);
  ok = 1;
  goto out;
nomem_unlink:
  why->len = 0;
unlink_tmp:
  if (fd >= 0) close(fd);
  fd = -1;
  unlink(tmp.s);
  goto out;
nomem:
  why->len = 0;
out:
  if (fd >= 0) close(fd);
  free(o);
  stralloc_free(&tmp);
  stralloc_free(&neu);
  return ok;
}
