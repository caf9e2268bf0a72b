/* qq-crash: proves qmail-queue's crash promise on the real binary. It runs
 * qmail-queue under ptrace and SIGKILLs it on entry to its k-th filesystem-changing
 * system call, for k = 1, 2, ... until a run completes; after every kill the queue
 * must hold no todo/ entry and nothing outside pid/, mess/ and intd/ (that debris is
 * then removed). The completed run's trace is checked for the power-loss order:
 * every file and directory fsynced after its last change and before the commit
 * link, the todo/ directory fsynced after it. A test program: never installed.
 *
 *   qq-crash [-u uid] [-g gid] [-x code] [-s sig [-e code]] qmail-queue queuedir message envelope
 *
 * -x code: the exit code the complete run must give (default 0); with a non-zero
 * code the queue must also be left empty. -s sig: kill with sig instead of SIGKILL;
 * for a signal qmail-queue catches, every kill before the commit must leave nothing
 * at all (its handler cleans up), after the commit the message must stay whole;
 * -e code: the handler exits with code instead of dying of the signal. Prints "ok: ..." and exits 0, or says
 * what broke and exits 1; 77 when the machine cannot do it (not x86_64, no ptrace). */
#include <dirent.h>
#include <limits.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__x86_64__)
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>

#ifndef O_TMPFILE
#define O_TMPFILE (020000000 | O_DIRECTORY)
#endif
#define MAXEV 4096
#define PATHMAX 256
#define MAXFD 64
#define MAXRUNS 1000

enum evkind { EV_WRITE, EV_FSYNC, EV_LINK, EV_OPEN, EV_OTHER };

struct event {
  enum evkind kind;
  char what[PATHMAX];     /* the fd's path (write, fsync), the new name (link) */
  char from[PATHMAX];     /* link: the old name */
};

static struct event ev[MAXEV];
static size_t nev;
static char fdpath[MAXFD][PATHMAX];

static int verbose;
static int killsig = SIGKILL;
static int killexit = -1;     /* -e: the exit code of the signal's handler */

static void die(char const *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  fputs("qq-crash: FAILED: ", stdout);
  vprintf(fmt, ap);
  fputs("\n", stdout);
  va_end(ap);
  exit(1);
}

static void peekstr(pid_t pid, unsigned long addr, char *out, size_t max)
{
  size_t i = 0;
  while (i + 1 < max) {
    long w;
    size_t j;
    errno = 0;
    w = ptrace(PTRACE_PEEKDATA, pid, (void *)(addr + i), 0);
    if (errno) break;
    for (j = 0; j < sizeof w && i + 1 < max; j++, i++) {
      out[i] = ((char *)&w)[j];
      if (!out[i]) return;
    }
  }
  out[i] = 0;
}

static void add(enum evkind k, char const *what, char const *from)
{
  if (nev >= MAXEV) die("too many events");
  ev[nev].kind = k;
  snprintf(ev[nev].what, PATHMAX, "%s", what);
  snprintf(ev[nev].from, PATHMAX, "%s", from ? from : "");
  nev++;
}

static char const *fdname(unsigned long fd)
{
  return fd < MAXFD ? fdpath[fd] : "?";
}

/* Is this system call one that changes the filesystem (or makes it durable)? Fills
 * the event to record when it succeeds. */
