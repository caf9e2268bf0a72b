/* One detached thread reading descriptor numbers from a pipe and closing them;
 * the count of those waiting is shared with the callers through atomics only. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <skalibs/djbunix.h>

#include "qm_closer.h"
#include "qm_thread.h"

static int closer_pipe[2] = { -1, -1 };
static unsigned int queued;

static void *closer_main(void *arg)
{
  int fd;
  (void)arg;
  while (read(closer_pipe[0], &fd, sizeof fd) == (ssize_t)sizeof fd) {
    close(fd);
    __atomic_sub_fetch(&queued, 1, __ATOMIC_RELEASE);
  }
  return 0;
}

int qm_closer_start(void)
{
  pthread_t t;
  if (closer_pipe[1] >= 0) return 1;
  if (pipecoe(closer_pipe) < 0) { closer_pipe[0] = closer_pipe[1] = -1; return 0; }
  if (ndelay_on(closer_pipe[1]) < 0 || qm_thread_start(&t, &closer_main, 0)) {
    close(closer_pipe[0]); close(closer_pipe[1]);
    closer_pipe[0] = closer_pipe[1] = -1;
    return 0;
  }
  pthread_detach(t);
  return 1;
}

void qm_close_later(int fd)
{
  if (fd < 0) return;
  if (closer_pipe[1] >= 0 && __atomic_load_n(&queued, __ATOMIC_ACQUIRE) < QM_CLOSER_MAX) {
    __atomic_add_fetch(&queued, 1, __ATOMIC_ACQ_REL);
    if (write(closer_pipe[1], &fd, sizeof fd) == (ssize_t)sizeof fd) return;
    __atomic_sub_fetch(&queued, 1, __ATOMIC_ACQ_REL);
  }
  close(fd);
}

int qm_unlink_later(char const *path, int fd)
{
  if (fd < 0) fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
  if (unlink(path) < 0 && errno != ENOENT) {
    int e = errno;
    if (fd >= 0) close(fd);
    errno = e;
    return 0;
  }
  qm_close_later(fd);
  return 1;
}

unsigned int qm_closer_waiting(void)
{
  return __atomic_load_n(&queued, __ATOMIC_ACQUIRE);
}
