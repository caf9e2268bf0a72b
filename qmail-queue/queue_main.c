/* qmail-queue's work, as a function: puts one message into the queue as qmailq.
 * The qmail-queue program (setuid qmailq) calls it for its caller; qmail-queued's
 * children call it for a client that connected (qmail-queued(8)). The caller is
 * not trusted: its environment is ignored, its signal mask, dispositions, umask
 * and fds are reset to what this needs, and its message (fd 0) and envelope (fd 1)
 * are copied through a fixed buffer, never held whole. The commit order and its
 * fsyncs are written down in README: nothing is visible to qmail-send before todo/N
 * exists, and exit 0 means every byte is durable. Prints nothing (qmail-queue(8)). */
/* sync_file_range(2) is Linux's own */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <skalibs/gccattributes.h>
#include <skalibs/types.h>

#include "qm_conf.h"
#include "qm_exit.h"
#include "qm_queue.h"
#include "queue_envelope.h"
#include "queue_main.h"
#include "queue_passwd.h"
#include "queue_received.h"

#define QQ_TIMEOUT 86400        /* below qmail-send's 36 h debris age */
#define QQ_BUFSIZE 65536
#define QQ_PIDTRIES 9
#define QQ_PIDPATH_MAX 80       /* "pid/" + three unsigned longs + dots */

/* What may exist and must go if we give up. The signal handlers read these, so
 * each is set after its path is complete and before the call that creates the
 * file: a signal that lands just after that call must still find it. */
static volatile sig_atomic_t have_pid, have_mess, have_intd, committed;
static volatile unsigned long messid;
static char pidpath[QQ_PIDPATH_MAX];
static char messpath[QM_QUEUE_PATH_MAX];
static char intdpath[QM_QUEUE_PATH_MAX];
static char buf[QQ_BUFSIZE];
static int statusfd = -1;

/* The end of every path but death by a signal: the exit code goes to statusfd
 * first, when there is one (async-signal-safe: the handlers end here too). */
static void leave(int code) gccattr_noreturn;
static void leave(int code)
{
  if (statusfd >= 0) {
    unsigned char c = (unsigned char)code;
    while (write(statusfd, &c, 1) < 0 && errno == EINTR) ;
  }
  _exit(code);
}

/* Async-signal-safe: unlink and nothing else. After the commit link the message
 * belongs to qmail-send and nothing may be removed. */
static void cleanup(void)
{
  struct stat st;
  if (committed) return;
  if (have_pid) unlink(pidpath);
  if (have_intd) unlink(intdpath);
  /* only our own inode: a failed link must not take someone else's name away */
  if (have_mess && !stat(messpath, &st) && (unsigned long)st.st_ino == messid) unlink(messpath);
}

static void die(int code)
{
  cleanup();
  leave(code);
}

/* A full disk or quota shows up wherever space is taken; the caller is told so. */
static void die_step(int code)
{
  die(errno == ENOSPC || errno == EDQUOT || errno == EFBIG ? QQ_EXIT_WRITE : code);
}

static void on_alarm(int sig)
{
  (void)sig;
  die(QQ_EXIT_TIMEOUT);
}

static void on_fault(int sig)
{
  (void)sig;
  die(QQ_EXIT_BUG);
}

/* Killed by the caller: clean up, then die of the same signal so it sees what it did. */
static void on_term(int sig)
{
  cleanup();
  signal(sig, SIG_DFL);
  raise(sig);
}

static void setup_signals(void)
{
  static int const term[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGXCPU, SIGVTALRM, SIGPROF };
  static int const fault[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGSYS, SIGTRAP, SIGABRT };
  struct sigaction sa;
  sigset_t all;
  size_t i;
  memset(&sa, 0, sizeof sa);
  sigfillset(&sa.sa_mask);     /* one handler at a time */
  sa.sa_handler = on_term;
  for (i = 0; i < sizeof term / sizeof term[0]; i++) sigaction(term[i], &sa, 0);
  sa.sa_handler = on_fault;
  for (i = 0; i < sizeof fault / sizeof fault[0]; i++) sigaction(fault[i], &sa, 0);
  sa.sa_handler = on_alarm;
  sigaction(SIGALRM, &sa, 0);
  /* A vanished qmail-send reader or a caller's file size limit must become an error
   * return (EPIPE, EFBIG), not a death that leaves files behind. */
  sa.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &sa, 0);
  sigaction(SIGXFSZ, &sa, 0);
  /* The caller's mask is inherited: an alarm it blocked would never fire. */
  sigemptyset(&all);
  sigprocmask(SIG_SETMASK, &all, 0);
}