static int mutating(pid_t pid, struct user_regs_struct const *r, struct event *e)
{
  char p[PATHMAX], q[PATHMAX];
  unsigned long flags;
  e->kind = EV_OTHER;
  e->what[0] = e->from[0] = 0;
  switch (r->orig_rax) {
  case SYS_open:
  case SYS_openat:
    if (r->orig_rax == SYS_open) { peekstr(pid, r->rdi, p, sizeof p); flags = r->rsi; }
    else { peekstr(pid, r->rsi, p, sizeof p); flags = r->rdx; }
    e->kind = EV_OPEN;
    /* an unnamed file gets a name of its own until a link names it (below) */
    if ((flags & O_TMPFILE) == O_TMPFILE) {
      static unsigned long unnamed;
      snprintf(e->what, PATHMAX, "%.200s (unnamed %lu)", p, ++unnamed);
    } else snprintf(e->what, PATHMAX, "%s", p);
    return (flags & (O_CREAT | O_WRONLY | O_RDWR | O_TRUNC)) != 0;
  case SYS_creat: case SYS_truncate: case SYS_ftruncate: case SYS_mkdir: case SYS_mkdirat:
  case SYS_rmdir: case SYS_chmod: case SYS_fchmod: case SYS_fchmodat: case SYS_chown:
  case SYS_fchown: case SYS_lchown: case SYS_fchownat: case SYS_mknod: case SYS_mknodat:
  case SYS_symlink: case SYS_symlinkat: case SYS_fallocate: case SYS_utimensat:
  case SYS_rename: case SYS_renameat: case SYS_renameat2:
  case SYS_unlink: case SYS_unlinkat: case SYS_sync_file_range: case SYS_syncfs: case SYS_sync:
    return 1;
  case SYS_write: case SYS_pwrite64: case SYS_writev: case SYS_pwritev: case SYS_pwritev2:
    e->kind = EV_WRITE;
    snprintf(e->what, PATHMAX, "%s", fdname(r->rdi));
    return 1;
  case SYS_fsync: case SYS_fdatasync:
    e->kind = EV_FSYNC;
    snprintf(e->what, PATHMAX, "%s", fdname(r->rdi));
    return 1;
  case SYS_link:
    peekstr(pid, r->rdi, p, sizeof p);
    peekstr(pid, r->rsi, q, sizeof q);
    e->kind = EV_LINK;
    snprintf(e->from, PATHMAX, "%s", p);
    snprintf(e->what, PATHMAX, "%s", q);
    return 1;
  case SYS_linkat:
    peekstr(pid, r->rsi, p, sizeof p);
    peekstr(pid, r->r10, q, sizeof q);
    e->kind = EV_LINK;
    snprintf(e->from, PATHMAX, "%s", p);
    snprintf(e->what, PATHMAX, "%s", q);
    return 1;
  default:
    return 0;
  }
}

/* One run, killed on entry to mutating call number killat (0: never). Returns the
 * exit code, or -1 if it was killed. The events of a run are recorded in ev[]. */
