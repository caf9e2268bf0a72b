/* Running a .qmail program line. The command comes from the mailbox owner's file
 * and runs with their rights (qmail-local never runs as root); the child gets the
 * default SIGPIPE back, since qmail-local itself ignores it for qmail-queue. */
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <skalibs/djbunix.h>

#include "local_prog.h"
#include "qm_exit.h"

int local_prog_status(int wstat)
{
  if (!WIFEXITED(wstat)) return QM_EXIT_TEMP;
  switch (WEXITSTATUS(wstat)) {
  case 0: return QM_EXIT_OK;
  case QL_EXIT_STOP: return QL_EXIT_STOP;
  /* sysexits(3): usage, data, software, protocol, permission, config errors;
   * and 112, qmail's "permanent" code for programs */
  case 64: case 65: case 70: case 76: case 77: case 78:
  case QM_EXIT_PERM: case 112:
    return QM_EXIT_PERM;
  default: return QM_EXIT_TEMP;
  }
}

int local_prog_run(char const *cmd, char const *const *envp, int msgfd, int *wstat)
{
  pid_t pid;
  if (lseek(msgfd, 0, SEEK_SET) < 0) return 0;
  pid = fork();
  if (pid < 0) return 0;
  if (!pid) {
    char const *argv[4] = { "sh", "-c", cmd, 0 };
    signal(SIGPIPE, SIG_DFL);
    if (msgfd != 0 && fd_move(0, msgfd) < 0) _exit(QM_EXIT_TEMP);
    execve(LOCAL_SHELL, (char *const *)argv, (char *const *)envp);
    {
      static char const m[] = "Unable to run " LOCAL_SHELL ". (#4.3.0)\n";
      if (write(2, m, sizeof m - 1) < 0) {}
    }
    _exit(QM_EXIT_TEMP);
  }
  if (wait_pid(pid, wstat) != pid) return 0;
  return 1;
}
