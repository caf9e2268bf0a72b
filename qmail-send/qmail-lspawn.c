/* qmail-lspawn: qmail-send's local spawner. Root, in HOME/queue/mess; reads spawner
 * commands on fd 0, runs one qmail-local per recipient as the recipient's account
 * (users/cdb, else qmail-getpw run as qmailp), and writes one reply per command on
 * fd 1 when the child's report pipe ends and the child has exited. Parses nothing
 * from the network; never runs qmail-local as uid 0. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/iopause.h>
#include <skalibs/selfpipe.h>
#include <skalibs/sig.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>

#include "qm_conf.h"
#include "qm_exit.h"
#include "qm_users.h"
#include "send_lspawn.h"
#include "send_proto.h"

char const *PROG = "qmail-lspawn";
#define USAGE "qmail-lspawn defaultdelivery"

typedef struct slot_s {
  pid_t pid;         /* 0: free */
  int fd;            /* report pipe, -1 once at EOF */
  int exited;
  int wstat;
  stralloc out;
} slot;

static slot slots[QM_SPAWN];
static unsigned int busy;
static uid_t uid_qmailq, uid_qmailp;
static gid_t gid_nofiles;
static char const *defaultdelivery;
static send_cmd cmd;

static void reply(unsigned char s, char const *text)
{
  stralloc sa = STRALLOC_ZERO;
  if (!send_reply_encode(&sa, s, text[0], text + 1, strlen(text + 1)))
    strerr_diefu1sys(QM_EXIT_TEMP, "build a reply");
  if (allwrite(1, sa.s, sa.len) != sa.len) strerr_diefu1sys(QM_EXIT_TEMP, "write to qmail-send");
  stralloc_free(&sa);
}

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
static void child(char const *local, char const *domain, char const *sender)
{
  stralloc sa = STRALLOC_ZERO;
  qm_users_entry pw;
  char const *argv[11];
  lookup(&pw, &sa, local);
  if (!pw.uid) _exit(QM_QLX_ROOT);
  if (!drop(pw.uid, pw.gid)) _exit(QM_QLX_USAGE);
  if (!getuid() || !geteuid()) _exit(QM_QLX_ROOT);
  argv[0] = "qmail-local"; argv[1] = "--"; argv[2] = pw.user; argv[3] = pw.home;
  argv[4] = local; argv[5] = pw.dash; argv[6] = pw.ext; argv[7] = domain;
  argv[8] = sender; argv[9] = defaultdelivery; argv[10] = 0;
  execv(QM_HOME "/bin/qmail-local", (char *const *)argv);
  /* a missing or broken binary may be repaired: temporary unless exec said it cannot be */
  _exit(errno == ENOEXEC || errno == EACCES ? QM_QLX_EXECHARD : QM_QLX_EXECSOFT);
}