static int run(char const *prog, char const *msg, char const *env, uid_t uid, gid_t gid,
               unsigned long killat, unsigned long *nmut)
{
  pid_t pid;
  int status, entering = 1;
  struct event pending;
  int pending_ok = 0;
  unsigned long count = 0;

  nev = 0;
  memset(fdpath, 0, sizeof fdpath);
  snprintf(fdpath[0], PATHMAX, "<message>");
  snprintf(fdpath[1], PATHMAX, "<envelope>");
  snprintf(fdpath[2], PATHMAX, "<stderr>");
  pid = fork();
  if (pid < 0) die("fork: %s", strerror(errno));
  if (!pid) {
    int m = open(msg, O_RDONLY), e = open(env, O_RDONLY);
    if (m < 0 || e < 0) _exit(126);
    if (dup2(m, 0) < 0 || dup2(e, 1) < 0) _exit(126);
    close(m);
    close(e);
    /* attach while still root: the kernel keeps the credentials of the moment of
     * attaching, and honours the setuid bit at exec only for a capable tracer */
    if (ptrace(PTRACE_TRACEME, 0, 0, 0) < 0) _exit(125);
    if (gid != (gid_t)-1 && (setgroups(0, 0) < 0 || setgid(gid) < 0)) _exit(126);
    if (uid != (uid_t)-1 && setuid(uid) < 0) _exit(126);
    execl(prog, prog, (char *)0);
    _exit(127);
  }
  if (waitpid(pid, &status, 0) < 0) die("waitpid: %s", strerror(errno));
  if (!WIFSTOPPED(status)) {
    if (WIFEXITED(status) && WEXITSTATUS(status) == 125) { puts("qq-crash: ptrace refused"); exit(77); }
    die("child did not stop at exec (status %d)", status);
  }
  if (ptrace(PTRACE_SETOPTIONS, pid, 0, (void *)(long)(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL)) < 0)
    die("PTRACE_SETOPTIONS: %s", strerror(errno));
  for (;;) {
    int sig = 0;
    if (ptrace(PTRACE_SYSCALL, pid, 0, 0) < 0) die("PTRACE_SYSCALL: %s", strerror(errno));
    if (waitpid(pid, &status, 0) < 0) die("waitpid: %s", strerror(errno));
    if (WIFEXITED(status)) { *nmut = count; return killat && count >= killat && WEXITSTATUS(status) == killexit ? -1 : WEXITSTATUS(status); }
    if (WIFSIGNALED(status)) { *nmut = count; return WTERMSIG(status) == killsig && killat ? -1 : 1000 + WTERMSIG(status); }
    if (!WIFSTOPPED(status)) continue;
    if (WSTOPSIG(status) != (SIGTRAP | 0x80)) {
      /* a real signal for the child: pass it on */
      sig = WSTOPSIG(status);
      if (ptrace(PTRACE_SYSCALL, pid, 0, (void *)(long)sig) < 0) die("PTRACE_SYSCALL: %s", strerror(errno));
      if (waitpid(pid, &status, 0) < 0) die("waitpid: %s", strerror(errno));
      if (WIFEXITED(status)) { *nmut = count; return killat && count >= killat && WEXITSTATUS(status) == killexit ? -1 : WEXITSTATUS(status); }
      if (WIFSIGNALED(status)) { *nmut = count; return WTERMSIG(status) == killsig && killat ? -1 : 1000 + WTERMSIG(status); }
      continue;
    }
    {
      struct user_regs_struct r;
      if (ptrace(PTRACE_GETREGS, pid, 0, &r) < 0) die("PTRACE_GETREGS: %s", strerror(errno));
      if (entering) {
        pending_ok = 0;
        if (mutating(pid, &r, &pending)) {
          count++;
          if (verbose) printf("  #%lu %lld %s %s\n", count, (long long)r.orig_rax, pending.from, pending.what);
          if (killat && count == killat) {
            kill(pid, killsig);
            if (killsig == SIGKILL) {
              waitpid(pid, &status, 0);
              *nmut = count;
              return -1;
            }
            /* a catchable signal: the call runs, then the handler; trace on */
          }
          pending_ok = 1;
        } else if (pending.kind == EV_OPEN) {
          pending_ok = 1;   /* read-only opens still name fds (directories) */
        }
        if (r.orig_rax == SYS_close && r.rdi < MAXFD) fdpath[r.rdi][0] = 0;
      } else if (pending_ok && (long long)r.rax >= 0) {
        if (pending.kind == EV_OPEN) {
          if (r.rax < MAXFD) snprintf(fdpath[r.rax], PATHMAX, "%s", pending.what);
          add(EV_OPEN, pending.what, 0);
        } else if (pending.kind == EV_LINK && !strncmp(pending.from, "/proc/self/fd/", 14)) {
          /* an unnamed file named through /proc: from now on, and for everything
           * done to it before, it is the file at the new name */
          unsigned long k = strtoul(pending.from + 14, 0, 10);
          size_t i;
          if (k < MAXFD && fdpath[k][0]) {
            for (i = 0; i < nev; i++)
              if ((ev[i].kind == EV_WRITE || ev[i].kind == EV_FSYNC || ev[i].kind == EV_OPEN)
                  && !strcmp(ev[i].what, fdpath[k]))
                snprintf(ev[i].what, PATHMAX, "%s", pending.what);
            snprintf(fdpath[k], PATHMAX, "%s", pending.what);
          }
          add(EV_LINK, pending.what, pending.what);
        } else if (pending.kind != EV_OTHER) {
          add(pending.kind, pending.what, pending.from);
        }
      }
      entering = !entering;
    }
  }
}

