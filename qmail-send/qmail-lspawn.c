/* qmail-lspawn: qmail-send's local spawner. Root, in HOME/queue/mess; reads spawner
 * commands on fd 0, forks one child per recipient that becomes the recipient's
 * account (users/cdb, else one long-running qmail-getpw -s as qmailp) and runs
 * qmail-local's delivery, and writes one reply per command on fd 1 when the
 * child's report pipe ends and the child has exited. Parses nothing from the
 * network; never delivers as uid 0. */
/* close_range(2) */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/iopause.h>
#include <skalibs/netstring.h>
#include <skalibs/selfpipe.h>
#include <skalibs/sig.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>

#include "qm_conf.h"
#include "qm_exit.h"
#include "qm_getpw.h"
#include "qm_users.h"
#include "../qmail-local/local_main.h"
#include "send_lspawn.h"
#include "send_proto.h"
#include "send_spawner.h"

char const *PROG = "qmail-lspawn";   /* qmail-local in the children */
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

/* In a child: every descriptor past fd 2 closed, close-on-exec or not. */
static void close_past_stderr(void)
{
  if (close_range(3, ~0U, 0) < 0) {
    long fd, max = sysconf(_SC_OPEN_MAX);
    for (fd = 3; fd < max; fd++) close((int)fd);
  }
}

/* The account of the command about to fork, looked up in the parent (users/cdb,
 * else the long-running qmail-getpw) so that no delivery pays for a lookup program
 * of its own; cur_code is the exit code the child reports instead when it failed. */
static qm_users_entry cur;
static stralloc cur_sa = STRALLOC_ZERO;
static int cur_code;

/* qmail-getpw -s, started at the first lookup that needs it and kept: our ends of
 * its pipes (close-on-exec, so no delivery inherits them) and what it has said. */
static int gp_to = -1, gp_from = -1;
static stralloc gp_in = STRALLOC_ZERO;
#define GETPW_TIMEOUT 30   /* seconds: a home directory on a dead NFS server must not stall us forever */

static void getpw_stop(void)
{
  if (gp_to >= 0) close(gp_to);
  if (gp_from >= 0) close(gp_from);
  gp_to = gp_from = -1;
  gp_in.len = 0;
  /* it exits at the end of its input; send_spawner's reaper collects it */
}

static int getpw_start(void)
{
  int to[2], from[2];
  pid_t pid;
  if (pipecoe(to) < 0) return 0;
  if (pipecoe(from) < 0) { close(to[0]); close(to[1]); return 0; }
  pid = fork();
  if (pid < 0) { close(to[0]); close(to[1]); close(from[0]); close(from[1]); return 0; }
  if (!pid) {
    char const *argv[3] = { "qmail-getpw", "-s", 0 };
    selfpipe_finish();
    sig_restore(SIGPIPE);
    if (fd_move(0, to[0]) < 0 || fd_move(1, from[1]) < 0) _exit(QM_EXIT_TEMP);
    if (uncoe(0) < 0 || uncoe(1) < 0) _exit(QM_EXIT_TEMP);
    /* nothing of the spawner's but the log on fd 2: it starts us right before a
     * fork, when a delivery's report pipe is open, and a copy of that pipe kept
     * here would keep the delivery from ever ending */
    close_past_stderr();
    if (chdir(QM_HOME) < 0 || !drop(uid_qmailp, gid_nofiles)) _exit(QM_EXIT_TEMP);
    execv(QM_HOME "/bin/qmail-getpw", (char *const *)argv);
    _exit(QM_EXIT_TEMP);
  }
  close(to[0]);
  close(from[1]);
  gp_to = to[1];
  gp_from = from[0];
  gp_in.len = 0;
  return 1;
}

/* One question to qmail-getpw: 0 and the answer parsed into cur, or an exit code.
 * *dead is set when it was gone before it could answer (worth one fresh start). */
