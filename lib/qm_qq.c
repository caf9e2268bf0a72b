/* The caller side of qmail-queue(8). Trusts the queue program's exit code and at
 * most QM_QQ_STATUS_MAX bytes of its fd-6 text, or qmail-queued's answer when it
 * came from the queue's owner; never reports success unless every byte reached
 * the queue writer and it ended with 0. */
/* SO_PEERCRED and struct ucred are Linux's */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/buffer.h>
#include <skalibs/djbunix.h>

#include "qm_conf.h"
#include "qm_exit.h"
#include "qm_fdpass.h"
#include "qm_qq.h"

static void set_status(qm_qq_status *st, char kind, char const *text)
{
  size_t n = strlen(text);
  if (n >= sizeof st->text) n = sizeof st->text - 1;
  st->kind = kind;
  memcpy(st->text, text, n);
  st->text[n] = 0;
}

void qm_qq_status_from_exit(qm_qq_status *st, int code, char const *custom, size_t customlen)
{
  switch (code) {
  case QQ_EXIT_OK: set_status(st, 'K', ""); return;
  case QQ_EXIT_ADDR_TOO_LONG: set_status(st, 'D', "envelope address too long for qq (#5.1.3)"); return;
  case QQ_EXIT_PERM_REFUSED: set_status(st, 'D', "mail server permanently rejected message (#5.3.0)"); return;
  case QQ_EXIT_NOMEM: set_status(st, 'Z', "qq out of memory (#4.3.0)"); return;
  case QQ_EXIT_TIMEOUT: set_status(st, 'Z', "qq timeout (#4.3.0)"); return;
  case QQ_EXIT_WRITE:
  case QQ_EXIT_PID: case QQ_EXIT_MESS: case QQ_EXIT_INTD: case QQ_EXIT_TODO:
    set_status(st, 'Z', "qq write error or disk full (#4.3.0)"); return;
  case QQ_EXIT_READ: set_status(st, 'Z', "qq read error (#4.3.0)"); return;
  case QQ_EXIT_CONFIG: set_status(st, 'Z', "qq unable to read configuration (#4.3.0)"); return;
  case QQ_EXIT_NETWORK: set_status(st, 'Z', "qq network problem (#4.3.0)"); return;
  case QQ_EXIT_HOME: case QQ_EXIT_QUEUEDIR:
    set_status(st, 'Z', "qq trouble in home directory (#4.3.0)"); return;
  case QQ_EXIT_TEMP_REFUSED: set_status(st, 'Z', "mail server temporarily rejected message (#4.3.0)"); return;
  case QQ_EXIT_CONN_TIMEOUT: set_status(st, 'Z', "mail server timed out (#4.4.1)"); return;
  case QQ_EXIT_CONN_REFUSED: set_status(st, 'Z', "connection to mail server rejected (#4.4.1)"); return;
  case QQ_EXIT_CONN_FAILED: set_status(st, 'Z', "connection to mail server succeeded, but communication failed (#4.4.2)"); return;
  case QQ_EXIT_BUG: case QQ_EXIT_ENVELOPE: set_status(st, 'Z', "qq internal bug (#4.3.0)"); return;
  case QQ_EXIT_EXEC: set_status(st, 'Z', "unable to run qq (#4.3.0)"); return;
  case QQ_EXIT_CUSTOM:
    if (customlen > 2 && (custom[0] == 'D' || custom[0] == 'Z')) {
      size_t n = customlen - 1, i;
      if (n >= sizeof st->text) n = sizeof st->text - 1;
      st->kind = custom[0];
      for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)custom[i + 1];
        st->text[i] = (c < 32 || c > 126) ? '?' : (char)c;  /* text goes to SMTP and logs */
      }
      st->text[n] = 0;
      return;
    }
    set_status(st, 'Z', "qq temporary problem (#4.3.0)"); return;
  case -1: set_status(st, 'Z', "qq crashed (#4.3.0)"); return;
  default:
    if (code >= 11 && code <= 40) set_status(st, 'D', "qq permanent problem (#5.3.0)");
    else set_status(st, 'Z', "qq temporary problem (#4.3.0)");
  }
}

