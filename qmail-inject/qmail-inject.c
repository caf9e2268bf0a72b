/* qmail-inject: reads a message on stdin, completes its header the way qmail does
 * and hands it to qmail-queue (or prints it with -n). Runs as the calling user and
 * trusts neither the message nor the environment beyond what qmail-inject(8)
 * documents; the header is held with a hard limit, the body streamed. Never
 * queues a message whose header it could not handle, and never runs $QMAILQUEUE
 * with more privilege than the caller has. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/buffer.h>
#include <skalibs/sgetopt.h>
#include <skalibs/sig.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>

#include "qm_conf.h"
#include "qm_control.h"
#include "qm_exit.h"
#include "qm_header.h"
#include "qm_qq.h"
#include "qm_size.h"
#include "inject_body.h"
#include "inject_msg.h"

#define USAGE "qmail-inject [ -nNaAhH ] [ -f sender ] [ recipient ... ]"
#define INJECT_READ_SIZE 65536

char const *PROG = "qmail-inject";

enum { R_DEFAULT, R_ARGS, R_HEADER, R_BOTH };

static char inbuf[INJECT_READ_SIZE];

/* where the message goes: qmail-queue, or stdout with -n */
typedef struct sink_s {
  int print;
  int broken;        /* qmail-queue stopped taking data: its exit code will say why */
  qm_qq qq;
} sink;

static int put(void *ctx, char const *s, size_t len)
{
  sink *k = ctx;
  if (k->broken) return 1;
  if (k->print) {
    if (buffer_putall(buffer_1, s, len, &(size_t){ 0 }) ) return 1;
    strerr_diefu1sys(QM_EXIT_TEMP, "write to stdout");
  }
  if (!qm_qq_put(&k->qq, s, len)) k->broken = 1;
  return 1;
}

static char const *env_first(char const *a, char const *b, char const *c, char const *d)
{
  char const *names[4] = { a, b, c, d };
  int i;
  for (i = 0; i < 4; i++) {
    char const *v;
    if (!names[i]) break;
    v = getenv(names[i]);
    if (v) return v;
  }
  return 0;
}

/* A control file's value, else control/me, else the literal fallback; then the
 * environment variable, if set, overrides all of them. */
static void control(stralloc *out, char const *file, char const *fallback,
                    stralloc const *me, int have_me, char const *envname)
{
  char const *x = getenv(envname);
  int r;
  out->len = 0;
  if (x) {
    if (!stralloc_cats(out, x) || !stralloc_0(out)) strerr_diefu1sys(QM_EXIT_TEMP, "allocate");
    return;
  }
  r = qm_control_readline_def(out, file, have_me ? me->s : fallback);
  if (r < 0) strerr_diefu2sys(QM_EXIT_TEMP, "read ", file);
}

static void die_msg(inject_msg const *m)
{
  int code = m->err == INJECT_E_NOMEM ? QM_EXIT_TEMP : QM_EXIT_PERM;
  if (m->errtext.len > 1) strerr_dief3x(code, inject_msg_strerr(m->err), ": ", m->errtext.s);
  strerr_dief1x(code, inject_msg_strerr(m->err));
}

static size_t readin(sink *k)
{
  ssize_t r = fd_read(0, inbuf, sizeof inbuf);
  if (r < 0) {
    if (!k->print && k->qq.pid > 0) qm_qq_abort(&k->qq);
    strerr_diefu1sys(QM_EXIT_TEMP, "read the message");
  }
  return (size_t)r;
}