/* fds 0 and 1 are the input; fd 2 must be open so that nothing of ours lands there
 * (the C library writes its last words to fd 2). */
static void setup_fds(void)
{
  if (fcntl(0, F_GETFD) < 0 || fcntl(1, F_GETFD) < 0) leave(QQ_EXIT_READ);
  if (fcntl(2, F_GETFD) < 0) {
    int fd = open("/dev/null", O_RDWR);
    if (fd != 2) leave(QQ_EXIT_BUG);
  }
}

static ssize_t readsome(int fd, char *s, size_t len)
{
  for (;;) {
    ssize_t r = read(fd, s, len);
    if (r >= 0) return r;
    if (errno == EINTR) continue;
    if (errno == EAGAIN) {   /* a caller left O_NONBLOCK on its pipe */
      struct pollfd p;
      p.fd = fd;
      p.events = POLLIN;
      p.revents = 0;
      if (poll(&p, 1, -1) < 0 && errno != EINTR) return -1;
      continue;
    }
    return -1;
  }
}

/* Fills buf from fd until it is full or at EOF; returns the new fill, -1 on error. */
static ssize_t fill(int fd, size_t have)
{
  while (have < sizeof buf) {
    ssize_t r = readsome(fd, buf + have, sizeof buf - have);
    if (r < 0) return -1;
    if (!r) break;
    have += (size_t)r;
  }
  return (ssize_t)have;
}

static int writeall(int fd, char const *s, size_t len)
{
  while (len) {
    ssize_t w = write(fd, s, len);
    if (w < 0) {
      if (errno == EINTR) continue;
      return 0;
    }
    s += w;
    len -= (size_t)w;
  }
  return 1;
}

/* An unnamed file (O_TMPFILE) in mess/<pid mod split>, or -1. Its inode is taken
 * from that directory's block group: with the split directories spread over the
 * disk (install's chattr +T), a busy queue's new inodes are spread too, instead of
 * all coming from pid/'s group (on an ext4 without a journal each allocation walks
 * past every recently freed inode of its group). -1 when the kernel or the
 * filesystem has no O_TMPFILE; then pid/ serves as before. A full disk is fatal. */
static int create_unnamed(unsigned long pid)
{
  char dir[QM_QUEUE_PATH_MAX];
  int fd;
  qm_queue_path_splitdir(dir, "mess", pid);
  fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0644);
  if (fd < 0 && (errno == ENOSPC || errno == EDQUOT)) die_step(QQ_EXIT_PID);
  return fd;
}

/* Names the unnamed file fd as path, through /proc/self/fd (linkat by descriptor
 * alone needs a privilege qmail-queue does not have). 0 done; -1 with errno. */
static int name_unnamed(int fd, char const *path)
{
  char proc[40] = "/proc/self/fd/";
  proc[14 + ulong_fmt(proc + 14, (unsigned long)fd)] = 0;
  return linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW);
}

/* Creates pid/<pid>.<time>.<seq> exclusively; its inode number becomes the id. */
static int create_pidfile(unsigned long pid, unsigned long now)
{
  unsigned seq;
  for (seq = 1; seq <= QQ_PIDTRIES; seq++) {
    int fd;
    size_t n = 0;
    memcpy(pidpath, "pid/", 4);
    n = 4 + ulong_fmt(pidpath + 4, pid);
    pidpath[n++] = '.';
    n += ulong_fmt(pidpath + n, now);
    pidpath[n++] = '.';
    n += ulong_fmt(pidpath + n, seq);
    pidpath[n] = 0;
    have_pid = 1;      /* the name is ours alone: pid, start time, seq */
    fd = open(pidpath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd >= 0) return fd;
    have_pid = 0;
    if (errno != EEXIST) die_step(QQ_EXIT_PID);
  }
  die(QQ_EXIT_PID);
  return -1;
}