static int getpw_ask(char const *local, size_t len, int *dead)
{
  stralloc req = STRALLOC_ZERO;
  tain deadline;
  int ok;
  *dead = 0;
  if (gp_to < 0 && !getpw_start()) return QM_QLX_EXECPW;
  ok = netstring_appendb(&req, local, len);
  if (!ok) { stralloc_free(&req); return QM_QLX_NOMEM; }
  ok = allwrite(gp_to, req.s, req.len) == req.len;
  stralloc_free(&req);
  if (!ok) { *dead = 1; getpw_stop(); return QM_QLX_EXECPW; }
  tain_now_g();
  tain_addsec_g(&deadline, GETPW_TIMEOUT);
  for (;;) {
    size_t off, plen;
    char buf[4096];
    ssize_t r = qm_getpw_get(gp_in.s, gp_in.len, QM_GETPW_REPLY_MAX, &off, &plen);
    if (r < 0) { getpw_stop(); return QM_QLX_EXECPW; }
    if (r > 0) {
      char const *p = gp_in.s + off;
      int code = plen ? (unsigned char)p[0] : QM_QLX_EXECPW;
      if (!code && !qm_users_parse(&cur, &cur_sa, p + 1, plen - 1))
        code = errno == ENOMEM ? QM_QLX_NOMEM : QM_QLX_USAGE;
      /* only the codes qmail-getpw documents; anything else is its failure */
      switch (code) {
        case 0: case QM_QLX_NFS: case QM_QLX_NOALIAS: case QM_QLX_SYS: case QM_QLX_NOMEM:
        case QM_QLX_USAGE: break;
        default: code = QM_QLX_EXECPW;
      }
      memmove(gp_in.s, gp_in.s + r, gp_in.len - (size_t)r);
      gp_in.len -= (size_t)r;
      return code;
    }
    {
      iopause_fd x = { .fd = gp_from, .events = IOPAUSE_READ, .revents = 0 };
      int n = iopause_g(&x, 1, &deadline);
      if (n < 0) { getpw_stop(); return QM_QLX_EXECPW; }
      if (!n) {
        strerr_warnw1x("qmail-getpw gave no answer in time: starting a new one");
        getpw_stop();
        return QM_QLX_EXECPW;
      }
    }
    r = fd_read(gp_from, buf, sizeof buf);
    if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (r <= 0) { *dead = !gp_in.len; getpw_stop(); return QM_QLX_EXECPW; }
    if (!stralloc_catb(&gp_in, buf, (size_t)r)) { getpw_stop(); return QM_QLX_NOMEM; }
  }
}

static int lookup_getpw(char const *local, size_t len)
{
  int dead, code = getpw_ask(local, len, &dead);
  /* a qmail-getpw that died since the last question (killed, or its binary
   * replaced and the old one gone) gets one fresh start */
  if (dead) code = getpw_ask(local, len, &dead);
  return code;
}

/* users/cdb first; qmail-getpw only when the database does not exist or has no
 * entry. Any other trouble with the database is temporary: guessing from the
 * password file could deliver to the wrong account. 0, or the child's exit code. */
static int lookup(char const *local)
{
  size_t len = strlen(local);
  int r;
  if (len > QM_USERS_LOCAL_MAX) return lookup_getpw(local, len);
  r = qm_users_lookup(QM_HOME "/users/cdb", local, len, &cur_sa, &cur);
  if (r > 0) return 0;
  if (r < 0 && errno != ENOENT) return errno == ENOMEM ? QM_QLX_NOMEM : QM_QLX_CDB;
  return lookup_getpw(local, len);
}

/* The child: fd 0 is the message, fds 1 and 2 the report pipe. Never returns.
 * It runs qmail-local's delivery itself rather than exec the program: the exec
 * and the C library's start-up that follows cost more CPU than the rest of a
 * small delivery on machines whose hypervisor traps CPUID (qmail-lspawn(8)).
 * What exec would have shed is shed here: every descriptor past fd 2 (other
 * slots' report pipes among them, which would keep those slots from ending),
 * our signal handling (send_spawner did), and the root credentials (drop). */
static void child(send_cmd const *c)
{
  char const *argv[11];
  char const *local = c->rcpt, *domain = c->rcpt + strlen(c->rcpt) + 1;   /* split by check */
  if (cur_code) _exit(cur_code);
  if (!cur.uid) _exit(QM_QLX_ROOT);
  close_past_stderr();
  if (!drop(cur.uid, cur.gid)) _exit(QM_QLX_USAGE);
  if (!getuid() || !geteuid()) _exit(QM_QLX_ROOT);
  /* ps, pgrep and the logs' readers know a delivery by this name */
  PROG = "qmail-local";
  prctl(PR_SET_NAME, "qmail-local", 0, 0, 0);
  argv[0] = "qmail-local"; argv[1] = "--"; argv[2] = cur.user; argv[3] = cur.home;
  argv[4] = local; argv[5] = cur.dash; argv[6] = cur.ext; argv[7] = domain;
  argv[8] = c->sender; argv[9] = defaultdelivery; argv[10] = 0;
  _exit(local_main(10, argv));
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

/* Right before the fork, in the parent: the account the child will deliver as (or the
 * failure it will report), for the local part check left in c->rcpt. */
static void prep(unsigned int s, send_cmd const *c)
{
  (void)s;
  cur_code = lookup(c->rcpt);
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
  send_spawner_hooks hk = { .prep = &prep };
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
  return send_spawner_run_hooks(&sp, &hk);
}
