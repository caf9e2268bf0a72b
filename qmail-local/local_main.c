/* qmail-local's delivery, as a function: delivers one message to one local
 * address, as the address's owner, by the instructions in the owner's .qmail
 * files: Maildir, mbox, program, forward. The qmail-local program is this and
 * nothing else; qmail-lspawn calls it in the child it forked for the delivery,
 * once that child has become the owner (qmail-lspawn(8) says why not by exec).
 * Trusts its arguments' shape (qmail-lspawn chose the account), not the address's
 * bytes (the envelope's) nor the message. Never runs as root, never lets an address
 * reach a shell or name a file outside the home, never delivers through a .qmail
 * file or home that others may write. Writes the delivery report to stdout/stderr. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/buffer.h>
#include <skalibs/gccattributes.h>
#include <skalibs/sgetopt.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>

#include "local_dotqmail.h"
#include "local_env.h"
#include "local_header.h"
#include "local_io.h"
#include "local_main.h"
#include "local_maildir.h"
#include "local_mbox.h"
#include "local_prog.h"
#include "local_search.h"
#include "qm_conf.h"
#include "qm_exit.h"
#include "qm_qq.h"

#define USAGE "qmail-local [ -nN ] user home local dash ext domain sender defaultdelivery"
#define LOCAL_FILE_TIMEOUT 86400   /* seconds a Maildir or mbox write may take */
#define LOCAL_ARG_MAX 4096         /* longest local part, domain or sender */
/* Mode bits that make a home or .qmail file unsafe: conf-patrn's, and always
 * group and world write, since either lets another user choose the deliveries. */
#define UNSAFE_MODE (QM_PATRN | S_IWGRP | S_IWOTH)

extern char **environ;

typedef struct ql_s {
  char const *user, *home, *local, *dash, *ext, *domain, *sender, *dflt;
  int dryrun;
  stralloc dtline, rpline, ufline, newsender, qmail, deflt;
  int hasdeflt;                /* a -default file matched: DEFAULT is set */
  char host[LOCAL_HOST_MAX + 1];
  unsigned long seq;           /* Maildir deliveries so far */
  size_t files, forwards, programs;
} ql;

/* The report is read by people in bounces and logs: plain sentences, with the
 * enhanced status code, and no program-name prefix. */
static void die(int code, char const *a, char const *b, char const *c) gccattr_noreturn;
static void die_nomem(void) gccattr_noreturn;
static void die_sys(char const *what, char const *name) gccattr_noreturn;

static void die(int code, char const *a, char const *b, char const *c)
{
  strerr_die(code, a, b, c);
}

static void die_nomem(void)
{
  die(QM_EXIT_TEMP, "Out of memory. (#4.3.0)", "", "");
}

static void die_sys(char const *what, char const *name)
{
  strerr_die(QM_EXIT_TEMP, what, name, ": ", strerror(errno), ". (#4.3.0)");
}

static int unsafe(char const *s)
{
  for (; *s; s++)
    if ((unsigned char)*s < 32 || *s == 127) return 1;
  return 0;
}

static void check_args(ql const *q)
{
  if (q->home[0] != '/') die(QM_EXIT_TEMP, "Home directory is not an absolute path. (#4.3.0)", "", "");
  if (strlen(q->local) > LOCAL_ARG_MAX || strlen(q->domain) > LOCAL_ARG_MAX
      || strlen(q->sender) > LOCAL_ARG_MAX)
    die(QM_EXIT_PERM, "Sorry, address too long. (#5.1.3)", "", "");
  /* the extension names a .qmail file and the local part holds it: neither may
   * leave the home (/) or break a header line (CR, LF, other controls) */
  if (unsafe(q->local) || unsafe(q->domain) || !local_ext_ok(q->ext, strlen(q->ext))
      || strchr(q->dash, '/'))
    die(QM_EXIT_PERM, "Sorry, address contains characters not allowed in a mailbox name. (#5.1.3)", "", "");
}

static void check_home(void)
{
  struct stat st;
  if (stat(".", &st) < 0) die_sys("Unable to stat home directory ", ".");
  /* a home others can write lets them write .qmail files for this user */
  if (st.st_mode & (UNSAFE_MODE | S_ISVTX))
    die(QM_EXIT_TEMP, "Uh-oh: home directory is writable. (#4.7.0)", "", "");
}