/* intd/N is ours alone: only the holder of mess/S/N, whose inode is N, uses the
 * name, so one found there is debris of a killed writer and is replaced. */
static int create_intd(unsigned long pid)
{
  int fd = create_unnamed(pid);
  if (fd >= 0) {
    have_intd = 1;
    if (!name_unnamed(fd, intdpath)) return fd;
    if (errno == EEXIST && (unlink(intdpath) == 0 || errno == ENOENT) && !name_unnamed(fd, intdpath))
      return fd;
    have_intd = 0;
    /* no /proc to name it by: the named way below */
    if (errno != ENOENT) die_step(QQ_EXIT_INTD);
    close(fd);
  }
  have_intd = 1;
  fd = open(intdpath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0 && errno == EEXIST) {
    if (unlink(intdpath) < 0 && errno != ENOENT) die(QQ_EXIT_INTD);
    fd = open(intdpath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  }
  if (fd < 0) {
    have_intd = 0;
    die_step(QQ_EXIT_INTD);
  }
  return fd;
}

/* The message file's inode number is the id: every name follows from it. */
static void take_id(int fd, char *messdir, char *todopath)
{
  struct stat st;
  unsigned long id;
  if (fstat(fd, &st) < 0) die(QQ_EXIT_PID);
  id = (unsigned long)st.st_ino;
  messid = id;
  qm_queue_mess(messpath, id);
  qm_queue_path_splitdir(messdir, "mess", id);
  qm_queue_intd(intdpath, id);
  qm_queue_todo(todopath, id);
}

/* The message file, named mess/S/N (steps 2-4 of README): an unnamed file named
 * through /proc, else a pid/ file linked there. Returns its descriptor. */
static int create_message(unsigned long pid, unsigned long now, char *messdir, char *todopath)
{
  int fd = create_unnamed(pid);
  if (fd >= 0) {
    take_id(fd, messdir, todopath);
    have_mess = 1;
    if (!name_unnamed(fd, messpath)) return fd;
    have_mess = 0;
    if (errno != ENOENT) die_step(QQ_EXIT_MESS);
    /* no /proc: start again the named way (a new inode, so a new id) */
    close(fd);
  }
  fd = create_pidfile(pid, now);
  take_id(fd, messdir, todopath);
  have_mess = 1;
  if (link(pidpath, messpath) < 0) die_step(QQ_EXIT_MESS);
  if (unlink(pidpath) < 0) die(QQ_EXIT_PID);
  have_pid = 0;
  return fd;
}

/* The envelope header of intd/N: u<uid>\0p<pid>\0, the rest is the caller's records. */
static size_t put_intd_header(char *s, unsigned long uid, unsigned long pid)
{
  size_t n = 0;
  s[n++] = 'u';
  n += ulong_fmt(s + n, uid);
  s[n++] = 0;
  s[n++] = 'p';
  n += ulong_fmt(s + n, pid);
  s[n++] = 0;
  return n;
}

/* The caller's account name, read from /etc/passwd line by line (queue_passwd.h).
 * 1 found; 0 not there, unreadable, or past QUEUE_PASSWD_FILE_MAX. */
static int caller_name(unsigned long uid, char *name, size_t max)
{
  char b[4096], line[QUEUE_PASSWD_LINE_MAX];
  size_t ll = 0, total = 0;
  int skip = 0, found = 0;
  ssize_t r, i;
  int fd = open("/etc/passwd", O_RDONLY | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return 0;
  while (!found && total < QUEUE_PASSWD_FILE_MAX) {
    r = read(fd, b, sizeof b);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    total += (size_t)r;
    for (i = 0; i < r && !found; i++) {
      if (b[i] == '\n') {
        found = !skip && queue_passwd_line(line, ll, uid, name, max);
        ll = 0; skip = 0;
      } else if (ll < sizeof line) line[ll++] = b[i];
      else skip = 1;
    }
  }
  if (!found && ll && !skip && total < QUEUE_PASSWD_FILE_MAX) found = queue_passwd_line(line, ll, uid, name, max);
  close(fd);
  return found;
}

void queue_main(unsigned long uid, int status)
{
  unsigned long pid = (unsigned long)getpid();
  time_t now = time(0);
  char todopath[QM_QUEUE_PATH_MAX];
  char messdir[QM_QUEUE_PATH_MAX];
  char who[64];
  queue_env env;
  size_t have, used;
  ssize_t r;
  int messfd, intdfd = -1, rc;

  statusfd = status;
  setup_signals();
  setup_fds();
  umask(022);
  alarm(QQ_TIMEOUT);

  if (chdir(QM_HOME) < 0) leave(QQ_EXIT_HOME);
  if (chdir("queue") < 0) leave(QQ_EXIT_QUEUEDIR);

  /* The caller's account picks the wording: alias, qmaild, qmails, or its uid. */
  have = queue_received(buf, pid, queue_received_who(caller_name(uid, who, sizeof who) ? who : 0), uid, now);

  messfd = create_message(pid, (unsigned long)now, messdir, todopath);

  /* The message: the Received line is already at the front of buf. */
  for (;;) {
    r = fill(0, have);
    if (r < 0) die(QQ_EXIT_READ);
    if (!writeall(messfd, buf, (size_t)r)) die(QQ_EXIT_WRITE);
    if ((size_t)r < sizeof buf) break;    /* EOF */
    have = 0;
  }

  /* The envelope, checked as it streams into intd/N, which is created only once
   * the first buffer is known good. */
  queue_env_init(&env);
  have = put_intd_header(buf, uid, pid);
  for (;;) {
    r = readsome(1, buf + have, sizeof buf - have);
    if (r < 0) die(QQ_EXIT_READ);
    if (!r) die(QQ_EXIT_READ);    /* EOF before the final NUL */
    rc = queue_env_feed(&env, buf + have, (size_t)r, &used);
    if (rc < 0) die(env.error == QUEUE_ENV_EFORMAT ? QQ_EXIT_ENVELOPE : QQ_EXIT_ADDR_TOO_LONG);
    have += used;
    if (rc > 0) have--;           /* the final NUL is not stored */
    if (rc > 0 || have == sizeof buf) {
      if (intdfd < 0) intdfd = create_intd(pid);
      if (!writeall(intdfd, buf, have)) die(QQ_EXIT_WRITE);
      have = 0;
    }
    if (rc > 0) break;
  }

  /* Durability before the commit: both files, then the two directory entries. The
   * fsyncs come together so that the first forces one journal commit for all;
   * starting intd/N's writeback first lets that commit carry its blocks too (on
   * ext4 the second fsync then finds its transaction done: one commit, not two). */
  (void)sync_file_range(intdfd, 0, 0, SYNC_FILE_RANGE_WRITE);
  if (fsync(messfd) < 0) die(QQ_EXIT_WRITE);
  if (fsync(intdfd) < 0) die(QQ_EXIT_WRITE);
  if (!qm_queue_fsyncdir(messdir)) die_step(QQ_EXIT_MESS);
  if (!qm_queue_fsyncdir("intd")) die_step(QQ_EXIT_INTD);

  /* The commit. committed is set first: a signal between the two leaves debris for
   * the cleanup scan, never a todo/N whose files were removed under it. */
  committed = 1;
  if (link(intdpath, todopath) < 0) {
    committed = 0;
    die_step(QQ_EXIT_TODO);
  }
  /* From here the message is qmail-send's. A failure now may mean a duplicate after
   * the caller retries, never a loss. */
  if (!qm_queue_fsyncdir("todo")) leave(QQ_EXIT_TODO);
  qm_queue_trigger();
  leave(QQ_EXIT_OK);
}