/* Walks dir, counting regular files; with rm, removes them. */
static unsigned long files(char const *dir, int rm)
{
  DIR *d = opendir(dir);
  struct dirent *de;
  unsigned long n = 0;
  if (!d) die("opendir %s: %s", dir, strerror(errno));
  while ((de = readdir(d))) {
    char p[PATHMAX * 2];
    struct stat st;
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
    snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
    if (lstat(p, &st) < 0) die("lstat %s: %s", p, strerror(errno));
    if (S_ISDIR(st.st_mode)) n += files(p, rm);
    else {
      n++;
      if (rm && unlink(p) < 0) die("unlink %s: %s", p, strerror(errno));
    }
  }
  closedir(d);
  return n;
}

/* After a kill or a failed run: nothing visible to qmail-send, debris only where
 * the cleanup looks. Removes the debris. */
static void check_invisible(char const *why, int allow_debris)
{
  static char const *const never[] = { "todo", "info", "local", "remote", "bounce" };
  static char const *const debris[] = { "pid", "mess", "intd" };
  size_t i;
  unsigned long n = 0;
  for (i = 0; i < sizeof never / sizeof never[0]; i++)
    if (files(never[i], 0)) die("%s: files in %s/", why, never[i]);
  for (i = 0; i < sizeof debris / sizeof debris[0]; i++) n += files(debris[i], 1);
  if (n && !allow_debris) die("%s: %lu files left behind in pid/, mess/, intd/", why, n);
}

static long find(enum evkind k, char const *prefix, size_t from, size_t to)
{
  size_t i;
  for (i = from; i < to && i < nev; i++)
    if (ev[i].kind == k && !strncmp(ev[i].what, prefix, strlen(prefix))) return (long)i;
  return -1;
}

static long findlast(enum evkind k, char const *prefix, size_t to)
{
  long i, last = -1;
  for (i = 0; i < (long)to && i < (long)nev; i++)
    if (ev[i].kind == k && !strncmp(ev[i].what, prefix, strlen(prefix))) last = i;
  return last;
}

/* The power-loss order, read from the complete run's trace. */
static void check_order(void)
{
  long commit = find(EV_LINK, "todo/", 0, nev), l, w, f;
  char messdir[PATHMAX], *slash;
  char const *id;
  size_t i;
  if (commit < 0) die("trace: no link into todo/");
  if (find(EV_LINK, "todo/", (size_t)commit + 1, nev) >= 0) die("trace: two links into todo/");
  if (strncmp(ev[commit].from, "intd/", 5)) die("trace: todo/ linked from %s, not intd/", ev[commit].from);
  id = ev[commit].what + 5;
  if (strcmp(ev[commit].from + 5, id)) die("trace: intd/%s linked to todo/%s", ev[commit].from + 5, id);
  /* the message: pid/ file linked to mess/S/N */
  l = find(EV_LINK, "mess/", 0, nev);
  if (l < 0 || l > commit) die("trace: no link into mess/ before the commit");
  slash = strrchr(ev[l].what, '/');
  if (!slash || strcmp(slash + 1, id)) die("trace: mess name %s does not end in the id %s", ev[l].what, id);
  snprintf(messdir, sizeof messdir, "%.*s", (int)(slash - ev[l].what), ev[l].what);
  w = findlast(EV_WRITE, ev[l].from, nev);
  f = find(EV_FSYNC, ev[l].from, w < 0 ? 0 : (size_t)w, (size_t)commit);
  if (w < 0) die("trace: no write into the message file");
  if (f < 0) die("trace: message file not fsynced after its last write and before the commit");
  /* the envelope file */
  w = findlast(EV_WRITE, ev[commit].from, nev);
  if (w < 0) die("trace: no write into %s", ev[commit].from);
  if (w > commit) die("trace: %s written after the commit", ev[commit].from);
  if (find(EV_FSYNC, ev[commit].from, (size_t)w, (size_t)commit) < 0)
    die("trace: %s not fsynced after its last write and before the commit", ev[commit].from);
  /* the directory entries the commit depends on */
  for (i = 0; i < nev; i++)
    if (ev[i].kind == EV_FSYNC && !strcmp(ev[i].what, messdir) && (long)i > l && (long)i < commit) break;
  if (i == nev) die("trace: directory %s not fsynced between its link and the commit", messdir);
  for (i = 0; i < nev; i++)
    if (ev[i].kind == EV_FSYNC && !strcmp(ev[i].what, "intd") && (long)i < commit) break;
  if (i == nev) die("trace: directory intd not fsynced before the commit");
  for (i = (size_t)commit; i < nev; i++)
    if (ev[i].kind == EV_FSYNC && !strcmp(ev[i].what, "todo")) break;
  if (i == nev) die("trace: directory todo not fsynced after the commit");
  /* nothing the commit depends on changes after it */
  for (i = (size_t)commit + 1; i < nev; i++)
    if (ev[i].kind == EV_WRITE && (!strcmp(ev[i].what, ev[commit].from) || !strcmp(ev[i].what, ev[l].from)))
      die("trace: queue file written after the commit");
}