static void loop_check(ql const *q)
{
  local_hdr h;
  char buf[LOCAL_IO_BUFSIZE];
  local_hdr_init(&h, q->dtline.s, q->dtline.len);
  if (lseek(0, 0, SEEK_SET) < 0) die_sys("Unable to rewind message", "");
  for (;;) {
    ssize_t r = fd_read(0, buf, sizeof buf);
    if (r < 0) die_sys("Unable to read message", "");
    if (!r || local_hdr_feed(&h, buf, (size_t)r)) break;
  }
  if (h.verdict == LOCAL_HDR_MYLINE)
    die(QM_EXIT_PERM, "This message is looping: it already has my Delivered-To line. (#5.4.6)", "", "");
  if (h.verdict == LOCAL_HDR_HOPS)
    die(QM_EXIT_PERM, "This message is looping: too many hops. (#5.4.6)", "", "");
}

/* 1 exists, 0 not; a temporary error is a temporary failure. */
static int exists(char const *name)
{
  struct stat st;
  if (stat(name, &st) == 0) return 1;
  if (errno == ENOENT || errno == ENOTDIR || errno == ENAMETOOLONG) return 0;
  die_sys("Unable to look at ", name);
}

static void set_newsender(ql *q)
{
  stralloc name = STRALLOC_ZERO;
  q->newsender.len = 0;
  if (!*q->sender || !strcmp(q->sender, "#@[]")) goto plain;
  if (!local_search_name(&name, q->dash, q->ext, "-owner")) die_nomem();
  if (!exists(name.s)) goto plain;
  if (!local_search_name(&name, q->dash, q->ext, "-owner-default")) die_nomem();
  if (!stralloc_cats(&q->newsender, q->local) || !stralloc_cats(&q->newsender, "-owner"))
    die_nomem();
  if (exists(name.s)) {
    if (!stralloc_cats(&q->newsender, "-@") || !stralloc_cats(&q->newsender, q->domain)
        || !stralloc_cats(&q->newsender, "-@[]")) die_nomem();
  } else if (!stralloc_catb(&q->newsender, "@", 1) || !stralloc_cats(&q->newsender, q->domain))
    die_nomem();
  goto done;
plain:
  if (!stralloc_cats(&q->newsender, q->sender)) die_nomem();
done:
  if (!stralloc_0(&q->newsender)) die_nomem();
  stralloc_free(&name);
}

/* Finds the .qmail file and reads it into q->qmail. 1 found (fwdonly set from its
 * execute bit), 0 none and the address has an empty dash (use defaultdelivery). */
static int find_dotqmail(ql *q, int *fwdonly)
{
  local_search s;
  stralloc name = STRALLOC_ZERO;
  size_t deflt;
  struct stat st;
  int fd = -1, r;
  local_search_init(&s, q->dash, q->ext);
  while ((r = local_search_next(&s, &name, &deflt)) > 0) {
    fd = open(name.s, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) continue;
      die_sys("Unable to open ", name.s);
    }
    if (fstat(fd, &st) < 0) die_sys("Unable to stat ", name.s);
    if (S_ISREG(st.st_mode)) break;
    close(fd);
    fd = -1;
  }
  if (r < 0) die_nomem();
  if (fd < 0) {
    if (*q->dash)
      die(QM_EXIT_PERM, "Sorry, no mailbox here by that name. (#5.1.1)", "", "");
    stralloc_free(&name);
    return 0;
  }
  if (st.st_mode & UNSAFE_MODE)
    die(QM_EXIT_TEMP, "Uh-oh: ", name.s, " is writable. (#4.7.0)");
  if (st.st_uid != geteuid() && st.st_uid != 0)
    die(QM_EXIT_TEMP, "Uh-oh: ", name.s, " belongs to another user. (#4.7.0)");
  if (st.st_size > (off_t)LOCAL_DOTQMAIL_MAX)
    die(QM_EXIT_TEMP, "Uh-oh: ", name.s, " is too large. (#4.7.0)");
  *fwdonly = !!(st.st_mode & S_IXUSR);
  q->qmail.len = 0;
  if (!stralloc_ready(&q->qmail, (size_t)st.st_size + 1)) die_nomem();
  {
    size_t got;
    errno = 0;
    got = allread(fd, q->qmail.s, (size_t)st.st_size + 1);
    if (got > (size_t)st.st_size || (got < (size_t)st.st_size && errno))
      die(QM_EXIT_TEMP, "Unable to read ", name.s, " completely. (#4.3.0)");
    q->qmail.len = got;
  }
  close(fd);
  if (deflt != LOCAL_SEARCH_EXACT) {
    q->hasdeflt = 1;
    if (!stralloc_cats(&q->deflt, q->ext + deflt)) die_nomem();
  }
  if (!stralloc_0(&q->deflt)) die_nomem();
  stralloc_free(&name);
  return 1;
}

static void say(char const *a, char const *b, size_t n)
{
  if (buffer_puts(buffer_1, a) < 0 || buffer_put(buffer_1, b, n) < 0
      || buffer_puts(buffer_1, "\n") < 0) die_sys("Unable to write report", "");
}

