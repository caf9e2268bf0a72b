/* The spawner loop: a slot table, one iopause over the self-pipe, fd 0 and the
 * children's report pipes, reaping, and the replies. Trusts neither qmail-send's
 * bytes (send_cmd_feed limits, send_cmd_check) nor the children's output (kept
 * up to sp->keep bytes, read only by sp->report); never answers a slot twice. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
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
#include "send_spawner.h"

typedef struct slot_s {
  pid_t pid;            /* 0: free */
  int fd;               /* report pipe, -1 once at EOF */
  int exited;
  int handed;           /* the caller's process (hooks' hand), not a child of the slot's own */
  int wstat;
  unsigned int nrcpt;   /* replies owed for the command */
  stralloc out;
} slot;

static slot slots[QM_SPAWN];
static unsigned int busy;
static send_cmd cmd;
static send_spawner const *sp;
static send_spawner_hooks const *hk;

static void put(stralloc const *sa)
{
  if (allwrite(1, sa->s, sa->len) != sa->len) strerr_diefu1sys(QM_EXIT_TEMP, "write to qmail-send");
}

/* The same text for every recipient of a command answered without a child. */
static void reply_all(unsigned char s, unsigned int n, char const *text)
{
  stralloc sa = STRALLOC_ZERO;
  while (n--)
    if (!send_reply_encode(&sa, s, text[0], text + 1, strlen(text + 1)))
      strerr_diefu1sys(QM_EXIT_TEMP, "build a reply");
  put(&sa);
  stralloc_free(&sa);
}

/* prep, the fork and the child's descriptors: the child's pid, or -1 (no child). */
static pid_t fork_child(unsigned int s, int msg, int const p[2])
{
  pid_t pid;
  if (hk && hk->prep) hk->prep(s, &cmd);
  pid = fork();
  if (pid && hk && hk->forked) hk->forked(s, pid);
  if (pid) return pid;
  selfpipe_finish();
  sig_restore(SIGPIPE);
  close(p[0]);
  if (fd_move(0, msg) < 0 || (!sp->keeperr && fd_copy(2, p[1]) < 0) || fd_move(1, p[1]) < 0)
    _exit(sp->childfail);
  if (uncoe(0) < 0 || uncoe(1) < 0) _exit(sp->childfail);
  sp->child(&cmd);
  _exit(sp->childfail);
}

