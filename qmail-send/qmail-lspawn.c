/* qmail-lspawn: qmail-send's local spawner. Root, in HOME/queue/mess; reads spawner
 * commands on fd 0, runs one qmail-local per recipient as the recipient's account
 * (users/cdb, else qmail-getpw run as qmailp), and writes one reply per command on
 * fd 1 when the child's report pipe ends and the child has exited. Parses nothing
 * from the network; never runs qmail-local as uid 0. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>

#include "qm_conf.h"
#include "qm_exit.h"
#include "qm_users.h"
#include "send_lspawn.h"
#include "send_proto.h"
#include "send_spawner.h"

char const *PROG = "qmail-lspawn";
#define USAGE "qmail-lspawn defaultdelivery"

static uid_t uid_qmailq, uid_qmailp;
static gid_t gid_nofiles;
static char const *defaultdelivery;

/* setgroups, setgid, setuid in that order, then check that all of them took. */
static int drop(uid_t u, gid_t g)
{
  gid_t list[2];
  if (setgroups(1, &g) < 0 || setgid(g) < 0 || setuid(u) < 0) return 0;
  if (getuid() != u || geteuid() != u || getgid() != g || getegid() != g) return 0;
  if (getgroups(2, list) != 1 || list[0] != g) return 0;
  return 1;
}

/* In the child: runs qmail-getpw as qmailp and parses its answer into e, or exits
 * with the code for qmail-lspawn's reply. */
static void lookup_getpw(qm_users_entry *e, stralloc *sa, char const *local)
{
  stralloc ans = STRALLOC_ZERO;
  int p[2], wstat;
  pid_t pid;
  char buf[1024];
  if (pipe(p) < 0) _exit(QM_QLX_EXECPW);
  pid = fork();
  if (pid < 0) _exit(QM_QLX_EXECPW);
  if (!pid) {
    char const *argv[3] = { "qmail-getpw", local, 0 };
    close(p[0]);
    if (fd_move(1, p[1]) < 0) _exit(QM_EXIT_TEMP);
    if (chdir(QM_HOME) < 0 || !drop(uid_qmailp, gid_nofiles)) _exit(QM_EXIT_TEMP);
    execv(QM_HOME "/bin/qmail-getpw", (char *const *)argv);
    _exit(QM_EXIT_TEMP);
  }
  close(p[1]);
  for (;;) {
    ssize_t r = fd_read(p[0], buf, sizeof buf);
    if (r < 0) _exit(QM_QLX_EXECPW);
    if (!r) break;
    /* one byte past the limit is enough for the parser to refuse it */
    if (ans.len <= QM_USERS_RECORD_MAX && !stralloc_catb(&ans, buf, (size_t)r)) _exit(QM_QLX_NOMEM);
  }
  close(p[0]);
  if (waitpid_nointr(pid, &wstat, 0) != pid) _exit(QM_QLX_EXECPW);
  if (WIFSIGNALED(wstat)) _exit(QM_QLX_EXECPW);
  switch (WEXITSTATUS(wstat)) {
    case 0: break;
    case QM_QLX_NFS: case QM_QLX_NOALIAS: case QM_QLX_SYS: case QM_QLX_NOMEM:
      _exit(WEXITSTATUS(wstat));
    case QM_EXIT_PERM: _exit(QM_QLX_USAGE);
    default: _exit(QM_QLX_EXECPW);
  }
  if (!qm_users_parse(e, sa, ans.s, ans.len)) _exit(errno == ENOMEM ? QM_QLX_NOMEM : QM_QLX_USAGE);
  stralloc_free(&ans);
}

/* users/cdb first; qmail-getpw only when the database does not exist or has no
 * entry. Any other trouble with the database is temporary: guessing from the
 * password file could deliver to the wrong account. */
static void lookup(qm_users_entry *e, stralloc *sa, char const *local)
{
  size_t len = strlen(local);
  int r;
  if (len > QM_USERS_LOCAL_MAX) { lookup_getpw(e, sa, local); return; }
  r = qm_users_lookup(QM_HOME "/users/cdb", local, len, sa, e);
  if (r > 0) return;
  if (r < 0 && errno != ENOENT) _exit(errno == ENOMEM ? QM_QLX_NOMEM : QM_QLX_CDB);
  lookup_getpw(e, sa, local);
}