/* One Maildir or mbox line; a failure ends qmail-local with a temporary failure. */
static void deliver_file(ql *q, enum local_kind kind, char const *t, size_t tl, stralloc *why)
{
  int ok;
  if (q->dryrun) {
    say(kind == LOCAL_MAILDIR ? "maildir " : "mbox ", t, tl);
    q->files++;
    return;
  }
  alarm(LOCAL_FILE_TIMEOUT);
  ok = kind == LOCAL_MAILDIR
    ? local_maildir_deliver(t, 0, q->rpline.s, q->dtline.s, q->host, &q->seq, why)
    : local_mbox_deliver(t, 0, q->ufline.s, q->rpline.s, q->dtline.s, why);
  alarm(0);
  if (!ok) {
    if (!why->len) die_nomem();
    die(QM_EXIT_TEMP, why->s, "", "");
  }
  q->files++;
}

static char const *target(char *text, local_instr const *in)
{
  text[in->off + in->len] = 0;   /* ends the line in place: the text is ours */
  return text + in->off;
}

/* Runs one program line: 0 delivered, 99 delivered and the file ends here. A
 * failure ends qmail-local with the program's verdict. */
static int deliver_program(ql *q, char const *cmd, stralloc *envs, char const ***envp)
{
  int wstat, code;
  if (!*envp) {
    local_envin in;
    size_t n = 0, max;
    char **e;
    for (e = environ; *e; e++) n++;
    in.sender = q->sender; in.newsender = q->newsender.s; in.user = q->user;
    in.home = q->home; in.local = q->local; in.domain = q->domain; in.ext = q->ext;
    in.deflt = q->hasdeflt ? q->deflt.s : 0;
    in.dtline = q->dtline.s; in.rpline = q->rpline.s; in.ufline = q->ufline.s;
    if (!local_env_vars(envs, &in)) die_nomem();
    max = n + 32;
    *envp = malloc(max * sizeof **envp);
    if (!*envp) die_nomem();
    if (local_env_merge(*envp, max, (char const *const *)environ, envs->s, envs->len)
        == (size_t)-1) die_nomem();
  }
  if (!local_prog_run(cmd, *envp, 0, &wstat)) die_sys("Unable to run program", "");
  code = local_prog_status(wstat);
  if (code == QM_EXIT_PERM || code == QM_EXIT_TEMP) {
    if (WIFSIGNALED(wstat)) {
      char num[UINT_FMT];
      num[uint_fmt(num, (unsigned int)WTERMSIG(wstat))] = 0;
      die(QM_EXIT_TEMP, "Program was killed by signal ", num, ". (#4.3.0)");
    }
    /* the program's own output, already in the report, says why */
    _exit(code);
  }
  q->programs++;
  return code;
}

static int put_qq(void *ctx, char const *s, size_t n)
{
  return qm_qq_put(ctx, s, n);
}

/* Sends every forward in one qmail-queue run; returns its pid for the report. */
static pid_t forward(ql *q, char const *const *rcpts, size_t n)
{
  qm_qq qq;
  qm_qq_status st;
  if (!qm_qq_start(&qq, 0, 1)) die_sys("Unable to start qmail-queue", "");
  if (!qm_qq_put(&qq, q->dtline.s, q->dtline.len)
      || !local_copy_message(0, &put_qq, &qq)) {
    int e = errno;
    qm_qq_abort(&qq);
    errno = e;
    die_sys("Unable to forward message", "");
  }
  if (!qm_qq_finish(&qq, q->newsender.s, rcpts, n, &st))
    die(st.kind == 'D' ? QM_EXIT_PERM : QM_EXIT_TEMP, "Unable to forward message: ", st.text, "");
  q->forwards = n;
  return qq.pid;
}

static void did(ql const *q, pid_t qp)
{
  char num[4][SIZE_FMT > PID_FMT ? SIZE_FMT : PID_FMT];
  num[0][size_fmt(num[0], q->files)] = 0;
  num[1][size_fmt(num[1], q->forwards)] = 0;
  num[2][size_fmt(num[2], q->programs)] = 0;
  if (buffer_puts(buffer_1, "did ") < 0 || buffer_puts(buffer_1, num[0]) < 0
      || buffer_puts(buffer_1, "+") < 0 || buffer_puts(buffer_1, num[1]) < 0
      || buffer_puts(buffer_1, "+") < 0 || buffer_puts(buffer_1, num[2]) < 0
      || buffer_puts(buffer_1, "\n") < 0) die_sys("Unable to write report", "");
  if (qp) {
    num[3][pid_fmt(num[3], qp)] = 0;
    if (buffer_puts(buffer_1, "qp ") < 0 || buffer_puts(buffer_1, num[3]) < 0
        || buffer_puts(buffer_1, "\n") < 0) die_sys("Unable to write report", "");
  }
  if (!buffer_flush(buffer_1)) die_sys("Unable to write report", "");
}