static char *slurp(char const *path, size_t *len)
{
  struct stat st;
  char *b;
  int fd = open(path, O_RDONLY);
  if (fd < 0 || fstat(fd, &st) < 0) die("open %s: %s", path, strerror(errno));
  b = malloc((size_t)st.st_size + 1);
  if (!b) die("out of memory");
  *len = 0;
  while (*len < (size_t)st.st_size) {
    ssize_t r = read(fd, b + *len, (size_t)st.st_size - *len);
    if (r <= 0) die("read %s", path);
    *len += (size_t)r;
  }
  close(fd);
  return b;
}

/* After a complete run or a kill past the commit: exactly one message, whole. */
static void check_committed(char const *why, char const *msgpath, char const *envpath)
{
  DIR *d = opendir("todo");
  struct dirent *de;
  char id[PATHMAX] = "", p[PATHMAX * 2];
  char *msg, *env, *mess, *todo, *nl;
  size_t msglen, envlen, messlen, todolen, at;
  unsigned long s, n = 0;
  if (!d) die("opendir todo: %s", strerror(errno));
  while ((de = readdir(d))) if (de->d_name[0] != '.') { n++; snprintf(id, sizeof id, "%s", de->d_name); }
  closedir(d);
  if (n != 1) die("%s: todo/ holds %lu entries, want 1", why, n);
  for (s = 0; ; s++) {
    struct stat st;
    snprintf(p, sizeof p, "mess/%lu/%s", s, id);
    if (!stat(p, &st)) break;
    if (s > 1000) die("%s: no mess file for todo/%s", why, id);
  }
  msg = slurp(msgpath, &msglen);
  env = slurp(envpath, &envlen);
  mess = slurp(p, &messlen);
  snprintf(p, sizeof p, "todo/%s", id);
  todo = slurp(p, &todolen);
  nl = memchr(mess, '\n', messlen);
  if (messlen < 17 || memcmp(mess, "Received: (qmail ", 17) || !nl) die("%s: mess does not start with the Received line", why);
  if ((size_t)(mess + messlen - (nl + 1)) != msglen || memcmp(nl + 1, msg, msglen)) die("%s: mess body differs from the message", why);
  /* u<uid>\0p<pid>\0 then the envelope without its final NUL */
  at = 0;
  if (todolen < 2 || todo[0] != 'u') die("%s: todo/%s does not start with u", why, id);
  at = strlen(todo) + 1;
  if (at >= todolen || todo[at] != 'p') die("%s: todo/%s has no p record second", why, id);
  at += strlen(todo + at) + 1;
  if (todolen - at != envlen - 1 || memcmp(todo + at, env, envlen - 1)) die("%s: todo/%s envelope differs", why, id);
  free(msg); free(env); free(mess); free(todo);
}