int qm_qq_start(qm_qq *qq, char const *program, int use_env)
{
  return qm_qq_start_in(qq, QM_HOME, program, use_env);
}

/* The first answer, a line of at most len bytes within QM_QQ_HELLO_TIMEOUT: its
 * length without the newline, or -1. */
static ssize_t hello_line(int s, char *line, size_t len)
{
  size_t got = 0;
  while (got < len) {
    struct pollfd p = { .fd = s, .events = POLLIN, .revents = 0 };
    ssize_t r;
    int n = poll(&p, 1, QM_QQ_HELLO_TIMEOUT);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    r = read(s, line + got, len - got);
    if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (r <= 0) return -1;
    got += (size_t)r;
    if (line[got - 1] == '\n') return (ssize_t)got - 1;
  }
  return -1;
}

/* qmail-queued, when it runs and answers as the queue's owner: 1 with qq set up
 * as by a start, 0 to run the program instead (nothing left open; a child that
 * got our pipes sees them end before an envelope and queues nothing). */
static int start_daemon(qm_qq *qq)
{
  struct sockaddr_un sa;
  struct ucred cr;
  socklen_t crlen = sizeof cr;
  struct stat st;
  char line[2 + 20];
  int s, msg[2], env[2], fds[2];
  ssize_t n;
  size_t i;
  unsigned long pid = 0;
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  memcpy(sa.sun_path, QM_QQ_SOCKET, sizeof QM_QQ_SOCKET);
  s = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s < 0) return 0;
  /* a full backlog is a busy daemon: EAGAIN at once rather than a wait */
  if (connect(s, (struct sockaddr *)&sa, sizeof sa) < 0) goto close0;
  /* the message goes only to the queue's owner, listening in a directory that
   * only it can write */
  if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) < 0 || crlen != sizeof cr || !cr.uid
      || stat(QM_HOME "/queue", &st) < 0 || st.st_uid != cr.uid
      || stat(QM_QQ_SOCKDIR, &st) < 0 || st.st_uid != cr.uid || (st.st_mode & 022)) goto close0;
  if (pipecoe(msg) < 0) goto close0;
  if (pipecoe(env) < 0) goto close1;
  fds[0] = msg[0];
  fds[1] = env[0];
  {
    char h = QM_QQ_HELLO;
    if (qm_fdpass_sendn(s, &h, 1, fds, 2, 0) != 1) goto close2;
  }
  close(msg[0]);
  close(env[0]);
  n = hello_line(s, line, sizeof line);
  if (n < 2 || line[0] != 'P') goto close3;
  for (i = 1; i < (size_t)n; i++) {
    if (line[i] < '0' || line[i] > '9' || pid > 1000000000UL) goto close3;
    pid = pid * 10 + (unsigned long)(line[i] - '0');
  }
  if (ndelay_off(s) < 0) goto close3;
  qq->pid = (pid_t)pid;
  qq->sock = s;
  qq->envfd = env[1];
  qq->errfd = -1;
  qq->failed = 0;
  buffer_init(&qq->msg, &buffer_write, msg[1], qq->msgbuf, sizeof qq->msgbuf);
  return 1;
close3:
  close(msg[1]); close(env[1]);
  close(s);
  return 0;
close2:
  close(env[0]); close(env[1]);
close1:
  close(msg[0]); close(msg[1]);
close0:
  close(s);
  return 0;
}