static void run(ql *q, char *text, size_t len, int fwdonly)
{
  static local_instr ins[LOCAL_INSTR_MAX];
  local_dotqmail dq = { ins, LOCAL_INSTR_MAX, 0, 0, 0, 0, 0 };
  enum local_dq_err err;
  char const **rcpts;
  char const **envp = 0;
  stralloc envs = STRALLOC_ZERO, why = STRALLOC_ZERO;
  size_t i, nf = 0;
  pid_t qp = 0;
  dq.fwdonly = fwdonly;
  if (local_dotqmail_parse(&dq, text, len, &err) < 0)
    die(QM_EXIT_TEMP, "Uh-oh: .qmail file is unusable: ", local_dotqmail_strerr(err), ". (#4.7.0)");
  rcpts = malloc((dq.forwards + 1) * sizeof *rcpts);
  if (!rcpts) die_nomem();
  for (i = 0; i < dq.n; i++) {
    char const *t = target(text, &dq.in[i]);
    size_t tl = dq.in[i].len;
    switch (dq.in[i].kind) {
    case LOCAL_MAILDIR:
    case LOCAL_MBOX:
      deliver_file(q, dq.in[i].kind, t, tl, &why);
      break;
    case LOCAL_PROGRAM:
      if (q->dryrun) { say("program ", t, tl); q->programs++; break; }
      /* exit 99: the program took care of the rest; forwards so far still go */
      if (deliver_program(q, t, &envs, &envp) == QL_EXIT_STOP) i = dq.n;
      break;
    case LOCAL_FORWARD:
      if (q->dryrun) say("forward ", t, tl);
      rcpts[nf++] = t;
      break;
    default:
      break;
    }
  }
  if (nf && !q->dryrun) qp = forward(q, rcpts, nf);
  else q->forwards = nf;
  did(q, qp);
  free(rcpts);
  free(envp);
  stralloc_free(&envs);
  stralloc_free(&why);
}

int local_main(int argc, char const *const *argv)
{
  ql q;
  subgetopt l = SUBGETOPT_ZERO;
  int fwdonly = 0;
  memset(&q, 0, sizeof q);
  q.dtline = q.rpline = q.ufline = q.newsender = q.qmail = q.deflt = stralloc_zero;
  for (;;) {
    int opt = subgetopt_r(argc, argv, "nN", &l);
    if (opt == -1) break;
    switch (opt) {
    case 'n': q.dryrun = 1; break;
    case 'N': q.dryrun = 0; break;
    default: strerr_dieusage(QM_EXIT_PERM, USAGE);
    }
  }
  argc -= l.ind; argv += l.ind;
  if (argc < 8) strerr_dieusage(QM_EXIT_PERM, USAGE);
  q.user = argv[0]; q.home = argv[1]; q.local = argv[2]; q.dash = argv[3];
  q.ext = argv[4]; q.domain = argv[5]; q.sender = argv[6]; q.dflt = argv[7];

  /* what a root delivery runs, it runs with every privilege: never */
  if (!geteuid() || !getuid())
    die(QM_EXIT_TEMP, "Refusing to deliver as root. (#4.3.0)", "", "");
  check_args(&q);
  signal(SIGPIPE, SIG_IGN);    /* a dying qmail-queue must show as its exit code */
  umask(077);
  if (chdir(q.home) < 0) die_sys("Unable to switch to ", q.home);
  check_home();
  if (gethostname(q.host, sizeof q.host - 1) < 0) strcpy(q.host, "localhost");
  q.host[sizeof q.host - 1] = 0;

  if (!local_dtline(&q.dtline, q.local, q.domain) || !stralloc_0(&q.dtline)
      || !local_rpline(&q.rpline, q.sender) || !stralloc_0(&q.rpline)
      || !local_ufline(&q.ufline, q.sender, time(0)) || !stralloc_0(&q.ufline))
    die_nomem();
  q.dtline.len--; q.rpline.len--; q.ufline.len--;
  loop_check(&q);

  if (!find_dotqmail(&q, &fwdonly)) {
    q.qmail.len = 0;
    if (!stralloc_cats(&q.qmail, q.dflt) || !stralloc_0(&q.deflt)) die_nomem();
  } else if (!q.qmail.len) {
    /* an empty .qmail means "deliver as if it were not there" */
    if (!stralloc_cats(&q.qmail, q.dflt)) die_nomem();
    fwdonly = 0;
  }
  set_newsender(&q);
  if (!stralloc_0(&q.qmail)) die_nomem();
  run(&q, q.qmail.s, q.qmail.len - 1, fwdonly);
  return 0;
}