static void clean_all(void)
{
  static char const *const dirs[] = { "pid", "mess", "intd", "todo" };
  size_t i;
  for (i = 0; i < sizeof dirs / sizeof dirs[0]; i++) files(dirs[i], 1);
}

int main(int argc, char **argv)
{
  uid_t uid = (uid_t)-1;
  gid_t gid = (gid_t)-1;
  int want = 0, opt, rc;
  unsigned long k, nmut = 0, fsyncs = 0, commit_k = 0, total, dummy;
  size_t i;
  while ((opt = getopt(argc, argv, "u:g:x:s:e:v")) != -1) {
    switch (opt) {
    case 'u': uid = (uid_t)strtoul(optarg, 0, 10); break;
    case 'g': gid = (gid_t)strtoul(optarg, 0, 10); break;
    case 'x': want = atoi(optarg); break;
    case 's': killsig = atoi(optarg); break;
    case 'e': killexit = atoi(optarg); break;
    case 'v': verbose = 1; break;
    default: fputs("usage: qq-crash [-u uid] [-g gid] [-x code] [-s sig [-e code]] qmail-queue queuedir message envelope\n", stderr); return 100;
    }
  }
  if (argc - optind != 4) { fputs("qq-crash: need qmail-queue queuedir message envelope\n", stderr); return 100; }
  {
    char absprog[PATH_MAX], absmsg[PATH_MAX], absenv[PATH_MAX];
    if (!realpath(argv[optind], absprog) || !realpath(argv[optind + 2], absmsg) || !realpath(argv[optind + 3], absenv))
      die("realpath: %s", strerror(errno));
    if (chdir(argv[optind + 1]) < 0) die("chdir %s: %s", argv[optind + 1], strerror(errno));
    check_invisible("before the first run", 0);

    /* The complete run, traced: its result, its order, its count of steps. */
    rc = run(absprog, absmsg, absenv, uid, gid, 0, &total);
    if (rc != want) die("complete run exited %d, want %d", rc, want);
    for (i = 0; i < nev; i++) if (ev[i].kind == EV_FSYNC) fsyncs++;
    if (want == 0) {
      check_order();
      check_committed("complete run", absmsg, absenv);
      /* kill at every call; the first run whose trace holds the todo link tells
       * which call was the commit */
      clean_all();
      for (k = 1; k <= total; k++) {
        rc = run(absprog, absmsg, absenv, uid, gid, k, &dummy);
        if (rc != -1) die("run to be killed at call %lu exited %d", k, rc);
        if (!commit_k && find(EV_LINK, "todo/", 0, nev) >= 0) commit_k = k - 1;
        /* killed on entry to call k: calls 1..k-1 happened */
        if (commit_k && k > commit_k) {
          char why[64];
          snprintf(why, sizeof why, "killed at call %lu, after the commit", k);
          check_committed(why, absmsg, absenv);
          clean_all();
        } else {
          char why[64];
          snprintf(why, sizeof why, "killed at call %lu", k);
          check_invisible(why, killsig == SIGKILL);
        }
        nmut++;
      }
    } else {
      check_invisible("complete failing run", 0);
      for (k = 1; k <= total; k++) {
        char why[64];
        rc = run(absprog, absmsg, absenv, uid, gid, k, &dummy);
        if (rc != -1) die("run to be killed at call %lu exited %d", k, rc);
        snprintf(why, sizeof why, "killed at call %lu", k);
        check_invisible(why, killsig == SIGKILL);
        nmut++;
      }
    }
    printf("ok: %lu kills (%lu of them after the commit), %lu mutating calls and %lu fsyncs in a complete run, exit %d\n",
           nmut, commit_k ? total - commit_k : 0, total, fsyncs, want);
  }
  return 0;
}

#else
#include <stdio.h>
int main(void)
{
  puts("qq-crash: x86_64 only");
  return 77;
}
#endif