int qm_qq_start_in(qm_qq *qq, char const *home, char const *program, int use_env)
{
  int msg[2], env[2], err[2];
  char const *argv[2];
  if (!program && use_env) {
    program = getenv("QMAILQUEUE");
    if (program && !*program) program = 0;
  }
  if (!program) {
    if (!strcmp(home, QM_HOME) && start_daemon(qq)) return 1;
    program = QM_HOME "/bin/qmail-queue";
  }
  qq->sock = -1;
  if (pipecoe(msg) < 0) return 0;
  if (pipecoe(env) < 0) goto close1;
  if (pipecoe(err) < 0) goto close2;
  qq->pid = fork();
  if (qq->pid < 0) goto close3;
  if (!qq->pid) {
    /* fds 0, 1 and 6 must not clobber each other while being moved: park first. */
    if (fd_move2(0, msg[0], 1, env[0]) < 0) _exit(QQ_EXIT_EXEC);
    if (fd_move(6, err[1]) < 0) _exit(QQ_EXIT_EXEC);
    /* a pipe that was already on its target fd kept its close-on-exec flag */
    if (uncoe(0) < 0 || uncoe(1) < 0 || uncoe(6) < 0) _exit(QQ_EXIT_EXEC);
    if (chdir(home) < 0) _exit(QQ_EXIT_HOME);
    argv[0] = program;
    argv[1] = 0;
    execv(program, (char *const *)argv);
    _exit(QQ_EXIT_EXEC);
  }
  close(msg[0]);
  close(env[0]);
  close(err[1]);
  qq->envfd = env[1];
  qq->errfd = err[0];
  qq->failed = 0;
  buffer_init(&qq->msg, &buffer_write, msg[1], qq->msgbuf, sizeof qq->msgbuf);
  return 1;
close3:
  close(err[0]); close(err[1]);
close2:
  close(env[0]); close(env[1]);
close1:
  close(msg[0]); close(msg[1]);
  return 0;
}

int qm_qq_put(qm_qq *qq, char const *s, size_t len)
{
  if (qq->failed) return 0;
  if (buffer_put(&qq->msg, s, len) < 0) { qq->failed = 1; return 0; }
  return 1;
}

int qm_qq_puts(qm_qq *qq, char const *s)
{
  return qm_qq_put(qq, s, strlen(s));
}

static int write_record(int fd, char kind, char const *s)
{
  char k[1] = { kind };
  return allwrite(fd, k, 1) == 1 && allwrite(fd, s, strlen(s) + 1) == strlen(s) + 1;
}

int qm_qq_finish(qm_qq *qq, char const *sender, char const *const *rcpts, size_t n,
                 qm_qq_status *st)
{
  char errtext[QM_QQ_STATUS_MAX];
  size_t errlen = 0;
  int wstat, code;
  size_t i;
  if (!qq->failed && !buffer_flush(&qq->msg)) qq->failed = 1;
  close(buffer_fd(&qq->msg));
  if (!qq->failed) {
    if (!write_record(qq->envfd, 'F', sender)) qq->failed = 1;
    for (i = 0; i < n && !qq->failed; i++)
      if (!write_record(qq->envfd, 'T', rcpts[i])) qq->failed = 1;
    if (!qq->failed && allwrite(qq->envfd, "", 1) != 1) qq->failed = 1;
  }
  close(qq->envfd);
  if (qq->sock >= 0) {
    unsigned char c;
    ssize_t r;
    do r = read(qq->sock, &c, 1);
    while (r < 0 && errno == EINTR);
    close(qq->sock);
    /* the end of the connection without a code: the writer died of a signal */
    code = r == 1 ? c : -1;
  } else {
    errlen = allread(qq->errfd, errtext, sizeof errtext - 1);
    close(qq->errfd);
    if (wait_pid(qq->pid, &wstat) < 0) code = QQ_EXIT_BUG;
    else if (WIFSIGNALED(wstat)) code = -1;
    else code = WEXITSTATUS(wstat);
  }
  qm_qq_status_from_exit(st, code, errtext, errlen);
  if (st->kind == 'K' && qq->failed) set_status(st, 'Z', "qq read error (#4.3.0)");
  return st->kind == 'K';
}

void qm_qq_abort(qm_qq *qq)
{
  int wstat;
  /* qmail-queued's child is not ours to kill: our pipes end before the envelope's
   * final NUL, and that alone makes it remove its files and queue nothing */
  if (qq->sock >= 0) {
    close(buffer_fd(&qq->msg));
    close(qq->envfd);
    close(qq->sock);
    return;
  }
  kill(qq->pid, SIGKILL);
  close(buffer_fd(&qq->msg));
  close(qq->envfd);
  close(qq->errfd);
  wait_pid(qq->pid, &wstat);
}
