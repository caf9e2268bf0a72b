/* qmail-rspawn: qmail-send's remote spawner. Runs as qmailr in HOME/queue/mess;
 * reads spawner commands on fd 0, runs one qmail-remote per command (host = the
 * part of the recipient after its last '@', the message file as stdin) and writes
 * one reply per command on fd 1 once the child's output has ended and it has
 * exited. Trusts qmail-send's commands only after send_cmd_check; never passes a
 * child's output on without remote_rspawn_report's reading of it. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
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
#include "qm_control.h"
#include "remote_rspawn.h"
#include "remote_tls.h"
#include "../qmail-send/send_proto.h"

char const *PROG = "qmail-rspawn";

typedef struct slot_s {
  pid_t pid;         /* 0: free */
  int fd;            /* report pipe, -1 once at EOF */
  int exited;
  int wstat;
  stralloc out;
} slot;

static slot slots[QM_SPAWN];
static unsigned int busy;
static uid_t uid_qmailq;
static char const *remote = QM_HOME "/bin/qmail-remote";
static char const *tlsd = QM_HOME "/bin/qmail-tlsd";
static int have_tlsd;
static send_cmd cmd;

static void reply(unsigned char s, char const *text)
{
  stralloc sa = STRALLOC_ZERO;
  if (!send_reply_encode(&sa, s, text[0], text + 1, strlen(text + 1)))
    strerr_diefu1sys(QM_EXIT_TEMP, "build a reply");
  if (allwrite(1, sa.s, sa.len) != sa.len) strerr_diefu1sys(QM_EXIT_TEMP, "write to qmail-send");
  stralloc_free(&sa);
}

