/* qmail-start: run by root from the s6 run script. Creates the pipes between
 * qmail-send and its partners, starts qmail-lspawn (root), qmail-rspawn (qmailr,
 * when installed), qmail-clean (qmailq), each with its own uid, gid and groups, and
 * becomes qmail-send (qmails), whose log goes to our stdout. Reads no input; never
 * leaves a partner running with more privilege than the table in DESIGN.md. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <skalibs/djbunix.h>
#include <skalibs/strerr.h>

#include "qm_conf.h"
#include "qm_exit.h"

char const *PROG = "qmail-start";
#define USAGE "qmail-start [defaultdelivery]"
#define MAXGROUPS 64

typedef struct ids_s {
  uid_t uid;
  gid_t gid;
  gid_t groups[MAXGROUPS];
  int ngroups;
} ids;

/* uid of user, gid = group qmail; supplementary groups: the gid alone, or with
 * supplementary = 1 every group the account belongs to (qmailr's). */
static void lookup(ids *x, char const *user, gid_t gid, int supplementary)
{
  struct passwd *pw;
  errno = 0;
  pw = getpwnam(user);
  if (!pw) strerr_diefu2sys(QM_EXIT_TEMP, "find user ", user);
  x->uid = pw->pw_uid;
  x->gid = gid;
  x->groups[0] = gid;
  x->ngroups = 1;
  if (supplementary) {
    int n = MAXGROUPS;
    if (getgrouplist(user, gid, x->groups, &n) < 0) strerr_diefu2x(QM_EXIT_TEMP, "list the groups of ", user);
    x->ngroups = n;
  }
}

/* setgroups, setgid, setuid, then check that each took. */
static void drop(ids const *x, char const *who)
{
  if (setgroups((size_t)x->ngroups, x->groups) < 0 || setgid(x->gid) < 0 || setuid(x->uid) < 0)
    strerr_diefu2sys(QM_EXIT_TEMP, "drop privileges for ", who);
  if (getuid() != x->uid || geteuid() != x->uid || getgid() != x->gid || getegid() != x->gid)
    strerr_dief2x(QM_EXIT_TEMP, "privileges did not drop for ", who);
}

static void mkpipe(int p[2])
{
  if (pipe(p) < 0) strerr_diefu1sys(QM_EXIT_TEMP, "create a pipe");
}

/* Forks prog with fd 0 = in, fd 1 = out, as x (or root when x is 0). */
static void spawn(char const *path, char const *const *argv, int in, int out, ids const *x,
                  int const *closeme, size_t nclose)
{
  pid_t pid = fork();
  size_t i;
  if (pid < 0) strerr_diefu2sys(QM_EXIT_TEMP, "fork for ", path);
  if (pid) return;
  if (fd_move(0, in) < 0 || fd_move(1, out) < 0) strerr_diefu2sys(QM_EXIT_TEMP, "set up the pipes of ", path);
  for (i = 0; i < nclose; i++) if (closeme[i] > 2) close(closeme[i]);
  if (x) drop(x, path);
  execv(path, (char *const *)argv);
  strerr_diefu2sys(QM_EXIT_TEMP, "run ", path);
}

int main(int argc, char const *const *argv)
{
  char const *dd = argc > 1 && argv[1][0] ? argv[1] : "./Mailbox";
  int lcmd[2], lrep[2], rcmd[2], rrep[2], ccmd[2], crep[2], have_r;
  struct group *gr;
  ids sendx, cleanx, remotex, rootx;
  struct stat st;
  gid_t gq;
  if (argc > 2) strerr_dieusage(QM_EXIT_PERM, USAGE);
  errno = 0;
  if (!(gr = getgrnam(QM_GROUP_QMAIL))) strerr_diefu2sys(QM_EXIT_TEMP, "find group ", QM_GROUP_QMAIL);
  gq = gr->gr_gid;
  lookup(&sendx, QM_USER_QMAILS, gq, 0);
  lookup(&cleanx, QM_USER_QMAILQ, gq, 0);
  lookup(&remotex, QM_USER_QMAILR, gq, 1);
  rootx.uid = 0; rootx.gid = gq; rootx.groups[0] = gq; rootx.ngroups = 1;
  if (chdir("/") < 0) strerr_diefu1sys(QM_EXIT_TEMP, "chdir to /");
  umask(077);
  have_r = stat(QM_HOME "/bin/qmail-rspawn", &st) == 0;
  /* the log: qmail-send writes it on its fd 0, which is our stdout */
  if (fd_copy(0, 1) < 0) strerr_diefu1sys(QM_EXIT_TEMP, "set up the log");
  mkpipe(lcmd); mkpipe(lrep); mkpipe(ccmd); mkpipe(crep);
  if (have_r) { mkpipe(rcmd); mkpipe(rrep); } else rcmd[0] = rcmd[1] = rrep[0] = rrep[1] = -1;
  {
    int all[12] = { lcmd[0], lcmd[1], lrep[0], lrep[1], ccmd[0], ccmd[1], crep[0], crep[1],
                    rcmd[0], rcmd[1], rrep[0], rrep[1] };
    char const *largv[3] = { "qmail-lspawn", dd, 0 };
    char const *rargv[2] = { "qmail-rspawn", 0 };
    char const *cargv[2] = { "qmail-clean", 0 };
    char const *sargv[2] = { "qmail-send", 0 };
    int fds[6], i;
    spawn(QM_HOME "/bin/qmail-lspawn", largv, lcmd[0], lrep[1], &rootx, all, 12);
    if (have_r) spawn(QM_HOME "/bin/qmail-rspawn", rargv, rcmd[0], rrep[1], &remotex, all, 12);
    spawn(QM_HOME "/bin/qmail-clean", cargv, ccmd[0], crep[1], &cleanx, all, 12);
    /* qmail-send: 1/2 lspawn, 3/4 rspawn, 5/6 clean; move each end out of the way
     * first, since the pipes may already sit on low numbers */
    fds[0] = lcmd[1]; fds[1] = lrep[0]; fds[2] = rcmd[1]; fds[3] = rrep[0]; fds[4] = ccmd[1]; fds[5] = crep[0];
    for (i = 0; i < 6; i++) if (fds[i] >= 0) {
      int n = fcntl(fds[i], F_DUPFD, 20);
      if (n < 0) strerr_diefu1sys(QM_EXIT_TEMP, "move a pipe");
      fds[i] = n;
    }
    for (i = 0; i < 12; i++) if (all[i] >= 0) close(all[i]);
    for (i = 0; i < 6; i++) {
      if (fds[i] < 0) { close(i + 1); continue; }
      if (fd_move(i + 1, fds[i]) < 0) strerr_diefu1sys(QM_EXIT_TEMP, "set up the pipes of qmail-send");
    }
    drop(&sendx, "qmail-send");
    execv(QM_HOME "/bin/qmail-send", (char *const *)sargv);
    strerr_diefu2sys(QM_EXIT_TEMP, "run ", QM_HOME "/bin/qmail-send");
  }
}
