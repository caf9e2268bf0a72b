/* qmail-qstat: counts the messages in the queue (mess/) and those not yet
 * preprocessed (todo/). Runs as root, qmailq or qmails; reads directory names
 * only and counts just the names that are message ids. */
#include <dirent.h>
#include <errno.h>
#include <unistd.h>

#include <skalibs/buffer.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>

#include "qm_conf.h"
#include "qm_exit.h"
#include "qm_queue.h"

#define USAGE "qmail-qstat"

char const *PROG = "qmail-qstat";

static unsigned long count(char const *dir)
{
  unsigned long n = 0, id;
  struct dirent *de;
  DIR *d = opendir(dir);
  if (!d) strerr_diefu2sys(QM_EXIT_TEMP, "open ", dir);
  for (;;) {
    errno = 0;
    de = readdir(d);
    if (!de) break;
    if (qm_queue_scanid(de->d_name, &id)) n++;
  }
  if (errno) strerr_diefu2sys(QM_EXIT_TEMP, "read ", dir);
  closedir(d);
  return n;
}

static void put_line(char const *text, unsigned long n)
{
  char num[ULONG_FMT];
  num[ulong_fmt(num, n)] = 0;
  if (buffer_puts(buffer_1, text) < 0 || buffer_puts(buffer_1, num) < 0 || buffer_puts(buffer_1, "\n") < 0)
    strerr_diefu1sys(QM_EXIT_TEMP, "write to stdout");
}

int main(int argc, char const *const *argv)
{
  unsigned long mess = 0, todo, s;
  (void)argv;
  if (argc > 1) strerr_dieusage(QM_EXIT_PERM, USAGE);
  if (chdir(QM_HOME) < 0) strerr_diefu2sys(QM_EXIT_TEMP, "chdir to ", QM_HOME);
  if (chdir("queue") < 0) strerr_diefu3sys(QM_EXIT_TEMP, "chdir to ", QM_HOME, "/queue");
  for (s = 0; s < QM_SPLIT; s++) {
    char dir[QM_QUEUE_PATH_MAX];
    qm_queue_path_splitdir(dir, "mess", s);
    mess += count(dir);
  }
  todo = count("todo");
  put_line("messages in queue: ", mess);
  put_line("messages in queue but not yet preprocessed: ", todo);
  if (!buffer_flush(buffer_1)) strerr_diefu1sys(QM_EXIT_TEMP, "write to stdout");
  return 0;
}
