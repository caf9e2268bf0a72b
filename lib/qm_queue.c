/* Queue names, directory fsync and the trigger pull. Formats only the queue's own
 * directory names and numbers; parses entry names strictly; never follows input
 * into a path. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <skalibs/types.h>

#include "qm_queue.h"
#include "qm_put.h"

size_t qm_queue_path_splitdir(char *buf, char const *dir, unsigned long id)
{
  size_t n = qm_put_str(buf, 0, dir);
  buf[n++] = '/';
  n = qm_put_ulong(buf, n, qm_queue_split(id));
  buf[n] = 0;
  return n;
}

size_t qm_queue_path_split(char *buf, char const *dir, unsigned long id)
{
  size_t n = qm_queue_path_splitdir(buf, dir, id);
  buf[n++] = '/';
  n = qm_put_ulong(buf, n, id);
  buf[n] = 0;
  return n;
}

size_t qm_queue_path_flat(char *buf, char const *dir, unsigned long id)
{
  size_t n = qm_put_str(buf, 0, dir);
  buf[n++] = '/';
  n = qm_put_ulong(buf, n, id);
  buf[n] = 0;
  return n;
}

int qm_queue_scanid(char const *name, unsigned long *id)
{
  unsigned long u = 0;
  size_t i = 0;
  if (name[0] < '0' || name[0] > '9') return 0;
  if (name[0] == '0' && name[1]) return 0;
  for (; name[i]; i++) {
    unsigned d;
    if (name[i] < '0' || name[i] > '9') return 0;
    d = (unsigned)(name[i] - '0');
    if (u > (~0UL - d) / 10) return 0;
    u = u * 10 + d;
  }
  *id = u;
  return 1;
}

int qm_queue_fsyncdir(char const *path)
{
  int e, fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return 0;
  if (fsync(fd) < 0) {
    e = errno;
    close(fd);
    errno = e;
    return 0;
  }
  close(fd);
  return 1;
}

int qm_queue_trigger(void)
{
  int fd = open("lock/trigger", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return errno == ENXIO;
  /* EAGAIN (full FIFO: qmail-send is already woken) and EPIPE are as good as done. */
  if (write(fd, "", 1) < 0 && errno != EAGAIN && errno != EPIPE) {
    int e = errno;
    close(fd);
    errno = e;
    return 0;
  }
  close(fd);
  return 1;
}