/* The child: fd 0 is the message, fds 1 and 2 the report pipe. Never returns. */
static void child(send_cmd const *c)
{
  stralloc sa = STRALLOC_ZERO;
  qm_users_entry pw;
  char const *argv[11];
  char const *local = c->rcpt, *domain = c->rcpt + strlen(c->rcpt) + 1;   /* split by check */
  lookup(&pw, &sa, local);
  if (!pw.uid) _exit(QM_QLX_ROOT);
  if (!drop(pw.uid, pw.gid)) _exit(QM_QLX_USAGE);
  if (!getuid() || !geteuid()) _exit(QM_QLX_ROOT);
  argv[0] = "qmail-local"; argv[1] = "--"; argv[2] = pw.user; argv[3] = pw.home;
  argv[4] = local; argv[5] = pw.dash; argv[6] = pw.ext; argv[7] = domain;
  argv[8] = c->sender; argv[9] = defaultdelivery; argv[10] = 0;
  execv(QM_HOME "/bin/qmail-local", (char *const *)argv);
  /* a missing or broken binary may be repaired: temporary unless exec said it cannot be */
  _exit(errno == ENOEXEC || errno == EACCES ? QM_QLX_EXECHARD : QM_QLX_EXECSOFT);
}

/* Splits the recipient at its last '@' (send_cmd_check made sure there is one). */
static char const *check(send_cmd *c)
{
  char *at;
  if (c->nrcpt != 1) return "ZSorry, one recipient per local delivery. (#4.3.0)\n";
  at = strrchr(c->rcpt, '@');
  *at = 0;
  if (!c->rcpt[0]) return "KMessage to the empty local part discarded.\n";
  return 0;
}

static int report(stralloc *texts, unsigned int nrcpt, int sig, int code, char const *out, size_t len)
{
  stralloc r = STRALLOC_ZERO;
  int ok = send_lspawn_report(&r, sig, code, out, len) && stralloc_0(&r);
  while (ok && nrcpt--) ok = stralloc_catb(texts, r.s, r.len);
  stralloc_free(&r);
  return ok;
}

static void resolve(void)
{
  struct passwd *pw;
  struct group *gr;
  errno = 0;
  if (!(pw = getpwnam(QM_USER_QMAILQ))) strerr_diefu2sys(QM_EXIT_TEMP, "find user ", QM_USER_QMAILQ);
  uid_qmailq = pw->pw_uid;
  if (!(pw = getpwnam(QM_USER_QMAILP))) strerr_diefu2sys(QM_EXIT_TEMP, "find user ", QM_USER_QMAILP);
  uid_qmailp = pw->pw_uid;
  if (!(gr = getgrnam(QM_GROUP_NOFILES))) strerr_diefu2sys(QM_EXIT_TEMP, "find group ", QM_GROUP_NOFILES);
  gid_nofiles = gr->gr_gid;
  if (!uid_qmailp) strerr_dief1x(QM_EXIT_TEMP, QM_USER_QMAILP " must not be uid 0");
}

int main(int argc, char const *const *argv)
{
  send_spawner sp;
  if (argc < 2 || !argv[1][0]) strerr_dieusage(QM_EXIT_PERM, USAGE);
  defaultdelivery = argv[1];
  resolve();
  if (chdir(QM_HOME) < 0 || chdir("queue/mess") < 0)
    strerr_diefu2sys(QM_EXIT_TEMP, "switch to ", QM_HOME "/queue/mess");
  sp.check = &check;
  sp.child = &child;
  sp.report = &report;
  sp.owner = uid_qmailq;
  sp.keep = SEND_LSPAWN_OUT_MAX + 1;   /* one byte past the limit tells the report it was cut */
  sp.childfail = QM_QLX_USAGE;
  sp.keeperr = 0;
  return send_spawner_run(&sp);
}
