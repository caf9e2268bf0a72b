/* qmail-clean: removes queue files on qmail-send's request (todo/N: intd/N then
 * todo/N; foop/N: intd/N then mess/S/N) and sweeps stale qmail-queue temporaries
 * from pid/. Runs as qmailq in HOME/queue; trusts only the command syntax
 * (send_proto), never unlinks a path built from anything but a decimal id. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/stat.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/strerr.h>

#include "qm_closer.h"
#include "qm_conf.h"
#include "qm_exit.h"
#include "qm_queue.h"
#include "send_proto.h"

char const *PROG = "qmail-clean";
#define STALE_PID_SECONDS 129600     /* 36 h: above qmail-queue's 24 h alarm */
#define SWEEP_EVERY 30               /* commands between pid/ sweeps */

static void sweep_pid(void)
{
  DIR *d = opendir("pid");
  struct dirent *de;
  time_t now = time(0);
  char path[300];
  if (!d) return;
  while ((de = readdir(d))) {
    struct stat st;
    size_t n = strlen(de->d_name);
    if (de->d_name[0] == '.' || n > 250) continue;
    memcpy(path, "pid/", 4);
    memcpy(path + 4, de->d_name, n + 1);
    if (stat(path, &st) == 0 && now > st.st_atime + STALE_PID_SECONDS) unlink(path);
  }
  closedir(d);
}

/* The name goes at once; the blocks with a close in the closer thread, so a
 * device slow to discard them does not hold up the next command. */
static int gone(char const *path)
{
  return qm_unlink_later(path, -1);
}

static char clean_one(int kind, uint64_t id)
{
  char path[QM_QUEUE_PATH_MAX];
  unsigned long n = (unsigned long)id;
  if (n != id) return '!';
  qm_queue_intd(path, n);
  if (!gone(path)) return '!';
  if (kind == SEND_CLEAN_TODO) qm_queue_todo(path, n);
  else qm_queue_mess(path, n);
  return gone(path) ? '+' : '!';
}

int main(void)
{
  send_clean c;
  char buf[4096];
  unsigned int count = 0;
  if (chdir(QM_HOME) < 0 || chdir("queue") < 0)
    strerr_diefu2sys(QM_EXIT_TEMP, "switch to ", QM_HOME "/queue");
  sweep_pid();
  qm_closer_start();
  send_clean_init(&c);
  for (;;) {
    ssize_t r = fd_read(0, buf, sizeof buf);
    size_t off = 0;
    if (r < 0) strerr_diefu1sys(QM_EXIT_TEMP, "read commands");
    if (!r) return 0;
    while (off < (size_t)r) {
      size_t used;
      uint64_t id = 0;
      int kind;
      char reply;
      if (!send_clean_feed(&c, buf + off, (size_t)r - off, &used)) { off += used; break; }
      off += used;
      kind = send_clean_parse(&c, &id);
      reply = kind == SEND_CLEAN_BAD ? 'x' : clean_one(kind, id);
      send_clean_init(&c);
      if (allwrite(1, &reply, 1) != 1) strerr_diefu1sys(QM_EXIT_TEMP, "write reply");
      if (++count >= SWEEP_EVERY) { count = 0; sweep_pid(); }
    }
  }
}