static void start(void)
{
  unsigned char s = cmd.slot;
  char const *why = send_cmd_check(&cmd);
  char *at;
  struct stat st;
  int msg, p[2];
  pid_t pid;
  if (s >= QM_SPAWN || slots[s].pid) strerr_dief1x(QM_EXIT_TEMP, "qmail-send used a bad slot");
  if (why) { reply(s, why); return; }
  msg = open(cmd.path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
  if (msg < 0) { reply(s, "ZUnable to open the message file. (#4.3.0)\n"); return; }
  if (fstat(msg, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != uid_qmailq) {
    close(msg);
    reply(s, "ZSorry, message has wrong owner. (#4.3.5)\n");
    return;
  }
  at = strrchr(cmd.rcpt, '@');   /* send_cmd_check made sure there is one */
  *at = 0;
  if (!cmd.rcpt[0]) {
    close(msg);
    reply(s, "KMessage to the empty local part discarded.\n");
    return;
  }
  if (pipe(p) < 0) { close(msg); reply(s, "ZUnable to create a pipe. (#4.3.0)\n"); return; }
  pid = fork();
  if (pid < 0) {
    close(msg); close(p[0]); close(p[1]);
    reply(s, "ZUnable to fork. (#4.3.0)\n");
    return;
  }
  if (!pid) {
    selfpipe_finish();
    sig_restore(SIGPIPE);
    close(p[0]);
    if (fd_move(0, msg) < 0 || fd_copy(2, p[1]) < 0 || fd_move(1, p[1]) < 0) _exit(QM_QLX_USAGE);
    if (uncoe(0) < 0) _exit(QM_QLX_USAGE);
    child(cmd.rcpt, at + 1, cmd.sender);
  }
  close(msg);
  close(p[1]);
  if (ndelay_on(p[0]) < 0 || coe(p[0]) < 0) strerr_diefu1sys(QM_EXIT_TEMP, "set up a report pipe");
  slots[s].pid = pid;
  slots[s].fd = p[0];
  slots[s].exited = 0;
  slots[s].out.len = 0;
  busy++;
}

static void finish_if_done(unsigned int s)
{
  stralloc r = STRALLOC_ZERO;
  int sig, code;
  if (!slots[s].pid || slots[s].fd >= 0 || !slots[s].exited) return;
  sig = WIFSIGNALED(slots[s].wstat);
  code = sig ? WTERMSIG(slots[s].wstat) : WEXITSTATUS(slots[s].wstat);
  if (!send_lspawn_report(&r, sig, code, slots[s].out.s, slots[s].out.len) || !stralloc_0(&r))
    strerr_diefu1sys(QM_EXIT_TEMP, "build a report");
  reply((unsigned char)s, r.s);
  stralloc_free(&r);
  slots[s].pid = 0;
  busy--;
}

static void reap(void)
{
  for (;;) {
    int wstat;
    unsigned int s;
    pid_t pid = waitpid(-1, &wstat, WNOHANG);
    if (pid <= 0) return;
    for (s = 0; s < QM_SPAWN; s++)
      if (slots[s].pid == pid) {
        slots[s].exited = 1;
        slots[s].wstat = wstat;
        finish_if_done(s);
        break;
      }
  }
}

static void readreport(unsigned int s)
{
  char buf[4096];
  ssize_t r = fd_read(slots[s].fd, buf, sizeof buf);
  if (r < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (r <= 0) {
    close(slots[s].fd);
    slots[s].fd = -1;
    finish_if_done(s);
    return;
  }
  /* keep one byte past the limit so the report knows it was cut */
  if (slots[s].out.len <= SEND_LSPAWN_OUT_MAX) {
    size_t n = (size_t)r, room = SEND_LSPAWN_OUT_MAX + 1 - slots[s].out.len;
    if (n > room) n = room;
    if (!stralloc_catb(&slots[s].out, buf, n)) strerr_diefu1sys(QM_EXIT_TEMP, "store a report");
  }
}

static int readcommands(void)
{
  char buf[8192];
  size_t off = 0;
  ssize_t r = fd_read(0, buf, sizeof buf);
  if (r < 0) return errno == EAGAIN || errno == EINTR ? 1 : 0;
  if (!r) return 0;
  while (off < (size_t)r) {
    size_t used;
    int k = send_cmd_feed(&cmd, buf + off, (size_t)r - off, &used);
    off += used;
    if (k < 0) strerr_dief1x(QM_EXIT_TEMP, "qmail-send sent an overlong command");
    if (k > 0) { start(); send_cmd_init(&cmd); }
  }
  return 1;
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
  int stdin_open = 1, spfd;
  unsigned char limit = QM_SPAWN;
  unsigned int s;
  if (argc < 2 || !argv[1][0]) strerr_dieusage(QM_EXIT_PERM, USAGE);
  defaultdelivery = argv[1];
  resolve();
  if (chdir(QM_HOME) < 0 || chdir("queue/mess") < 0)
    strerr_diefu2sys(QM_EXIT_TEMP, "switch to ", QM_HOME "/queue/mess");
  for (s = 0; s < QM_SPAWN; s++) { slots[s].pid = 0; slots[s].fd = -1; slots[s].out = stralloc_zero; }
  if (sig_altignore(SIGPIPE) < 0) strerr_diefu1sys(QM_EXIT_TEMP, "ignore SIGPIPE");
  spfd = selfpipe_init();
  if (spfd < 0 || selfpipe_trap(SIGCHLD) < 0) strerr_diefu1sys(QM_EXIT_TEMP, "set up the self-pipe");
  send_cmd_init(&cmd);
  if (allwrite(1, (char *)&limit, 1) != 1) strerr_diefu1sys(QM_EXIT_TEMP, "write to qmail-send");
  for (;;) {
    iopause_fd x[2 + QM_SPAWN];
    unsigned int n = 0, idx[QM_SPAWN], k;
    tain deadline = TAIN_INFINITE;
    if (!stdin_open && !busy) return 0;
    x[n].fd = spfd; x[n].events = IOPAUSE_READ; n++;
    if (stdin_open) { x[n].fd = 0; x[n].events = IOPAUSE_READ; n++; }
    k = n;
    for (s = 0; s < QM_SPAWN; s++)
      if (slots[s].pid && slots[s].fd >= 0) {
        idx[n - k] = s;
        x[n].fd = slots[s].fd; x[n].events = IOPAUSE_READ; n++;
      }
    if (iopause_g(x, n, &deadline) < 0) {
      if (errno == EINTR) continue;
      strerr_diefu1sys(QM_EXIT_TEMP, "iopause");
    }
    if (x[0].revents & (IOPAUSE_READ | IOPAUSE_EXCEPT)) {
      int sig;
      while ((sig = selfpipe_read()) > 0) if (sig == SIGCHLD) reap();
    }
    for (s = k; s < n; s++)
      if (x[s].revents & (IOPAUSE_READ | IOPAUSE_EXCEPT)) readreport(idx[s - k]);
    if (stdin_open && x[1].revents & (IOPAUSE_READ | IOPAUSE_EXCEPT)) stdin_open = readcommands();
  }
}