int main(int argc, char const *const *argv)
{
  inject_cfg cfg;
  inject_msg m;
  inject_rw rw;
  inject_body body;
  qm_header h;
  sink k;
  subgetopt l = SUBGETOPT_ZERO;
  stralloc me = STRALLOC_ZERO, ddom = STRALLOC_ZERO, dhost = STRALLOC_ZERO,
           pdom = STRALLOC_ZERO, idhost = STRALLOC_ZERO, mft = STRALLOC_ZERO,
           head = STRALLOC_ZERO;
  char const *sender = 0, *x;
  struct timespec ts;
  size_t len = 0, used = 0;
  int strategy = R_DEFAULT, print = 0, have_me, r, opt;

  sig_ignore(SIGPIPE);
  if (clock_gettime(CLOCK_REALTIME, &ts) < 0) strerr_diefu1sys(QM_EXIT_TEMP, "read the clock");
  memset(&cfg, 0, sizeof cfg);
  memset(&k, 0, sizeof k);
  cfg.now = ts.tv_sec;
  cfg.nsec = (unsigned long)ts.tv_nsec;
  cfg.pid = (unsigned long)getpid();

  for (x = getenv("QMAILINJECT"); x && *x; x++)
    switch (*x) {
    case 'c': cfg.flags |= INJECT_F_NAMECOMMENT; break;
    case 'f': cfg.flags |= INJECT_F_DELFROM; break;
    case 'i': cfg.flags |= INJECT_F_DELMSGID; break;
    case 's': cfg.flags |= INJECT_F_DELRP; break;
    case 'r': cfg.flags |= INJECT_F_VERPRCPT; break;
    case 'm': cfg.flags |= INJECT_F_VERPMSG; break;
    }
  cfg.host = env_first("QMAILHOST", "MAILHOST", 0, 0);
  cfg.user = env_first("QMAILUSER", "MAILUSER", "USER", "LOGNAME");
  if (!cfg.user) cfg.user = "anonymous";
  cfg.name = env_first("QMAILNAME", "MAILNAME", "NAME", 0);
  cfg.suser = env_first("QMAILSUSER", 0, 0, 0);
  if (!cfg.suser) cfg.suser = cfg.user;
  cfg.shost = env_first("QMAILSHOST", 0, 0, 0);
  if (!cfg.shost) cfg.shost = cfg.host;

  /* QMAILMFTFILE is the caller's file, named relative to where the caller is */
  x = getenv("QMAILMFTFILE");
  if (x) {
    r = qm_control_readlist(&mft, x);
    if (r < 0) strerr_diefu2sys(QM_EXIT_TEMP, "read ", x);
    if (r > 0) cfg.mft = &mft;
  }

  if (chdir(QM_HOME) < 0) strerr_diefu2sys(QM_EXIT_TEMP, "switch to ", QM_HOME);
  r = qm_control_readline(&me, "control/me");
  if (r < 0) strerr_diefu1sys(QM_EXIT_TEMP, "read control/me");
  have_me = r > 0;
  control(&ddom, "control/defaultdomain", "defaultdomain", &me, have_me, "QMAILDEFAULTDOMAIN");
  control(&dhost, "control/defaulthost", "defaulthost", &me, have_me, "QMAILDEFAULTHOST");
  control(&pdom, "control/plusdomain", "plusdomain", &me, have_me, "QMAILPLUSDOMAIN");
  control(&idhost, "control/idhost", "idhost", &me, have_me, "QMAILIDHOST");
  r = inject_rw_init(&rw, dhost.s, ddom.s, pdom.s);
  if (r < 0) strerr_diefu1sys(QM_EXIT_TEMP, "allocate");
  if (!r) strerr_dief1x(QM_EXIT_PERM, "unable to parse defaulthost, defaultdomain or plusdomain");
  cfg.rw = &rw;
  cfg.idhost = idhost.s;

  while ((opt = subgetopt_r(argc, argv, "aAhHnNf:", &l)) != -1)
    switch (opt) {
    case 'a': strategy = R_ARGS; break;
    case 'A': strategy = R_DEFAULT; break;
    case 'h': strategy = R_HEADER; break;
    case 'H': strategy = R_BOTH; break;
    case 'n': print = 1; break;
    case 'N': print = 0; break;
    case 'f': sender = l.arg; break;
    default: strerr_dieusage(QM_EXIT_PERM, USAGE);
    }
  argc -= l.ind;
  argv += l.ind;
  if (strategy == R_DEFAULT) strategy = argc ? R_ARGS : R_HEADER;
  cfg.header_rcpts = strategy != R_ARGS;

  inject_msg_init(&m, &cfg);
  if (sender && !inject_msg_sender_arg(&m, sender)) die_msg(&m);
  if (strategy != R_HEADER)
    for (; *argv; argv++)
      if (!inject_msg_rcpt_arg(&m, *argv)) die_msg(&m);

  /* the header, held (within QM_HEADER_BLOCK_MAX) until it is complete */
  k.print = print;
  qm_header_init(&h, QM_HEADER_MBOXLINE, &inject_msg_field, &m);
  for (;;) {
    len = readin(&k);
    r = len ? qm_header_feed(&h, inbuf, len, &used) : qm_header_end(&h);
    if (r < 0) {
      if (h.err == QM_HEADER_E_CALLBACK) die_msg(&m);
      strerr_dief1x(h.err == QM_HEADER_E_NOMEM ? QM_EXIT_TEMP : QM_EXIT_PERM,
                    qm_header_strerr(h.err));
    }
    if (r > 0) break;
  }
  if (!inject_msg_finish(&m, &head)) die_msg(&m);
  if (!print && !m.nrcpts) strerr_dief1x(QM_EXIT_PERM, "no recipients");

  if (!print && !qm_qq_start(&k.qq, 0, 1))
    strerr_diefu1sys(QM_EXIT_TEMP, "run qmail-queue");
  if (print) {
    stralloc rp = STRALLOC_ZERO;
    if (!stralloc_cats(&rp, "Return-Path: <")
        || !inject_quote_envelope(&rp, m.sender.s, strlen(m.sender.s))
        || !stralloc_catb(&rp, ">\n", 2)) strerr_diefu1sys(QM_EXIT_TEMP, "allocate");
    put(&k, rp.s, rp.len);
    stralloc_free(&rp);
  }
  put(&k, head.s, head.len);

  /* the body, streamed */
  inject_body_init(&body, h.crlf);
  if (h.blank || h.restlen) put(&k, "\n", 1);
  inject_body_feed(&body, h.rest ? h.rest : "", h.restlen, &put, &k);
  if (len) inject_body_feed(&body, inbuf + used, len - used, &put, &k);
  while (len && !k.broken) {
    len = readin(&k);
    inject_body_feed(&body, inbuf, len, &put, &k);
  }
  inject_body_end(&body, &put, &k);

  if (print) {
    if (!buffer_flush(buffer_1)) strerr_diefu1sys(QM_EXIT_TEMP, "write to stdout");
    return QM_EXIT_OK;
  }
  {
    char const **rcpts;
    size_t i, off = 0, bytes;
    qm_qq_status st;
    if (!qm_size_mul(&bytes, m.nrcpts, sizeof *rcpts) || !(rcpts = malloc(bytes ? bytes : 1))) {
      qm_qq_abort(&k.qq);
      strerr_diefu1sys(QM_EXIT_TEMP, "allocate");
    }
    for (i = 0; i < m.nrcpts; i++) {
      rcpts[i] = m.rcpts.s + off;
      off += strlen(rcpts[i]) + 1;
    }
    if (!qm_qq_finish(&k.qq, m.sender.s, rcpts, m.nrcpts, &st))
      strerr_dief1x(st.kind == 'D' ? QM_EXIT_PERM : QM_EXIT_TEMP, st.text);
    free(rcpts);
  }
  return QM_EXIT_OK;
}
