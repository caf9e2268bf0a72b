/* qmail-tcpto: prints the hosts in queue/lock/tcpto whose connections timed out
 * recently. Reads the file under a shared lock and changes nothing; the bytes are
 * decoded by remote_tcpto, which trusts none of them. */
#include <errno.h>
#include <time.h>
#include <sys/file.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>

#include "qm_conf.h"
#include "qm_exit.h"
#include "remote_tcpto.h"

char const *PROG = "qmail-tcpto";
#define TCPTO QM_HOME "/queue/lock/tcpto"

int main(void)
{
  unsigned char f[REMOTE_TCPTO_SIZE];
  stralloc sa = STRALLOC_ZERO;
  ssize_t n;
  int fd = open_read(TCPTO);
  if (fd < 0) strerr_diefu2sys(QM_EXIT_TEMP, "open ", TCPTO);
  if (flock(fd, LOCK_SH) < 0) strerr_diefu2sys(QM_EXIT_TEMP, "lock ", TCPTO);
  n = allread(fd, (char *)f, sizeof f);
  if (n < 0) strerr_diefu2sys(QM_EXIT_TEMP, "read ", TCPTO);
  fd_close(fd);
  if (!remote_tcpto_list(&sa, f, (size_t)n, (uint64_t)time(0))) strerr_diefu1sys(QM_EXIT_TEMP, "list the records");
  if (allwrite(1, sa.s, sa.len) != sa.len) strerr_diefu1sys(QM_EXIT_TEMP, "write to stdout");
  return 0;
}