static void start(void)
{
  unsigned char s = cmd.slot;
  unsigned int n = cmd.nrcpt;
  char const *why = send_cmd_check(&cmd);
  struct stat st;
  int msg, p[2];
  pid_t pid;
  if (s >= QM_SPAWN || slots[s].pid) strerr_dief1x(QM_EXIT_TEMP, "qmail-send used a bad slot");
  if (!why) why = sp->check(&cmd);
  if (why) { reply_all(s, n, why); return; }
  msg = open(cmd.path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
  if (msg < 0) { reply_all(s, n, "ZUnable to open the message file. (#4.3.0)\n"); return; }
  if (fstat(msg, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != sp->owner) {
    close(msg);
    reply_all(s, n, "ZSorry, message has wrong owner. (#4.3.5)\n");
    return;
  }
  /* close-on-exec from the start: a process the caller starts in hand keeps no
   * copy of this pipe that it was not given on purpose */
  if (pipecoe(p) < 0) { close(msg); reply_all(s, n, "ZUnable to create a pipe. (#4.3.0)\n"); return; }
  pid = hk && hk->hand ? hk->hand(s, &cmd, msg, p[1]) : 0;
  slots[s].handed = pid != 0;   /* -1 (to run later) matches no waitpid */
  if (!pid && (pid = fork_child(s, msg, p)) < 0) {
    close(msg); close(p[0]); close(p[1]);
    reply_all(s, n, "ZUnable to fork. (#4.3.0)\n");
    return;
  }
  close(msg);
  close(p[1]);
  if (ndelay_on(p[0]) < 0) strerr_diefu1sys(QM_EXIT_TEMP, "set up a report pipe");
  slots[s].pid = pid;
  slots[s].fd = p[0];
  slots[s].exited = 0;
  slots[s].nrcpt = n;
  slots[s].out.len = 0;
  busy++;
}

static void finish_if_done(unsigned int s)
{
  stralloc texts = STRALLOC_ZERO, sa = STRALLOC_ZERO;
  unsigned int i;
  size_t off = 0;
  int sig, code;
  if (!slots[s].pid || slots[s].fd >= 0) return;
  if (!slots[s].exited) {
    if (!slots[s].handed || !hk->waiting || !hk->waiting(s)) return;
    slots[s].wstat = 0;
  }
  sig = WIFSIGNALED(slots[s].wstat);
  code = sig ? WTERMSIG(slots[s].wstat) : WEXITSTATUS(slots[s].wstat);
  if (!sp->report(&texts, slots[s].nrcpt, sig, code, slots[s].out.s, slots[s].out.len))
    strerr_diefu1sys(QM_EXIT_TEMP, "build a report");
  /* exactly nrcpt replies, whatever report produced: qmail-send counts them */
  for (i = 0; i < slots[s].nrcpt; i++) {
    char const *t = "ZSpawner report missing. (#4.3.0)";
    size_t len;
    if (off < texts.len) {
      char const *nul = memchr(texts.s + off, 0, texts.len - off);
      len = nul ? (size_t)(nul - texts.s) - off : texts.len - off;
      if (len) t = texts.s + off;
      off += len + 1;
      if (!len) len = strlen(t);
    } else len = strlen(t);
    if (!send_reply_encode(&sa, (unsigned char)s, t[0], t + 1, len - 1))
      strerr_diefu1sys(QM_EXIT_TEMP, "build a reply");
  }
  put(&sa);
  stralloc_free(&sa);
  stralloc_free(&texts);
  slots[s].pid = 0;
  busy--;
  if (hk && hk->ended) hk->ended(s, slots[s].wstat);
}

void send_spawner_handed(unsigned int s, pid_t pid)
{
  if (s >= QM_SPAWN || slots[s].pid != -1 || !slots[s].handed) return;
  if (pid > 0) { slots[s].pid = pid; return; }
  slots[s].exited = 1;
  slots[s].wstat = (sp->childfail & 0xff) << 8;   /* as waitpid reports an exit code */
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
  if (slots[s].out.len < sp->keep) {
    size_t n = (size_t)r, room = sp->keep - slots[s].out.len;
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
    if (k < 0) strerr_dief1x(QM_EXIT_TEMP, "qmail-send sent an invalid command");
    if (k > 0) { start(); send_cmd_init(&cmd); }
  }
  return 1;
}

int send_spawner_run(send_spawner const *spawner)
{
  return send_spawner_run_hooks(spawner, 0);
}

int send_spawner_run_hooks(send_spawner const *spawner, send_spawner_hooks const *hooks)
{
  int stdin_open = 1, spfd;
  unsigned char limit = QM_SPAWN;
  unsigned int s;
  sp = spawner;
  hk = hooks;
  for (s = 0; s < QM_SPAWN; s++) { slots[s].pid = 0; slots[s].fd = -1; slots[s].out = stralloc_zero; }
  if (sig_altignore(SIGPIPE) < 0) strerr_diefu1sys(QM_EXIT_TEMP, "ignore SIGPIPE");
  spfd = selfpipe_init();
  if (spfd < 0 || selfpipe_trap(SIGCHLD) < 0) strerr_diefu1sys(QM_EXIT_TEMP, "set up the self-pipe");
  send_cmd_init(&cmd);
  if (allwrite(1, (char *)&limit, 1) != 1) strerr_diefu1sys(QM_EXIT_TEMP, "write to qmail-send");
  tain_now_g();
  for (;;) {
    iopause_fd x[2 + QM_SPAWN];
    unsigned int n = 0, idx[QM_SPAWN], k;
    tain deadline = TAIN_INFINITE;
    if (!stdin_open && !busy) return 0;
    if (hk && hk->tick) hk->tick(&deadline);
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