static void start(void)
{
  unsigned char s = cmd.slot;
  char const *why = send_cmd_check(&cmd);
  char const *host;
  static remote_tlsdest dest;
  struct stat st;
  int msg, p[2];
  pid_t pid;
  if (s >= QM_SPAWN || slots[s].pid) strerr_dief1x(QM_EXIT_TEMP, "qmail-send used a bad slot");
  if (why) { reply(s, why); return; }
  host = strrchr(cmd.rcpt, '@') + 1;   /* send_cmd_check made sure there is one */
  if (!*host) { reply(s, "DSorry, address must include host name. (#5.1.3)\n"); return; }
  msg = open(cmd.path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
  if (msg < 0) { reply(s, "ZUnable to open the message file. (#4.3.0)\n"); return; }
  if (fstat(msg, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != uid_qmailq) {
    close(msg);
    reply(s, "ZSorry, message has wrong owner. (#4.3.5)\n");
    return;
  }
  /* the tlsdestinations entry of this host may name the CA file its server's
   * certificate is checked against; qmail-remote reads the same line for the rest */
  if (have_tlsd) {
    stralloc list = STRALLOC_ZERO;
    int k = qm_control_readlist(&list, "../../control/tlsdestinations");
    k = k < 0 ? -1 : remote_tlsdest_find(&dest, list.s, list.len, host);
    stralloc_free(&list);
    if (k < 0) { close(msg); reply(s, "ZUnable to read tlsdestinations. (#4.3.0)\n"); return; }
  }
  if (pipe(p) < 0) { close(msg); reply(s, "ZUnable to create a pipe. (#4.3.0)\n"); return; }
  pid = fork();
  if (pid < 0) {
    close(msg); close(p[0]); close(p[1]);
    reply(s, "ZUnable to fork. (#4.3.0)\n");
    return;
  }
  if (!pid) {
    char const *argv[11];
    unsigned int n = 0;
    selfpipe_finish();
    sig_restore(SIGPIPE);
    close(p[0]);
    /* with the helper, fd 2 stays ours (the log): its lines must not mix with the reports */
    if (fd_move(0, msg) < 0 || (!have_tlsd && fd_copy(2, p[1]) < 0) || fd_move(1, p[1]) < 0)
      _exit(REMOTE_RSPAWN_EXIT_EXEC);
    if (uncoe(0) < 0) _exit(REMOTE_RSPAWN_EXIT_EXEC);
    if (have_tlsd) {
      argv[n++] = "qmail-tlsd"; argv[n++] = "-C";
      if (dest.cafile[0]) { argv[n++] = "-A"; argv[n++] = dest.cafile; }
      argv[n++] = "--";
    }
    argv[n++] = remote; argv[n++] = host; argv[n++] = cmd.sender; argv[n++] = cmd.rcpt; argv[n] = 0;
    execv(have_tlsd ? tlsd : remote, (char *const *)argv);
    _exit(REMOTE_RSPAWN_EXIT_EXEC);
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
  if (!remote_rspawn_report(&r, sig, code, slots[s].out.s, slots[s].out.len) || !stralloc_0(&r))
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
  /* read to the end whatever the size, keep only what the report looks at */
  if (slots[s].out.len < REMOTE_RSPAWN_OUT_MAX) {
    size_t n = (size_t)r, room = REMOTE_RSPAWN_OUT_MAX - slots[s].out.len;
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

/* A fresh start forgets old connect timeouts (the file is read as zero-padded). */
static void tcpto_clear(void)
{
  int fd = open_write("../lock/tcpto");
  if (fd < 0) return;
  if (flock(fd, LOCK_EX) == 0) (void)!ftruncate(fd, 0);
  fd_close(fd);
}

int main(int argc, char const *const *argv)
{
  int stdin_open = 1, spfd;
  unsigned char limit = QM_SPAWN;
  unsigned int s;
  struct passwd *pw;
  char const *x;
  (void)argc; (void)argv;
  errno = 0;
  if (!(pw = getpwnam(QM_USER_QMAILQ))) strerr_diefu2sys(QM_EXIT_TEMP, "find user ", QM_USER_QMAILQ);
  uid_qmailq = pw->pw_uid;
  x = getenv("QMAILREMOTE");
  if (x && x[0] == '/') remote = x;
  x = getenv("QMAILTLSD");
  if (x && x[0] == '/') tlsd = x;
  have_tlsd = !(x && !x[0]) && access(tlsd, X_OK) == 0;
  if (chdir(QM_HOME) < 0 || chdir("queue/mess") < 0)
    strerr_diefu2sys(QM_EXIT_TEMP, "switch to ", QM_HOME "/queue/mess");
  tcpto_clear();
  for (s = 0; s < QM_SPAWN; s++) { slots[s].pid = 0; slots[s].fd = -1; slots[s].out = stralloc_zero; }
  if (sig_altignore(SIGPIPE) < 0) strerr_diefu1sys(QM_EXIT_TEMP, "ignore SIGPIPE");
  spfd = selfpipe_init();
  if (spfd < 0 || selfpipe_trap(SIGCHLD) < 0) strerr_diefu1sys(QM_EXIT_TEMP, "set up the self-pipe");
  send_cmd_init(&cmd);
  if (allwrite(1, (char *)&limit, 1) != 1) strerr_diefu1sys(QM_EXIT_TEMP, "write to qmail-send");
  for (;;) {
    iopause_fd x2[2 + QM_SPAWN];
    unsigned int n = 0, idx[QM_SPAWN], k;
    tain deadline = TAIN_INFINITE;
    if (!stdin_open && !busy) return 0;
    x2[n].fd = spfd; x2[n].events = IOPAUSE_READ; n++;
    if (stdin_open) { x2[n].fd = 0; x2[n].events = IOPAUSE_READ; n++; }
    k = n;
    for (s = 0; s < QM_SPAWN; s++)
      if (slots[s].pid && slots[s].fd >= 0) {
        idx[n - k] = s;
        x2[n].fd = slots[s].fd; x2[n].events = IOPAUSE_READ; n++;
      }
    if (iopause_g(x2, n, &deadline) < 0) {
      if (errno == EINTR) continue;
      strerr_diefu1sys(QM_EXIT_TEMP, "iopause");
    }
    if (x2[0].revents & (IOPAUSE_READ | IOPAUSE_EXCEPT)) {
      int sig;
      while ((sig = selfpipe_read()) > 0) if (sig == SIGCHLD) reap();
    }
    for (s = k; s < n; s++)
      if (x2[s].revents & (IOPAUSE_READ | IOPAUSE_EXCEPT)) readreport(idx[s - k]);
    if (stdin_open && x2[1].revents & (IOPAUSE_READ | IOPAUSE_EXCEPT)) stdin_open = readcommands();
  }
}
