/* qmail-tcpok: empties queue/lock/tcpto, so qmail-remote tries every host again
 * at once. Run by root or qmailr (the file's owner). Truncates under the lock
 * qmail-remote takes; an empty file reads as "no timeouts". */
#include <unistd.h>
#include <sys/file.h>

#include <skalibs/djbunix.h>
#include <skalibs/strerr.h>

#include "qm_conf.h"
#include "qm_exit.h"

char const *PROG = "qmail-tcpok";
#define TCPTO QM_HOME "/queue/lock/tcpto"

int main(void)
{
  int fd = open_write(TCPTO);
  if (fd < 0) strerr_diefu2sys(QM_EXIT_TEMP, "open ", TCPTO);
  if (flock(fd, LOCK_EX) < 0) strerr_diefu2sys(QM_EXIT_TEMP, "lock ", TCPTO);
  if (ftruncate(fd, 0) < 0) strerr_diefu2sys(QM_EXIT_TEMP, "empty ", TCPTO);
  fd_close(fd);
  return 0;
}
