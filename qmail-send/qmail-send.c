/* qmail-send: the scheduler. Preprocesses todo/ into info/, local/, remote/ in
 * batches that share their fsyncs, runs deliveries through the spawners within the
 * concurrency limits, retries on qmail's schedule, bounces as RFC 3464 and removes
 * finished messages through qmail-clean. Runs as qmails in HOME/queue; fds: 0 log,
 * 1/2 qmail-lspawn, 3/4 qmail-rspawn (optional), 5/6 qmail-clean. Trusts the queue
 * only as far as the parsers check it; never delivers anything itself. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <pthread.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/iopause.h>
#include <skalibs/selfpipe.h>
#include <skalibs/sig.h>
#include <skalibs/stralloc.h>
#include <skalibs/tai.h>
#include <skalibs/types.h>

#include "qm_closer.h"
#include "qm_conf.h"
#include "qm_control.h"
#include "qm_dsn.h"
#include "qm_exit.h"
#include "qm_qq.h"
#include "qm_queue.h"
#include "qm_thread.h"
#include "send_dsn.h"
#include "send_inotify.h"
#include "send_log.h"
#include "send_prioq.h"
#include "send_proto.h"
#include "send_rcpt.h"
#include "send_retry.h"
#include "send_todo.h"
#include "send_waitq.h"

#define TODO_BATCH 64            /* todo entries that share one round of fsyncs */
#define TODO_STEP 8              /* todo entries preprocessed between two looks at the spawners */
#define SYNC_DELAY_MS 200        /* the longest a preprocessed entry waits for its fsyncs */
#define TODO_RESCAN 1500         /* seconds between todo/ scans without a trigger */
#define TODO_RETRY 123           /* a todo entry that failed waits this long */
#define POSTPONE_MAX 60          /* the longest a job waits for its domain before it looks again */
#define GROUP_SCAN 1000          /* records looked at for a remote batch after its first */
#define TODO_FAILED_MAX 4096     /* failed entries remembered */
#define FINISH_RETRY 123         /* a message whose end failed (bounce) waits this long */
#define SLEEP_MAX 86400
#define CHANFILE_MAX (256UL << 20)   /* a local/ or remote/ file larger is refused */
#define MESS_SCAN 76431          /* seconds between scans of mess/ for debris */
#define MESS_OSSIFIED 129600     /* a message file this old with no todo or info is debris */

static char const *const chan_dir[SEND_NCHAN] = { "local", "remote" };
static unsigned int const chan_c[SEND_NCHAN] = { SEND_RETRY_C_LOCAL, SEND_RETRY_C_REMOTE };

/* --- configuration ---------------------------------------------------------------- */

typedef struct config_s {
  stralloc locals_sa, vdoms_sa, pct_sa;
  send_table locals, vdoms, pct;
  stralloc me, envnoathost, bouncefrom, bouncehost, dbto, dbhost;
  unsigned long conc[SEND_NCHAN], perdomain, lifetime, delaywarning, bouncemaxbytes;
} config;

static config cf;

static int readline_def(stralloc *sa, char const *file, char const *def)
{
  int r = qm_control_readline(sa, file);
  if (r < 0) return 0;
  if (!r || !sa->len) {
    if (!stralloc_copyb(sa, def, strlen(def)) || !stralloc_0(sa)) return 0;
    sa->len--;
  }
  return 1;
}

static void config_free(config *c)
{
  stralloc *all[] = { &c->locals_sa, &c->vdoms_sa, &c->pct_sa, &c->me, &c->envnoathost,
                      &c->bouncefrom, &c->bouncehost, &c->dbto, &c->dbhost };
  size_t i;
  for (i = 0; i < sizeof all / sizeof all[0]; i++) stralloc_free(all[i]);
  send_table_free(&c->locals);
  send_table_free(&c->vdoms);
  send_table_free(&c->pct);
}

/* Reads every control file qmail-send uses (paths are absolute: the cwd is the
 * queue). Returns 0 with *why set on failure, leaving c to be freed. */
static int config_load(config *c, char const **why)
{
  int r;
  char const *me;
  memset(c, 0, sizeof *c);
  *why = "unable to read controls";
  r = qm_control_readline(&c->me, QM_HOME "/control/me");
  if (r < 0) return 0;
  me = r && c->me.len ? c->me.s : 0;
  r = qm_control_readlist(&c->locals_sa, QM_HOME "/control/locals");
  if (r < 0) { *why = "unable to read control/locals"; return 0; }
  if (!r) {
    if (!me) { *why = "unable to read control/locals (and control/me is missing)"; return 0; }
    if (!stralloc_copyb(&c->locals_sa, me, strlen(me) + 1)) return 0;
  }
  if (qm_control_readlist(&c->vdoms_sa, QM_HOME "/control/virtualdomains") < 0) {
    *why = "unable to read control/virtualdomains"; return 0;
  }
  if (qm_control_readlist(&c->pct_sa, QM_HOME "/control/percenthack") < 0) return 0;
  if (!send_table_build(&c->locals, &c->locals_sa, 0) || !send_table_build(&c->vdoms, &c->vdoms_sa, 1)
      || !send_table_build(&c->pct, &c->pct_sa, 0)) { *why = "out of memory"; return 0; }
  if (!readline_def(&c->envnoathost, QM_HOME "/control/envnoathost", me ? me : "envnoathost")
      || !readline_def(&c->bouncefrom, QM_HOME "/control/bouncefrom", "MAILER-DAEMON")
      || !readline_def(&c->bouncehost, QM_HOME "/control/bouncehost", me ? me : "bouncehost")
      || !readline_def(&c->dbto, QM_HOME "/control/doublebounceto", "postmaster")
      || !readline_def(&c->dbhost, QM_HOME "/control/doublebouncehost", me ? me : "doublebouncehost"))
    return 0;
  if (qm_control_readulong(&c->conc[SEND_CHAN_LOCAL], QM_HOME "/control/concurrencylocal", 10) < 0
      || qm_control_readulong(&c->conc[SEND_CHAN_REMOTE], QM_HOME "/control/concurrencyremote", 20) < 0
      || qm_control_readulong(&c->perdomain, QM_HOME "/control/concurrencyperdomain", 20) < 0
      || qm_control_readulong(&c->lifetime, QM_HOME "/control/queuelifetime", 604800) < 0
      || qm_control_readulong(&c->delaywarning, QM_HOME "/control/delaywarning", 14400) < 0
      || qm_control_readulong(&c->bouncemaxbytes, QM_HOME "/control/bouncemaxbytes", 50000) < 0)
    return 0;
  if (c->conc[0] > QM_SPAWN) c->conc[0] = QM_SPAWN;
  if (c->conc[1] > QM_SPAWN) c->conc[1] = QM_SPAWN;
  if (!c->perdomain) c->perdomain = 1;
  return 1;
}

/* --- log ------------------------------------------------------------------------- */

static stralloc logsa;

#define LOG_FLUSH_AT 8192      /* bytes of routine lines held before a write */

static void log_write(void)
{
  /* the logger is a pipe to s6-log; a slow logger slows us rather than losing lines */
  if (logsa.len) allwrite(0, logsa.s, logsa.len);
  logsa.len = 0;
}

/* Routine lines (new, info, starting, delivery, end) wait for the end of the loop's
 * round or for LOG_FLUSH_AT bytes: one write, and one wake-up of s6-log, for many
 * lines instead of one each. Warnings and alerts (log1, log3) go out at once. */
static void logflush(void)
{
  if (logsa.len >= LOG_FLUSH_AT) log_write();
}

static void log1(char const *s)
{
  stralloc_cats(&logsa, s);
  log_write();
}

static void log3(char const *head, char const *var, char const *tail)
{
  send_log_line3(&logsa, head, var, strlen(var), tail);
  log_write();
}

/* --- queue names --------------------------------------------------------------------- */

/* Queue names through lib/qm_queue; returns buf so a name can be built in place. */
static char *qpath(char *buf, char const *dir, uint64_t id, int split)
{
  if (split) qm_queue_path_split(buf, dir, (unsigned long)id);
  else qm_queue_path_flat(buf, dir, (unsigned long)id);
  return buf;
}

#define QPATH_MAX QM_QUEUE_PATH_MAX

static int scanid(char const *s, uint64_t *id)
{
  unsigned long v;
  if (!qm_queue_scanid(s, &v)) return 0;
  *id = v;
  return 1;
}

static uint64_t now(void)
{
  return (uint64_t)time(0);
}

/* --- qmail-clean ------------------------------------------------------------------- */

static int clean_dead;
static int exitasap;

static void clean_dies(void)
{
  if (!clean_dead) log1("alert: oh no! lost qmail-clean connection! dying...\n");
  clean_dead = 1;
  exitasap = 1;
}

/* Sends n commands at once (kinds[i], or kind for all when kinds is 0) and reads
 * their n replies; qmail-clean carries them out and answers in order. */
static void clean_cmds(int const *kinds, int kind, uint64_t const *ids, size_t n)
{
  stralloc sa = STRALLOC_ZERO;
  size_t i;
  char r[TODO_BATCH];
  if (clean_dead || !n) return;
  for (i = 0; i < n; i++)
    if (!send_clean_encode(&sa, kinds ? kinds[i] : kind, ids[i])) { stralloc_free(&sa); return; }
  if (allwrite(5, sa.s, sa.len) != sa.len) { stralloc_free(&sa); clean_dies(); return; }
  stralloc_free(&sa);
  for (i = 0; i < n; ) {
    size_t want = n - i > sizeof r ? sizeof r : n - i, k;
    ssize_t got = fd_read(6, r, want);
    if (got <= 0) { clean_dies(); return; }
    for (k = 0; k < (size_t)got; k++, i++)
      if (r[k] != '+') {
        char path[QPATH_MAX];
        log3("warning: qmail-clean unable to clean up ",
             qpath(path, (kinds ? kinds[i] : kind) == SEND_CLEAN_TODO ? "todo" : "foop", ids[i], 0), "");
      }
  }
}

static void clean_batch(int kind, uint64_t const *ids, size_t n)
{
  clean_cmds(0, kind, ids, n);
}

/* --- channels, passes, deliveries ------------------------------------------------------- */

typedef struct pass_s {
  int used;
  uint64_t id, birth, start;
  int dying, reading;
  int fd;                     /* the channel file, open for D marks */
  stralloc file;              /* its content */
  size_t next;                /* offset of the next record to look at */
  unsigned int inflight, undone;
  unsigned int postponed;     /* undone only because their domain was at its limit */
  size_t postrec;             /* the first such record: its domain is waited for */
  stralloc sender;
  stralloc delayed;           /* bounce-style blocks of this pass's deferrals */
} pass;

/* One spawner slot: a command for n recipients of one pass (n > 1 only on the
 * remote channel, all at one domain), answered by n replies in recipient order. */
typedef struct dlv_s {
  int used;
  unsigned int pass;
  unsigned int n, got;        /* recipients sent, replies received */
  size_t rec[SEND_RCPTS_MAX]; /* offsets of the records' 'T' */
  uint64_t d[SEND_RCPTS_MAX]; /* delivery numbers for the log */
} dlv;

typedef struct chan_s {
  int fdout, fdin, alive;
  unsigned int spawnmax, busy;
  send_prioq jobs;
  send_waitq waiting;         /* remote jobs held back by concurrencyperdomain */
  pass p[QM_SPAWN + 1];
  int reading;                /* the pass handing out records, or -1 */
  dlv d[QM_SPAWN];
  stralloc wbuf;
  size_t woff;
  send_reply rep;
} chan;

static chan ch[SEND_NCHAN];
static uint64_t dcount;

static unsigned int chan_limit(int c)
{
  unsigned long l = cf.conc[c];
  if (!ch[c].alive) return 0;
  return l < ch[c].spawnmax ? (unsigned int)l : ch[c].spawnmax;
}

static void status(void)
{
  send_log_status(&logsa, ch[0].busy, chan_limit(0), ch[1].busy, chan_limit(1), exitasap);
  logflush();
}

static void finish_message(uint64_t id);
static long pend_find(uint64_t id);
static long sync_find(uint64_t id);

/* A preprocessed todo entry. An ordinary one is first kept in memory only (lazy):
 * its info/, local/ and remote/ files are written when its fsyncs are due
 * (lazy_write, from sync_start), and most messages are delivered before then, so
 * they never cost those three file creations and removals at all. Until the files
 * are durable todo/N stays, exactly as for written ones, so a crash loses nothing. */
typedef struct prep_s {
  uint64_t id, birth;
  int fd[3];                  /* info, local, remote */
  int has[SEND_NCHAN];
  int lazy;                   /* data[] holds the files' bytes; nothing on disk yet */
  stralloc data[3];           /* info, local, remote while lazy (D marks included) */
} prep;

#define LAZY_MAX 65536        /* bytes of one entry's three files kept in memory at most */

static prep *lazy_find(uint64_t id);
static void lazy_chan_done(prep *pp, int c);

static void sync_forget(size_t i);
static void pend_drop(size_t i);
static void delay_notice(pass *p);
static void bounce_now(uint64_t id);

static void job_push(int c, uint64_t id, uint64_t birth, uint64_t due)
{
  send_job j;
  j.id = id; j.birth = birth; j.due = due;
  while (!send_prioq_push(&ch[c].jobs, &j)) {
    log1("alert: out of memory, sleeping...\n");
    sleep(10);
  }
}

/* Is the message done in both channels? stat is the truth: a channel file exists
 * exactly while that channel has work. */
static void maybe_done(uint64_t id)
{
  char path[QPATH_MAX];
  struct stat st;
  int c;
  prep *lz = lazy_find(id);
  for (c = 0; c < SEND_NCHAN; c++)
    if (lz ? lz->has[c] : stat(qpath(path, chan_dir[c], id, 1), &st) == 0 || errno != ENOENT) return;
  finish_message(id);
}

static char const *rcpt_domain(char const *rcpt)
{
  char const *at = strrchr(rcpt, '@');
  return at ? at + 1 : "";
}

static unsigned int domain_busy(chan const *k, char const *dom);

/* A job held back by concurrencyperdomain waits for a slot of its domain. If the
 * slots came free while its pass was still open, nobody would wake it: it is due
 * at once then. */
static void job_wait(int c, uint64_t id, uint64_t birth, char const *dom)
{
  send_job j;
  uint64_t t = now();
  if (domain_busy(&ch[c], dom) < cf.perdomain) { job_push(c, id, birth, t); return; }
  j.id = id; j.birth = birth; j.due = t;
  if (!send_waitq_push(&ch[c].waiting, &j, dom)) job_push(c, id, birth, t + POSTPONE_MAX);
}

/* Makes up to max jobs waiting for dom (0: for any domain) due now. */
static void wake_waiters(int c, char const *dom, size_t max)
{
  send_job j[QM_SPAWN];
  size_t n, i;
  do {
    n = send_waitq_take(&ch[c].waiting, dom, j, max < QM_SPAWN ? max : QM_SPAWN);
    for (i = 0; i < n; i++) job_push(c, j[i].id, j[i].birth, now());
    max -= n;
  } while (n && max);
}

/* The oldest waiter of any domain is due now. */
static void wake_waiters_oldest(int c)
{
  send_job j;
  if (send_waitq_take(&ch[c].waiting, 0, &j, 1)) job_push(c, j.id, j.birth, now());
}

static void pass_complete(int c, unsigned int pi)
{
  pass *p = &ch[c].p[pi];
  char path[QPATH_MAX];
  int fd = p->fd;
  p->fd = -1;
  p->used = 0;
  if (ch[c].reading == (int)pi) ch[c].reading = -1;
  /* the failures of this pass go out now, not when the last co-recipient is done */
  bounce_now(p->id);
  if (!p->undone) {
    prep *lz = lazy_find(p->id);
    if (lz) { if (fd >= 0) close(fd); lazy_chan_done(lz, c); maybe_done(p->id); return; }
    if (!qm_unlink_later(qpath(path, chan_dir[c], p->id, 1), fd))
      log3("warning: unable to unlink ", path, "; will try again later");
    else maybe_done(p->id);
    return;
  }
  if (fd >= 0) close(fd);
  if (p->delayed.len) delay_notice(p);
  /* held back only by the per-domain limit: not a failure, so no backoff; it waits
   * for a delivery to that domain to end (wake_waiters) */
  if (p->undone == p->postponed) job_wait(c, p->id, p->birth, rcpt_domain(p->file.s + p->postrec + 1));
  else job_push(c, p->id, p->birth, send_retry_next(p->birth, p->start, chan_c[c]));
}

static int read_sender(stralloc *sa, uint64_t id)
{
  char path[QPATH_MAX];
  prep *lz = lazy_find(id);
  sa->len = 0;
  if (lz) { if (!stralloc_copy(sa, &lz->data[0])) return 0; }
  else if (openreadfileclose(qpath(path, "info", id, 1), sa, 4 + SEND_TODO_FIELD_MAX) <= 0) return 0;
  if (sa->len < 2 || sa->s[0] != 'F' || sa->s[sa->len - 1]) return 0;
  memmove(sa->s, sa->s + 1, sa->len - 2);
  sa->len -= 2;
  return 1;
}

/* Opens a pass for a due job. 1 opened, 0 the job is gone or postponed, -1 no free
 * pass (cannot happen while passes <= deliveries + 1; the job is put back). */
static int pass_open(int c, send_job const *j)
{
  char path[QPATH_MAX];
  unsigned int pi;
  pass *p = 0;
  struct stat st;
  int fd;
  prep *lz;
  for (pi = 0; pi <= QM_SPAWN; pi++) if (!ch[c].p[pi].used) { p = &ch[c].p[pi]; break; }
  if (!p) { job_push(c, j->id, j->birth, j->due); return -1; }
  lz = lazy_find(j->id);
  if (lz) {
    /* not on disk yet (see prep): the pass reads and marks the copy in memory */
    if (!lz->has[c]) return 0;
    if (!stralloc_copy(&p->file, &lz->data[1 + c]) || !read_sender(&p->sender, j->id)) {
      log1("alert: out of memory, will try later\n");
      job_push(c, j->id, j->birth, now() + TODO_RETRY);
      return 0;
    }
    fd = -1;
    goto opened;
  }
  fd = open(qpath(path, chan_dir[c], j->id, 1), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    if (errno != ENOENT) {
      log3("warning: unable to open ", path, "; will try again later");
      job_push(c, j->id, j->birth, now() + TODO_RETRY);
    }
    return 0;
  }
  p->file.len = 0;
  if (fstat(fd, &st) < 0 || (uint64_t)st.st_size > CHANFILE_MAX || !slurp(&p->file, fd)
      || !read_sender(&p->sender, j->id)) {
    log3("warning: trouble reading ", path, "; will try again later");
    close(fd);
    job_push(c, j->id, j->birth, now() + TODO_RETRY);
    return 0;
  }
 opened:
  p->used = 1;
  p->fd = fd;
  p->id = j->id;
  p->birth = j->birth;
  p->start = now();
  p->dying = send_retry_dying(p->birth, p->start, cf.lifetime);
  p->next = 0;
  p->inflight = p->undone = p->postponed = 0;
  p->delayed.len = 0;
  p->reading = 1;
  ch[c].reading = (int)pi;
  return 1;
}

static void mark_done(int c, pass *p, size_t rec)
{
  if (p->fd < 0) {
    prep *lz = lazy_find(p->id);
    stralloc *f = lz ? &lz->data[1 + c] : 0;
    if (f && rec < f->len) { f->s[rec] = 'D'; return; }
  } else if (pwrite(p->fd, "D", 1, (off_t)rec) == 1) return;
  {
    char path[QPATH_MAX];
    log3("warning: trouble marking ", qpath(path, chan_dir[c], p->id, 1),
         "; message will be delivered twice!");
  }
}

static void rcpt_ctx(send_rcpt_ctx *ctx)
{
  ctx->locals = &cf.locals; ctx->vdoms = &cf.vdoms; ctx->percenthack = &cf.pct;
  ctx->envnoathost = cf.envnoathost.s;
}

/* Appends a failure to bounce/N. A local recipient is shown as the sender wrote it:
 * the "prepend-" virtualdomains added is cut again. */
static int bounce_append(int c, uint64_t id, char const *rcpt, size_t rlen, char const *text, size_t tlen)
{
  char path[QPATH_MAX];
  stralloc sa = STRALLOC_ZERO;
  int fd, ok;
  if (c == SEND_CHAN_LOCAL) {
    send_rcpt_ctx ctx;
    size_t cut;
    rcpt_ctx(&ctx);
    if (!send_rcpt_unprepend(&ctx, rcpt, rlen, &cut)) return 0;
    rcpt += cut;
    rlen -= cut;
  }
  if (!send_dsn_block(&sa, rcpt, rlen, text, tlen)) { stralloc_free(&sa); return 0; }
  fd = open(qpath(path, "bounce", id, 0), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  ok = fd >= 0 && allwrite(fd, sa.s, sa.len) == sa.len;
  if (fd >= 0) close(fd);
  stralloc_free(&sa);
  return ok;
}

/* The next 'T' record of pass p at or after p->next: its offset, or -1 at the end.
 * A record cut short (no NUL) ends the file. */
static long next_record(pass *p)
{
  while (p->next < p->file.len) {
    size_t at = p->next;
    char const *nul = memchr(p->file.s + at, 0, p->file.len - at);
    if (!nul) { p->next = p->file.len; break; }
    p->next = (size_t)(nul - p->file.s) + 1;
    if (p->file.s[at] == 'T') return (long)at;
  }
  return -1;
}

/* Slots of the remote channel busy with domain dom. */
static unsigned int domain_busy(chan const *k, char const *dom)
{
  unsigned int s, n = 0;
  for (s = 0; s < k->spawnmax; s++)
    if (k->d[s].used && !strcasecmp(rcpt_domain(k->p[k->d[s].pass].file.s + k->d[s].rec[0] + 1), dom)) n++;
  return n;
}

/* More records of pass p after p->next for the domain of the first recipient, up
 * to SEND_RCPTS_MAX in all and SEND_RCPTS_BYTES of addresses; each taken one is
 * marked 't' in memory (the file keeps its T until the reply) so that
 * next_record passes over it. */
static unsigned int group_more(pass *p, char const *dom, size_t *at, unsigned int n, size_t bytes)
{
  size_t pos = p->next;
  unsigned int looked = 0;
  while (n < SEND_RCPTS_MAX && pos < p->file.len && looked++ < GROUP_SCAN) {
    char const *r = p->file.s + pos;
    char const *nul = memchr(r, 0, p->file.len - pos);
    size_t len;
    if (!nul) break;
    len = (size_t)(nul - r);
    if (r[0] == 'T' && len - 1 <= SEND_FIELD_MAX && bytes + len <= SEND_RCPTS_BYTES
        && !strcasecmp(rcpt_domain(r + 1), dom)) {
      p->file.s[pos] = 't';
      at[n++] = pos;
      bytes += len;
    }
    pos += len + 1;
  }
  return n;
}

/* Starts the next delivery of channel c. 1 progress made, 0 nothing to start now. */
static int start_one(int c, uint64_t t)
{
  chan *k = &ch[c];
  pass *p;
  long at;
  size_t slot, rec[SEND_RCPTS_MAX], rlen[SEND_RCPTS_MAX];
  char const *rcpt[SEND_RCPTS_MAX];
  unsigned int n = 1, i;
  stralloc verp = STRALLOC_ZERO;
  if (k->reading < 0) {
    send_job j;
    send_job const *top = send_prioq_min(&k->jobs);
    if (!top || top->due > t) return 0;
    send_prioq_pop(&k->jobs, &j);
    return pass_open(c, &j) >= 0;
  }
  p = &k->p[k->reading];
  at = next_record(p);
  if (at < 0) {
    /* read to the end: the pass ends with its last delivery */
    p->reading = 0;
    k->reading = -1;
    if (!p->inflight) pass_complete(c, (unsigned int)(p - k->p));
    return 1;
  }
  for (slot = 0; slot < k->spawnmax; slot++) if (!k->d[slot].used) break;
  if (slot == k->spawnmax) { p->next = (size_t)at; return 0; }
  rec[0] = (size_t)at;
  rcpt[0] = p->file.s + at + 1;
  rlen[0] = strlen(rcpt[0]);
  if (c == SEND_CHAN_REMOTE && domain_busy(k, rcpt_domain(rcpt[0])) >= cf.perdomain) {
    /* stays T; the pass goes on with the other domains */
    if (!p->postponed) p->postrec = (size_t)at;
    p->undone++;
    p->postponed++;
    return 1;
  }
  if (!send_verp(&verp, p->sender.s, p->sender.len, rcpt[0], rlen[0])) goto cannot;
  /* a VERP sender differs per recipient: such a message is sent one by one */
  if (c == SEND_CHAN_REMOTE && verp.len == p->sender.len && !memcmp(verp.s, p->sender.s, verp.len)
      && rlen[0] <= SEND_FIELD_MAX) {
    n = group_more(p, rcpt_domain(rcpt[0]), rec, 1, rlen[0] + 1);
    for (i = 1; i < n; i++) { rcpt[i] = p->file.s + rec[i] + 1; rlen[i] = strlen(rcpt[i]); }
  }
  if (!send_cmd_encode_list(&k->wbuf, (unsigned char)slot, p->id, QM_SPLIT, verp.s ? verp.s : "",
                            verp.len, rcpt, rlen, n)) goto cannot;
  stralloc_free(&verp);
  k->d[slot].used = 1;
  k->d[slot].pass = (unsigned int)k->reading;
  k->d[slot].n = n;
  k->d[slot].got = 0;
  k->busy++;
  for (i = 0; i < n; i++) {
    k->d[slot].rec[i] = rec[i];
    k->d[slot].d[i] = ++dcount;
    p->inflight++;
    send_log_starting(&logsa, dcount, p->id, c == SEND_CHAN_REMOTE, rcpt[i], rlen[i]);
  }
  logflush();
  status();
  return 1;
cannot:
  /* cannot be sent (out of memory, or an address over the protocol limit): it stays
   * T and the job is retried on the schedule; records taken into the batch are T
   * again in memory too */
  stralloc_free(&verp);
  for (i = 1; i < n; i++) p->file.s[rec[i]] = 'T';
  p->undone++;
  return 1;
}

static void chan_write(int c)
{
  chan *k = &ch[c];
  while (k->woff < k->wbuf.len) {
    ssize_t w = fd_write(k->fdout, k->wbuf.s + k->woff, k->wbuf.len - k->woff);
    if (w <= 0) {
      if (w < 0 && errno == EAGAIN) return;
      return;   /* a dead spawner shows up as EOF on its reply pipe */
    }
    k->woff += (size_t)w;
  }
  k->wbuf.len = k->woff = 0;
}

static void chan_fill(int c, uint64_t t)
{
  while (!exitasap && ch[c].alive && ch[c].busy < chan_limit(c) && !ch[c].wbuf.len) {
    if (!start_one(c, t)) break;
    chan_write(c);
  }
}

/* Put in front of the last deferral's text when the queue lifetime ran out: first,
 * so a long report cut at SEND_DSN_TEXT_MAX keeps it, and so the notice can tell an
 * expired deferral (status 4.x.x, RFC 3464 2.3.4) from a permanent failure. */
static char const dying_text[] =
  "I'm not going to try again; this message has been in the queue too long.\n";

static void got_reply(int c, send_reply const *r)
{
  chan *k = &ch[c];
  dlv *d;
  pass *p;
  char letter = send_reply_letter(r);
  char const *rcpt;
  size_t rlen, rec;
  if (r->slot >= k->spawnmax || !k->d[r->slot].used) {
    log1("warning: internal error: delivery report out of range\n");
    return;
  }
  d = &k->d[r->slot];
  p = &k->p[d->pass];
  rec = d->rec[d->got];
  rcpt = p->file.s + rec + 1;
  rlen = strlen(rcpt);
  send_log_delivery(&logsa, d->d[d->got], r->text, r->len);
  logflush();
  if (letter == 'Z' && p->dying) {
    stralloc t = STRALLOC_ZERO;
    if (stralloc_cats(&t, dying_text) && stralloc_catb(&t, r->text + 1, r->len - 1)
        && bounce_append(c, p->id, rcpt, rlen, t.s, t.len)) mark_done(c, p, rec);
    else { log1("alert: unable to append to bounce message; HELP! will try again later\n"); p->undone++; }
    stralloc_free(&t);
  } else if (letter == 'D') {
    if (bounce_append(c, p->id, rcpt, rlen, r->text + 1, r->len - 1)) mark_done(c, p, rec);
    else { log1("alert: unable to append to bounce message; HELP! will try again later\n"); p->undone++; }
  } else if (letter == 'K') mark_done(c, p, rec);
  else {
    p->undone++;
    if (letter == 'Z' && !send_dsn_block(&p->delayed, rcpt, rlen, r->text + 1, r->len - 1))
      p->delayed.len = 0;   /* no memory: no delay notice this time */
  }
  p->inflight--;
  if (++d->got == d->n) {
    d->used = 0;
    k->busy--;
    if (c == SEND_CHAN_REMOTE && k->waiting.n) {
      /* a slot of this domain came free: the oldest jobs waiting for it are due */
      char const *dom = rcpt_domain(p->file.s + d->rec[0] + 1);
      unsigned int busy = domain_busy(k, dom);
      if (busy < cf.perdomain) wake_waiters(c, dom, cf.perdomain - busy);
    }
  }
  if (!p->reading && !p->inflight) pass_complete(c, d->pass);
  status();
}

static void chan_read(int c)
{
  chan *k = &ch[c];
  char buf[4096];
  size_t off = 0;
  ssize_t n = fd_read(k->fdin, buf, sizeof buf);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) {
    unsigned int i;
    log1("alert: oh no! lost spawn connection! dying...\n");
    k->alive = 0;
    /* deliveries in flight stay T in their files: the next run retries them */
    for (i = 0; i < QM_SPAWN; i++) k->d[i].used = 0;
    k->busy = 0;
    exitasap = 1;
    return;
  }
  while (off < (size_t)n) {
    size_t used;
    if (send_reply_feed(&k->rep, buf + off, (size_t)n - off, &used) == 1) {
      got_reply(c, &k->rep);
      send_reply_init(&k->rep);
    }
    off += used;
  }
}

/* --- bounces -------------------------------------------------------------------- */

/* The original for the notice: a Return-Path line first (the envelope sender is
 * otherwise lost once the copy leaves the queue), then queue/mess as it is. */
typedef struct bget_s {
  int fd;
  char const *pre;
  size_t prelen, preoff;
} bget;

static ssize_t bounce_get(void *ctx, char *s, size_t n)
{
  bget *g = ctx;
  if (g->preoff < g->prelen) {
    size_t k = g->prelen - g->preoff;
    if (k > n) k = n;
    memcpy(s, g->pre + g->preoff, k);
    g->preoff += k;
    return (ssize_t)k;
  }
  return fd_read(g->fd, s, n);
}

static int bounce_put(void *ctx, char const *s, size_t n)
{
  if (qm_qq_put(ctx, s, n)) return 1;
  errno = EPIPE;
  return 0;
}

/* The recipients of bounce/N (or of a pass's deferrals) as qm_dsn wants them:
 * pointers into blocks, the Remote-MTA names copied to mtas (NUL-ended).
 * Returns the count, 0 for none, -1 out of memory. */
static long bounce_rcpts(qm_dsn_rcpt **out, stralloc *mtas, stralloc const *blocks, int action)
{
  send_dsn_rcpt r;
  size_t off, used, n = 0, i;
  qm_dsn_rcpt *a;
  size_t *mtaoff;
  char *sts;
  for (off = 0; n < QM_DSN_RCPT_MAX && send_dsn_next(&r, blocks->s + off, blocks->len - off, &used) == 1; off += used) n++;
  if (!n) return 0;
  /* one allocation: the recipients, then a status buffer for each */
  if (n > SIZE_MAX / (sizeof *a + QM_DSN_STATUS_MAX)) return -1;
  a = calloc(n, sizeof *a + QM_DSN_STATUS_MAX);
  mtaoff = calloc(n, sizeof *mtaoff);
  if (!a || !mtaoff) { free(a); free(mtaoff); return -1; }
  sts = (char *)(a + n);
  mtas->len = 0;
  for (off = 0, i = 0; i < n && send_dsn_next(&r, blocks->s + off, blocks->len - off, &used) == 1; off += used, i++) {
    size_t mlen;
    char const *m = send_dsn_remote_mta(r.text, r.tlen, &mlen);
    /* an empty recipient cannot be written as an address: shown as <> */
    a[i].addr = r.rlen ? r.rcpt : "<>";
    a[i].addrlen = r.rlen ? r.rlen : 2;
    a[i].action = action;
    a[i].diag = r.text;
    a[i].diaglen = r.tlen;
    if (action == QM_DSN_FAILED && r.tlen >= sizeof dying_text - 1
        && !memcmp(r.text, dying_text, sizeof dying_text - 1)) {
      /* the queue gave up on a temporary failure: its status stays 4.x.x */
      qm_dsn_status(sts + i * QM_DSN_STATUS_MAX, r.text, r.tlen, QM_DSN_DELAYED);
      a[i].status = sts + i * QM_DSN_STATUS_MAX;
    }
    mtaoff[i] = SIZE_MAX;
    if (m) {
      mtaoff[i] = mtas->len;
      if (!stralloc_catb(mtas, m, mlen) || !stralloc_0(mtas)) { free(a); free(mtaoff); return -1; }
    }
  }
  /* the names are pointed to only now: the buffer may have moved while it grew */
  for (i = 0; i < n; i++) if (mtaoff[i] != SIZE_MAX) a[i].remote_mta = mtas->s + mtaoff[i];
  free(mtaoff);
  *out = a;
  return (long)n;
}

/* Queues a failure notice (or, delay set, a delay notice) for the recipients in
 * blocks, written by lib/qm_dsn straight into qmail-queue. 1 done (queued or
 * discarded), 0 try later. */
static int inject_bounce(uint64_t id, stralloc const *blocks, int delay)
{
  char path[QPATH_MAX];
  stralloc sender = STRALLOC_ZERO, to = STRALLOC_ZERO, from = STRALLOC_ZERO, rp = STRALLOC_ZERO;
  stralloc mtas = STRALLOC_ZERO, host = STRALLOC_ZERO;
  qm_dsn_rcpt *rc = 0;
  qm_dsn d;
  qm_qq qq;
  qm_qq_status st;
  struct stat sb, ib;
  bget g;
  char const *rcpt, *env_from;
  int fd = -1, ok = 0, route;
  long nr;
  size_t rlen = 0;
  uint64_t t = now();
  if (!read_sender(&sender, id)) { log3("warning: trouble reading ", qpath(path, "info", id, 1), "; will try again later"); return 0; }
  route = qm_dsn_route(sender.s, sender.len, &rlen);
  if (route == QM_DSN_DROP) {
    if (!delay) log3("triple bounce: discarding ", qpath(path, "bounce", id, 0), "");
    stralloc_free(&sender);
    return 1;
  }
  if (delay && route != QM_DSN_TO_SENDER) { stralloc_free(&sender); return 1; }
  nr = bounce_rcpts(&rc, &mtas, blocks, delay ? QM_DSN_DELAYED : QM_DSN_FAILED);
  if (nr < 0) { log1("alert: out of memory, will try later\n"); goto out; }
  if (!nr) { ok = 1; goto out; }   /* no complete block: nothing to report */
  if (route == QM_DSN_TO_POSTMASTER) {
    if (!stralloc_cat(&to, &cf.dbto) || !stralloc_append(&to, '@') || !stralloc_cat(&to, &cf.dbhost)) goto out;
    env_from = "#@[]";
  } else {
    if (!stralloc_catb(&to, sender.s, rlen)) goto out;
    env_from = "";
  }
  if (!stralloc_0(&to) || !stralloc_cat(&from, &cf.bouncefrom) || !stralloc_append(&from, '@')
      || !stralloc_cat(&from, &cf.bouncehost) || !stralloc_0(&from)
      || !stralloc_copy(&host, &cf.bouncehost) || !stralloc_0(&host)
      || !stralloc_cats(&rp, "Return-Path: <") || !stralloc_catb(&rp, sender.s, sender.len)
      || !stralloc_cats(&rp, ">\n") || !stralloc_0(&sender)) goto out;
  sender.len--;
  fd = open(qpath(path, "mess", id, 1), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || fstat(fd, &sb) < 0) { log3("warning: unable to open ", path, "; will try again later"); goto out; }
  memset(&d, 0, sizeof d);
  d.kind = delay ? QM_DSN_DELAY : route == QM_DSN_TO_POSTMASTER ? QM_DSN_DOUBLE : QM_DSN_FAILURE;
  d.mta = host.s;
  d.from = from.s;
  d.to = to.s;
  d.sender = sender.s;
  d.now = (time_t)t;
  {
    prep *lz = lazy_find(id);
    d.arrival = lz ? (time_t)lz->birth
              : stat(qpath(path, "info", id, 1), &ib) == 0 ? ib.st_mtime : (time_t)t;
  }
  d.retry_until = delay ? d.arrival + (time_t)cf.lifetime : 0;
  d.id = id;
  d.salt = ((uint64_t)getpid() << 32) ^ ++dcount;
  d.orig_size = (uint64_t)sb.st_size + rp.len;
  d.maxbytes = cf.bouncemaxbytes;
  d.rcpt = rc;
  d.nrcpt = (size_t)nr;
  g.fd = fd; g.pre = rp.s; g.prelen = rp.len; g.preoff = 0;
  if (!qm_qq_start(&qq, 0, 0)) { log1("warning: unable to start qmail-queue, will try later\n"); goto out; }
  if (!qm_dsn_write(&d, &bounce_put, &qq, &bounce_get, &g)) {
    qm_qq_abort(&qq);
    log1("warning: trouble writing bounce message, will try later\n");
    goto out;
  }
  rcpt = to.s;
  if (qm_qq_finish(&qq, env_from, &rcpt, 1, &st)) {
    if (delay) {
      char n1[UINT64_FMT], n2[UINT64_FMT];
      n1[uint64_fmt(n1, id)] = 0;
      n2[uint64_fmt(n2, (uint64_t)qq.pid)] = 0;
      stralloc_cats(&logsa, "delay notice msg ");
      stralloc_cats(&logsa, n1);
      stralloc_cats(&logsa, " qp ");
      stralloc_cats(&logsa, n2);
      stralloc_cats(&logsa, "\n");
    } else send_log_bounce(&logsa, id, (uint64_t)qq.pid);
    logflush();
    ok = 1;
  } else if (st.kind == 'D' && route == QM_DSN_TO_POSTMASTER) {
    log3("triple bounce: discarding ", qpath(path, "bounce", id, 0), "");
    ok = 1;
  } else log1("warning: trouble injecting bounce message, will try later\n");
 out:
  if (fd >= 0) close(fd);
  free(rc);
  stralloc_free(&sender); stralloc_free(&to); stralloc_free(&from); stralloc_free(&rp);
  stralloc_free(&mtas); stralloc_free(&host);
  return ok;
}

/* Once per message: the group-read bit of info/S/N (created 0600) records that the
 * delay notice went out, so a restart does not send it again. */
static void delay_notice(pass *p)
{
  char path[QPATH_MAX];
  struct stat st;
  if (!p->delayed.len || stat(qpath(path, "info", p->id, 1), &st) < 0) return;
  if (!qm_dsn_delay_due(p->sender.s, p->sender.len, (time_t)p->birth, (time_t)p->start,
                        cf.delaywarning, (st.st_mode & S_IRGRP) != 0)) return;
  if (inject_bounce(p->id, &p->delayed, 1) && chmod(path, 0640) < 0)
    log3("warning: unable to mark ", path, "; a delay notice may be sent again");
}

/* Messages whose bounce could not be queued, retried after FINISH_RETRY. */
typedef struct later_s { uint64_t id, at; } later;
static later *finish_later;
static size_t nfinish_later, capfinish_later;

static void later_add(uint64_t id)
{
  size_t i;
  for (i = 0; i < nfinish_later; i++) if (finish_later[i].id == id) return;
  if (nfinish_later == capfinish_later) {
    size_t cap = capfinish_later ? capfinish_later * 2 : 16;
    later *a = realloc(finish_later, cap * sizeof *a);
    if (!a) return;   /* forgotten until the next start-up scan */
    finish_later = a;
    capfinish_later = cap;
  }
  finish_later[nfinish_later].id = id;
  finish_later[nfinish_later].at = now() + FINISH_RETRY;
  nfinish_later++;
}

/* Queues bounce/N if there is one. 1 nothing left to send, 0 try later. */
static int bounce_flush(uint64_t id)
{
  char path[QPATH_MAX];
  stralloc blocks = STRALLOC_ZERO;
  int r = openreadfileclose(qpath(path, "bounce", id, 0), &blocks, 16UL << 20);
  if (r <= 0 && errno == ENOENT) return 1;
  if (r <= 0 || !inject_bounce(id, &blocks, 0)) { stralloc_free(&blocks); return 0; }
  stralloc_free(&blocks);
  /* once queued, the notice must not go out again: a failed unlink is logged */
  if (unlink(path) < 0 && errno != ENOENT) log3("warning: unable to unlink ", path, "; a bounce may be sent twice");
  return 1;
}

static void bounce_now(uint64_t id)
{
  if (clean_dead) return;
  if (!bounce_flush(id)) later_add(id);
}

static void finish_message(uint64_t id)
{
  char path[QPATH_MAX];
  int lazy = 0;
  if (clean_dead) return;
  if (!bounce_flush(id)) { later_add(id); return; }
  {
    /* done before its preprocessing was made durable: todo/N goes first, so a
     * crash from here on finds no todo/N whose mess/ is gone */
    long i = pend_find(id);
    if (i >= 0) {
      /* nothing of a lazy entry was written but todo/N, mess/ and intd/: its todo/N
       * goes in one exchange with mess/ below (qmail-clean does them in order) */
      lazy = lazy_find(id) != 0;
      pend_drop((size_t)i);
      if (!lazy) clean_batch(SEND_CLEAN_TODO, &id, 1);
      if (clean_dead) return;
    } else if ((i = sync_find(id)) >= 0) {
      /* the syncer may be using its descriptors: they close after its round */
      sync_forget((size_t)i);
      clean_batch(SEND_CLEAN_TODO, &id, 1);
      if (clean_dead) return;
    }
  }
  send_log_end(&logsa, id);
  logflush();
  if (lazy) {
    int const kinds[2] = { SEND_CLEAN_TODO, SEND_CLEAN_FOOP };
    uint64_t const ids[2] = { id, id };
    clean_cmds(kinds, 0, ids, 2);
    return;
  }
  if (!qm_unlink_later(qpath(path, "info", id, 1), -1)) {
    log3("warning: unable to unlink ", path, "; will try again later");
    return;
  }
  clean_batch(SEND_CLEAN_FOOP, &id, 1);
}

/* A retried bounce: send it, then end the message if no channel has work left. */
static void later_run(uint64_t id)
{
  if (clean_dead) return;
  if (!bounce_flush(id)) { later_add(id); return; }
  maybe_done(id);
}

/* --- todo ------------------------------------------------------------------------ */

typedef struct todo_state_s {
  uint64_t *ids;
  size_t n, pos, cap;
  int wanted;
  int full;              /* the next look reads the whole of todo/ */
  int watch;             /* inotify on todo/, or -1: then lock/trigger wakes us */
  uint64_t next_scan;    /* the next whole reading, whatever happens */
  later failed[TODO_FAILED_MAX];
  size_t nfailed;
} todo_state;

static todo_state td;
static uint64_t mess_next;       /* when the next mess/ directory is looked at */
static unsigned int mess_dir;

static int todo_failed_skip(uint64_t id, uint64_t t)
{
  size_t i;
  for (i = 0; i < td.nfailed; i++)
    if (td.failed[i].id == id) {
      if (td.failed[i].at > t) return 1;
      td.failed[i] = td.failed[--td.nfailed];
      return 0;
    }
  return 0;
}

static void todo_failed(uint64_t id)
{
  if (td.nfailed < TODO_FAILED_MAX) {
    td.failed[td.nfailed].id = id;
    td.failed[td.nfailed].at = now() + TODO_RETRY;
    td.nfailed++;
  }
  /* no event will name it again: a whole reading finds it when it is due */
  if (td.next_scan > now() + TODO_RETRY) td.next_scan = now() + TODO_RETRY;
}

static void todo_add(uint64_t id, uint64_t t)
{
  if (todo_failed_skip(id, t) || pend_find(id) >= 0 || sync_find(id) >= 0) return;
  if (td.n == td.cap) {
    size_t cap = td.cap ? td.cap * 2 : 256;
    uint64_t *a = realloc(td.ids, cap * sizeof *a);
    if (!a) {   /* out of memory: a whole reading after a pause finds the rest */
      td.full = 1;
      if (td.next_scan > t + 10) td.next_scan = t + 10;
      return;
    }
    td.ids = a;
    td.cap = cap;
  }
  td.ids[td.n++] = id;
}

static void todo_unwatch(void)
{
  close(td.watch);
  td.watch = -1;
  td.full = 1;
}

/* Takes the ids of new todo/ entries from the watch (only reads them with
 * discard). 0 when a whole reading is needed: events were lost or the watch ended
 * (it is then closed, and lock/trigger takes over). */
static int todo_events(uint64_t t, int discard)
{
  static union { struct inotify_event e; char b[65536]; } ev;
  static uint64_t ids[sizeof ev / sizeof(struct inotify_event)];
  unsigned int reads;
  for (reads = 0; reads < 64; reads++) {
    ssize_t r = read(td.watch, ev.b, sizeof ev.b);
    size_t n, i;
    int flags;
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && errno == EAGAIN) return 1;
    if (r <= 0) { log1("warning: trouble reading the todo watch; reading todo/ instead\n"); todo_unwatch(); return 0; }
    n = send_inotify_ids(ev.b, (size_t)r, ids, sizeof ids / sizeof ids[0], &flags);
    if (flags & SEND_INOTIFY_GONE) { todo_unwatch(); return 0; }
    if (flags & SEND_INOTIFY_RESCAN) return 0;
    if (!discard) for (i = 0; i < n; i++) todo_add(ids[i], t);
  }
  return 0;   /* a long backlog: one whole reading is cheaper */
}

/* Starts watching todo/; without inotify, lock/trigger and whole readings do. */
static void todo_watch(void)
{
  td.watch = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (td.watch < 0) return;
  if (inotify_add_watch(td.watch, "todo", SEND_INOTIFY_MASK | IN_ONLYDIR) < 0) {
    close(td.watch);
    td.watch = -1;
  }
}

/* The next todo/ entries to preprocess: those the watch reports, or all of todo/
 * at start, after lost events, for SIGALRM, when a failed entry is due again and
 * every TODO_RESCAN seconds (and always, without a watch). */
static void todo_scan(void)
{
  DIR *d;
  struct dirent *de;
  uint64_t t = now();
  int full = td.full || td.watch < 0 || t >= td.next_scan;
  td.n = td.pos = 0;
  td.wanted = 0;
  /* events queued now name entries the whole reading below finds anyway */
  if (td.watch >= 0 && !todo_events(t, full)) full = 1;
  if (!full) return;
  td.full = 0;
  td.next_scan = t + TODO_RESCAN;
  d = opendir("todo");
  if (!d) { log1("alert: unable to opendir todo, sleeping...\n"); td.next_scan = t + 10; return; }
  while ((de = readdir(d))) {
    uint64_t id;
    if (scanid(de->d_name, &id)) todo_add(id, t);
  }
  closedir(d);
}


/* Writes info/, local/, remote/ for one todo entry, without fsync yet, or keeps
 * their bytes in pp->data (pp->lazy) when they are small. */
static int prep_one(prep *pp, stralloc *env, stralloc *buf[SEND_NCHAN], stralloc *addr)
{
  char path[QPATH_MAX], qp[SEND_TODO_NUM_MAX + 1] = "", uid[SEND_TODO_NUM_MAX + 1] = "";
  send_todo *t;
  send_rcpt_ctx ctx;
  struct stat st;
  size_t off = 0, used, i;
  int c, fd;
  char const *dirs[3] = { "info", "local", "remote" };
  stralloc info = STRALLOC_ZERO;
  uint64_t id = pp->id;
  pp->fd[0] = pp->fd[1] = pp->fd[2] = -1;
  pp->has[0] = pp->has[1] = 0;
  pp->lazy = 0;
  /* the slot may hold a stale copy of an entry moved elsewhere: never free it */
  for (i = 0; i < 3; i++) pp->data[i] = stralloc_zero;
  env->len = 0;
  if (openreadfileclose(qpath(path, "todo", id, 0), env, 64UL << 20) <= 0) {
    if (errno == ENOENT) return 0;   /* cleaned up meanwhile */
    log3("warning: unable to open ", path, "; will try again later");
    return -1;
  }
  if (stat(qpath(path, "mess", id, 1), &st) < 0) {
    log3("warning: unable to stat ", path, "; will try again later");
    return -1;
  }
  t = malloc(sizeof *t);
  if (!t) return -1;
  send_todo_init(t);
  rcpt_ctx(&ctx);
  buf[0]->len = buf[1]->len = 0;
  while (off < env->len) {
    int r = send_todo_feed(t, env->s + off, env->len - off, &used);
    off += used;
    if (r < 0) break;
    if (!r) continue;
    if (t->type == 'p') memcpy(qp, t->val, t->len + 1);
    else if (t->type == 'u') memcpy(uid, t->val, t->len + 1);
    else if (t->type == 'F') {
      if (!stralloc_copyb(&info, "F", 1) || !stralloc_catb(&info, t->val, t->len + 1)) goto nomem;
    } else if (t->type == 'T') {
      size_t pre;
      c = send_rcpt_classify(&ctx, t->val, t->len, addr, &pre);
      if (c < 0) goto nomem;
      if (!stralloc_append(buf[c], 'T') || !stralloc_cat(buf[c], addr) || !stralloc_0(buf[c])) goto nomem;
    }
  }
  if (off < env->len || send_todo_finish(t) < 0) {
    log3("warning: unknown record type in ", qpath(path, "todo", id, 0), "; will try again later");
    free(t); stralloc_free(&info);
    return -1;
  }
  for (i = 0; i < 3; i++) unlink(qpath(path, dirs[i], id, 1));
  if (info.len + buf[0]->len + buf[1]->len <= LAZY_MAX) {
    send_log_new(&logsa, id);
    send_log_info(&logsa, id, (uint64_t)st.st_size, info.s + 1, info.len - 2, qp, uid);
    logflush();
    if (!stralloc_copy(&pp->data[0], &info)) goto nomem;
    for (c = 0; c < SEND_NCHAN; c++)
      if (buf[c]->len) {
        if (!stralloc_copy(&pp->data[1 + c], buf[c])) goto nomem;
        pp->has[c] = 1;
      }
    pp->lazy = 1;
    free(t); stralloc_free(&info);
    return 1;
  }
  fd = open(qpath(path, "info", id, 1), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) { log3("warning: unable to create ", path, "; will try again later"); goto fail; }
  pp->fd[0] = fd;
  send_log_new(&logsa, id);
  send_log_info(&logsa, id, (uint64_t)st.st_size, info.s + 1, info.len - 2, qp, uid);
  logflush();
  if (allwrite(fd, info.s, info.len) != info.len) { log3("warning: trouble writing to ", path, "; will try again later"); goto fail; }
  for (c = 0; c < SEND_NCHAN; c++) {
    if (!buf[c]->len) continue;
    fd = open(qpath(path, chan_dir[c], id, 1), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) { log3("warning: unable to create ", path, "; will try again later"); goto fail; }
    pp->fd[1 + c] = fd;
    pp->has[c] = 1;
    if (allwrite(fd, buf[c]->s, buf[c]->len) != buf[c]->len) {
      log3("warning: trouble writing to ", path, "; will try again later");
      goto fail;
    }
  }
  free(t); stralloc_free(&info);
  return 1;
 nomem:
  log1("alert: out of memory, sleeping...\n");
 fail:
  for (i = 0; i < 3; i++) if (pp->fd[i] >= 0) { close(pp->fd[i]); pp->fd[i] = -1; }
  for (i = 0; i < 3; i++) stralloc_free(&pp->data[i]);
  pp->has[0] = pp->has[1] = 0;
  pp->lazy = 0;
  free(t); stralloc_free(&info);
  return -1;
}

static void lazy_free(prep *pp)
{
  size_t k;
  for (k = 0; k < 3; k++) stralloc_free(&pp->data[k]);
  pp->lazy = 0;
}

/* Preprocessed entries whose info/, local/, remote/ files are written but not yet
 * durable. Their todo/N stays until their files and directories are fsynced, so a
 * crash before then preprocesses them again (a delivery may be repeated, none lost).
 * Deliveries start at once; a message whose deliveries all end first never needs
 * those fsyncs at all: finish_message removes its todo/N before anything else of it.
 * The fsyncs of all entries still here are shared, once TODO_BATCH are waiting or
 * the oldest has waited SYNC_DELAY_MS; they run in a thread of their own (the
 * syncer), so that the loop goes on reading replies and starting deliveries
 * meanwhile instead of stalling for a batch's hundred-odd fsyncs. */
static prep pend[TODO_BATCH];
static size_t npend;
static tain pend_due;

/* The batch handed to the syncer. While sync_busy the loop never touches these
 * entries' descriptors; an entry whose message ends meanwhile is only marked gone
 * (its todo/N is removed at once, as for pend). Entries that failed stay for the
 * next round. */
#define SYNC_MAX (2 * TODO_BATCH)
static prep syncing[SYNC_MAX];
static unsigned char sync_bad[SYNC_MAX], sync_gone[SYNC_MAX];
static size_t nsync;
static int sync_busy, sync_dirfail;
static int sync_pipe[2] = { -1, -1 };
static pthread_t sync_thread;

static long pend_find(uint64_t id)
{
  size_t i;
  for (i = 0; i < npend; i++) if (pend[i].id == id) return (long)i;
  return -1;
}

static long sync_find(uint64_t id)
{
  size_t i;
  for (i = 0; i < nsync; i++) if (!sync_gone[i] && syncing[i].id == id) return (long)i;
  return -1;
}

static void prep_close(prep *pp)
{
  size_t k;
  /* the files may be unlinked already: their blocks go with the last close */
  for (k = 0; k < 3; k++) if (pp->fd[k] >= 0) { qm_close_later(pp->fd[k]); pp->fd[k] = -1; }
  lazy_free(pp);
}

static prep *lazy_find(uint64_t id)
{
  long i = pend_find(id);
  return i >= 0 && pend[i].lazy ? &pend[i] : 0;
}


/* A channel of a lazy entry has no work left: as if its file were removed. */
static void lazy_chan_done(prep *pp, int c)
{
  pp->has[c] = 0;
  stralloc_free(&pp->data[1 + c]);
}

/* Puts a lazy entry's files on disk, D marks included, and points the open passes
 * of its message at them. 1 done (pp is then an ordinary entry awaiting its
 * fsyncs), 0 failed (nothing of it left on disk; it stays lazy for a later try). */
static int lazy_write(prep *pp)
{
  char path[QPATH_MAX];
  char const *dirs[3] = { "info", "local", "remote" };
  int k, c;
  unsigned int i;
  for (k = 0; k < 3; k++) {
    stralloc const *d = &pp->data[k];
    if (k && !pp->has[k - 1]) continue;
    pp->fd[k] = open(qpath(path, dirs[k], pp->id, 1), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (pp->fd[k] < 0 || allwrite(pp->fd[k], d->s, d->len) != d->len) {
      log3("warning: trouble writing to ", path, "; will try again later");
      for (k = 0; k < 3; k++)
        if (pp->fd[k] >= 0) { close(pp->fd[k]); pp->fd[k] = -1; unlink(qpath(path, dirs[k], pp->id, 1)); }
      return 0;
    }
  }
  for (c = 0; c < SEND_NCHAN; c++)
    for (i = 0; i <= QM_SPAWN; i++) {
      pass *p = &ch[c].p[i];
      if (!p->used || p->id != pp->id || p->fd >= 0) continue;
      p->fd = open(qpath(path, chan_dir[c], pp->id, 1), O_RDWR | O_CLOEXEC);
      if (p->fd < 0) log3("warning: unable to open ", path, "; a delivery may be repeated");
    }
  lazy_free(pp);
  return 1;
}

/* An entry of the syncer's whose message ended: while the syncer runs it is only
 * marked, its descriptors close after the round; otherwise it goes now. */
static void sync_forget(size_t i)
{
  if (sync_busy) { sync_gone[i] = 1; return; }
  prep_close(&syncing[i]);
  syncing[i] = syncing[--nsync];
}

static void pend_drop(size_t i)
{
  prep_close(&pend[i]);
  pend[i] = pend[--npend];
}

static void pend_retry_later(void)
{
  tain d;
  tain_now_g();
  tain_from_millisecs(&d, TODO_RETRY * 1000);
  tain_add_g(&pend_due, &d);
}

/* fsync the files, then each directory touched once. bad[i] says which entries'
 * files failed; 0 returned: a directory failed, and no entry may count as durable.
 * Touches nothing but the descriptors and the file system: the syncer runs it. */
static int sync_files(prep const *b, size_t n, unsigned char *bad)
{
  unsigned char dirty[3][QM_SPLIT];
  char const *dirs[3] = { "info", "local", "remote" };
  size_t i, k;
  memset(dirty, 0, sizeof dirty);
  for (i = 0; i < n; i++) {
    bad[i] = 0;
    for (k = 0; k < 3; k++)
      if (b[i].fd[k] >= 0) {
        if (fsync(b[i].fd[k]) < 0) bad[i] = 1;
        dirty[k][b[i].id % QM_SPLIT] = 1;
      }
  }
  for (k = 0; k < 3; k++)
    for (i = 0; i < QM_SPLIT; i++)
      if (dirty[k][i]) {
        char dir[QPATH_MAX];
        qm_queue_path_splitdir(dir, dirs[k], (unsigned long)i);
        if (!qm_queue_fsyncdir(dir)) return 0;
      }
  return 1;
}

static void *sync_main(void *arg)
{
  char c = 0;
  (void)arg;
  sync_dirfail = !sync_files(syncing, nsync, sync_bad);
  /* a full pipe is impossible: one byte per round, read before the next */
  (void)!write(sync_pipe[1], &c, 1);
  return 0;
}

/* After a round: the durable entries' todo/N go (through qmail-clean); nothing is
 * removed before its replacement is durable, and what failed stays for a later try. */
static void sync_finish(void)
{
  uint64_t done[SYNC_MAX];
  size_t nd = 0, i, keep = 0;
  if (sync_dirfail) log1("warning: trouble fsyncing a queue directory; will try again later\n");
  for (i = 0; i < nsync; i++) {
    prep *pp = &syncing[i];
    if (sync_gone[i]) { prep_close(pp); continue; }
    if (!sync_dirfail && !sync_bad[i]) { done[nd++] = pp->id; prep_close(pp); continue; }
    if (sync_bad[i]) {
      char path[QPATH_MAX];
      log3("warning: trouble fsyncing ", qpath(path, "info", pp->id, 1), "; will try again later");
    }
    syncing[keep] = *pp;
    sync_gone[keep] = 0;
    keep++;
  }
  nsync = keep;
  clean_batch(SEND_CLEAN_TODO, done, nd);
  if (nsync) pend_retry_later();
}

/* Waits for the syncer's round and takes its results. */
static void sync_wait(void)
{
  char c;
  if (!sync_busy) return;
  while (read(sync_pipe[0], &c, 1) < 0 && errno == EINTR) ;
  pthread_join(sync_thread, 0);
  sync_busy = 0;
  sync_finish();
}

/* Hands pend (and what failed before) to the syncer; with now, or when no thread
 * can be started, does the round here and waits for it. */
static void sync_start(int now)
{
  if (sync_busy || clean_dead) return;
  /* entries kept from a failed round are never marked gone: see finish_message */
  {
    static prep failed[TODO_BATCH];
    size_t nfailed = 0, k;
    while (npend && nsync < SYNC_MAX) {
      prep *pp = &pend[--npend];
      if (pp->lazy && !lazy_write(pp)) { failed[nfailed++] = *pp; continue; }
      sync_gone[nsync] = 0;
      syncing[nsync++] = *pp;
    }
    /* what could not be written stays lazy in pend for a later round */
    for (k = 0; k < nfailed; k++) pend[npend++] = failed[k];
    if (nfailed) pend_retry_later();
  }
  if (!nsync) return;
  if (!now && sync_pipe[0] >= 0 && !qm_thread_start(&sync_thread, &sync_main, 0)) {
    sync_busy = 1;
    return;
  }
  sync_dirfail = !sync_files(syncing, nsync, sync_bad);
  sync_finish();
}

/* Preprocesses todo entries into pend (room permitting) and starts their jobs. */
static void todo_batch(void)
{
  static stralloc env, b0, b1, addr;
  stralloc *bufs[SEND_NCHAN] = { &b0, &b1 };
  uint64_t t = now();
  unsigned int step = 0;
  if (npend == TODO_BATCH) sync_start(0);
  /* a few at a time: each costs file creations, and replies and new deliveries
   * must not wait for a whole batch of them */
  while (!clean_dead && td.pos < td.n && npend < TODO_BATCH && step++ < TODO_STEP) {
    prep *pp = &pend[npend];
    struct stat st;
    int r, c, any = 0;
    pp->id = td.ids[td.pos++];
    /* an id can be listed twice (a whole reading and an event): once is enough */
    if (pend_find(pp->id) >= 0 || sync_find(pp->id) >= 0) continue;
    r = prep_one(pp, &env, bufs, &addr);
    if (r < 0) todo_failed(pp->id);
    if (r <= 0) continue;
    pp->birth = !pp->lazy && fstat(pp->fd[0], &st) == 0 ? (uint64_t)st.st_mtime : t;
    if (!npend) {
      tain d;
      tain_now_g();
      tain_from_millisecs(&d, SYNC_DELAY_MS);
      tain_add_g(&pend_due, &d);
    }
    npend++;
    for (c = 0; c < SEND_NCHAN; c++)
      if (pp->has[c]) { job_push(c, pp->id, pp->birth, 0); any = 1; }
    if (!any) finish_message(pend[npend - 1].id);
  }
}

/* --- start-up scan ------------------------------------------------------------------ */

static void startup_scan(void)
{
  unsigned int s;
  for (s = 0; s < QM_SPLIT; s++) {
    char dir[QPATH_MAX];
    DIR *d;
    struct dirent *de;
    qm_queue_path_splitdir(dir, "info", s);
    d = opendir(dir);
    if (!d) { log3("alert: unable to opendir ", dir, ", sleeping..."); sleep(10); s--; continue; }
    while ((de = readdir(d))) {
      char path[QPATH_MAX];
      struct stat st, cs;
      uint64_t id, birth;
      int c, any = 0;
      if (!scanid(de->d_name, &id)) continue;
      if (stat(qpath(path, "todo", id, 0), &st) == 0) continue;   /* the todo pass redoes it */
      if (stat(qpath(path, "info", id, 1), &st) < 0) continue;
      birth = (uint64_t)st.st_mtime;
      for (c = 0; c < SEND_NCHAN; c++)
        if (stat(qpath(path, chan_dir[c], id, 1), &cs) == 0) {
          job_push(c, id, birth, (uint64_t)cs.st_mtime);
          any = 1;
        }
      /* a pass cut short by a stop leaves its failures in bounce/N */
      if (!any) finish_message(id);
      else bounce_now(id);
    }
    closedir(d);
  }
}

/* --- mess/ debris ---------------------------------------------------------------- */

/* A message file with neither todo/N nor info/S/N is left over from a qmail-queue
 * that died before its commit (it gives up within 24 hours) or from a cleanup that
 * failed. Once it is older than MESS_OSSIFIED it can be nobody's: qmail-clean
 * removes it (and intd/N). One directory per call, so a huge mess/ never holds up
 * the loop. */
static void mess_scan(unsigned int s)
{
  char dir[QPATH_MAX];
  uint64_t ids[TODO_BATCH];
  size_t n = 0;
  DIR *d;
  struct dirent *de;
  uint64_t t = now();
  qm_queue_path_splitdir(dir, "mess", s);
  d = opendir(dir);
  if (!d) { log3("warning: unable to opendir ", dir, "; will try again later"); return; }
  while ((de = readdir(d))) {
    char path[QPATH_MAX];
    struct stat st;
    uint64_t id;
    if (!scanid(de->d_name, &id)) continue;
    if (stat(qpath(path, "mess", id, 1), &st) < 0) continue;
    if ((uint64_t)st.st_mtime + MESS_OSSIFIED > t) continue;
    if (stat(qpath(path, "todo", id, 0), &st) == 0 || errno != ENOENT) continue;
    if (stat(qpath(path, "info", id, 1), &st) == 0 || errno != ENOENT) continue;
    log3("warning: removing debris ", qpath(path, "mess", id, 1), "");
    ids[n++] = id;
    if (n == TODO_BATCH) { clean_batch(SEND_CLEAN_FOOP, ids, n); n = 0; }
  }
  closedir(d);
  clean_batch(SEND_CLEAN_FOOP, ids, n);
}

/* --- shutdown ------------------------------------------------------------------------ */

static void set_due(int c, uint64_t id, uint64_t due)
{
  char path[QPATH_MAX];
  struct timeval tv[2];
  tv[0].tv_sec = tv[1].tv_sec = (time_t)(due > (uint64_t)INT64_MAX ? INT64_MAX : due);
  tv[0].tv_usec = tv[1].tv_usec = 0;
  if (utimes(qpath(path, chan_dir[c], id, 1), tv) < 0 && errno != ENOENT)
    log3("warning: unable to utime ", path, "; message will be retried too soon");
}

static void shutdown_now(void)
{
  int c;
  unsigned int i;
  for (c = 0; c < SEND_NCHAN; c++) {
    send_job j;
    while (ch[c].jobs.n) { send_prioq_pop(&ch[c].jobs, &j); set_due(c, j.id, j.due); }
    for (i = 0; i <= QM_SPAWN; i++) if (ch[c].p[i].used) set_due(c, ch[c].p[i].id, ch[c].p[i].start);
  }
  log1("status: exiting\n");
  _exit(0);
}

/* --- main ------------------------------------------------------------------------------ */

static void die_start(char const *why)
{
  /* why is always one of our own fixed texts */
  stralloc_cats(&logsa, "alert: cannot start: ");
  stralloc_cats(&logsa, why);
  log1("\n");
  _exit(QM_EXIT_TEMP);
}

static int open_trigger(void)
{
  return open("lock/trigger", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
}

static void reload(void)
{
  config n;
  char const *why;
  if (!config_load(&n, &why)) {
    config_free(&n);
    stralloc_cats(&logsa, "alert: unable to reread controls: ");
    stralloc_cats(&logsa, why);
    log1("\n");
    return;
  }
  config_free(&cf);
  cf = n;
  /* concurrencyperdomain may have grown */
  wake_waiters(SEND_CHAN_REMOTE, 0, SIZE_MAX);
  /* the tables point into heap buffers that the struct copy does not move */
}

int main(void)
{
  int have_rspawn, trig, spfd, lockfd, c;
  char const *why;
  unsigned char byte;
  struct stat st;
  have_rspawn = fcntl(3, F_GETFD) >= 0 && fcntl(4, F_GETFD) >= 0;
  if (!have_rspawn) {
    /* keep 3 and 4 from being reused by files opened later */
    int z = open("/dev/null", O_RDWR);
    while (z >= 0 && z < 4) z = dup(z);
  }
  if (sig_altignore(SIGPIPE) < 0) die_start("unable to ignore SIGPIPE");
  if (chdir(QM_HOME) < 0) die_start("unable to switch to home directory");
  if (!config_load(&cf, &why)) die_start(why);
  if (chdir("queue") < 0) die_start("unable to switch to queue directory");
  lockfd = open("lock/sendmutex", O_WRONLY | O_CLOEXEC);
  if (lockfd < 0) die_start("unable to open mutex");
  if (flock(lockfd, LOCK_EX | LOCK_NB) < 0) die_start("qmail-send is already running");
  trig = open_trigger();
  if (trig < 0) die_start("unable to open lock/trigger");
  /* with a watch on todo/, every new entry is an event: the trigger is left to
   * qmail-queue's ENXIO, which costs it and us nothing */
  todo_watch();
  if (td.watch >= 0) { close(trig); trig = -1; }
  spfd = selfpipe_init();
  if (spfd < 0 || selfpipe_trap(SIGTERM) < 0 || selfpipe_trap(SIGALRM) < 0 || selfpipe_trap(SIGHUP) < 0)
    die_start("unable to set up signal handling");
  for (c = 0; c < SEND_NCHAN; c++) {
    unsigned int i;
    ch[c].fdout = c ? 3 : 1;
    ch[c].fdin = c ? 4 : 2;
    ch[c].reading = -1;
    for (i = 0; i <= QM_SPAWN; i++) { ch[c].p[i].fd = -1; ch[c].p[i].used = 0; }
    send_reply_init(&ch[c].rep);
    if (c == SEND_CHAN_REMOTE && !have_rspawn) continue;
    if (fd_read(ch[c].fdin, (char *)&byte, 1) != 1) die_start("hath the daemon spawn no fire?");
    ch[c].spawnmax = byte > QM_SPAWN ? QM_SPAWN : byte;
    ch[c].alive = 1;
    if (ndelay_on(ch[c].fdout) < 0 || ndelay_on(ch[c].fdin) < 0) die_start("unable to set up the spawner pipes");
  }
  if (!have_rspawn) log1("alert: no qmail-rspawn: remote deliveries stay queued\n");
  if (fstat(6, &st) < 0) die_start("no qmail-clean");
  /* without the pipe the fsyncs of preprocessing run in the loop, as they can */
  if (pipecoe(sync_pipe) < 0) sync_pipe[0] = sync_pipe[1] = -1;
  qm_closer_start();
  startup_scan();
  td.wanted = 1;
  td.full = 1;
  mess_next = now();
  tain_now_set_wallclock_g();
  for (;;) {
    iopause_fd x[8];
    unsigned int nx = 0, i;
    int ix_trig, ix_watch, ix_sync, ix_in[SEND_NCHAN], ix_out[SEND_NCHAN];
    uint64_t t = now(), wake = t + SLEEP_MAX;
    tain deadline;
    tain_now_g();
    if ((npend || nsync) && !sync_busy && !exitasap && !tain_future(&pend_due)) sync_start(0);
    if (exitasap && !ch[0].busy && !ch[1].busy) {
      /* the last round here, so that nothing preprocessed is left undurable */
      sync_wait();
      sync_start(1);
      shutdown_now();
    }
    /* fairness: a bounded batch of todo per round, deliveries started around it */
    for (c = 0; c < SEND_NCHAN; c++) chan_fill(c, t);
    if (!exitasap && !clean_dead) {
      if (td.pos >= td.n && (td.wanted || t >= td.next_scan)) todo_scan();
      if (td.pos < td.n) todo_batch();
    }
    t = now();
    if (!exitasap && !clean_dead && t >= mess_next) {
      mess_scan(mess_dir);
      mess_dir = (mess_dir + 1) % QM_SPLIT;
      /* the directories follow each other quickly, then a long rest */
      mess_next = mess_dir ? t : t + MESS_SCAN;
    }
    for (c = 0; c < SEND_NCHAN; c++) {
      /* a safety net: nothing waits for its domain longer than POSTPONE_MAX */
      while (ch[c].waiting.n && send_waitq_oldest(&ch[c].waiting) + POSTPONE_MAX <= t) wake_waiters_oldest(c);
      chan_fill(c, t);
    }
    for (i = 0; i < nfinish_later; )
      if (finish_later[i].at <= t) {
        uint64_t id = finish_later[i].id;
        finish_later[i] = finish_later[--nfinish_later];
        later_run(id);
      } else i++;
    /* when to wake up */
    /* todo work waits while pend is full and the syncer busy: its pipe wakes us */
    if ((td.pos < td.n && npend < TODO_BATCH) || (td.wanted && !exitasap)) wake = t;
    if (td.next_scan < wake) wake = td.next_scan;
    if (mess_next < wake) wake = mess_next;
    for (i = 0; i < nfinish_later; i++) if (finish_later[i].at < wake) wake = finish_later[i].at;
    for (c = 0; c < SEND_NCHAN; c++) {
      uint64_t w = send_waitq_oldest(&ch[c].waiting);
      if (w != UINT64_MAX && w + POSTPONE_MAX < wake) wake = w + POSTPONE_MAX;
    }
    for (c = 0; c < SEND_NCHAN; c++) {
      send_job const *top = send_prioq_min(&ch[c].jobs);
      if (top && ch[c].busy < chan_limit(c) && !exitasap && ch[c].reading < 0) {
        uint64_t due = top->due < t ? t : top->due;
        if (due < wake) wake = due;
      }
    }
    x[nx].fd = spfd; x[nx].events = IOPAUSE_READ; nx++;
    if (td.watch < 0 && trig < 0) trig = open_trigger();
    ix_trig = -1;
    if (trig >= 0) { ix_trig = (int)nx; x[nx].fd = trig; x[nx].events = IOPAUSE_READ; nx++; }
    /* only when its events would be read at once: it stays readable till then */
    ix_watch = -1;
    if (td.watch >= 0 && td.pos >= td.n && !td.wanted && !exitasap && !clean_dead) {
      ix_watch = (int)nx; x[nx].fd = td.watch; x[nx].events = IOPAUSE_READ; nx++;
    }
    ix_sync = -1;
    if (sync_busy) { ix_sync = (int)nx; x[nx].fd = sync_pipe[0]; x[nx].events = IOPAUSE_READ; nx++; }
    for (c = 0; c < SEND_NCHAN; c++) {
      ix_in[c] = ix_out[c] = -1;
      if (!ch[c].alive) continue;
      ix_in[c] = (int)nx; x[nx].fd = ch[c].fdin; x[nx].events = IOPAUSE_READ; nx++;
      if (ch[c].wbuf.len) { ix_out[c] = (int)nx; x[nx].fd = ch[c].fdout; x[nx].events = IOPAUSE_WRITE; nx++; }
    }
    log_write();   /* what this round logged, before we may sleep */
    tain_now_g();
    tain_addsec_g(&deadline, (int)(wake > t ? (wake - t > SLEEP_MAX ? SLEEP_MAX : wake - t) : 0));
    if ((npend || nsync) && !sync_busy && tain_less(&pend_due, &deadline)) deadline = pend_due;
    if (iopause_g(x, nx, &deadline) < 0) {
      if (errno != EINTR) { log1("warning: trouble in select\n"); sleep(1); }
      continue;
    }
    if (x[0].revents & (IOPAUSE_READ | IOPAUSE_EXCEPT)) {
      int sig;
      while ((sig = selfpipe_read()) > 0) {
        if (sig == SIGTERM) { exitasap = 1; status(); }
        else if (sig == SIGHUP) reload();
        else if (sig == SIGALRM) {
          for (c = 0; c < SEND_NCHAN; c++) {
            wake_waiters(c, 0, SIZE_MAX);
            send_prioq_alldue(&ch[c].jobs, 0);
          }
          td.nfailed = 0;
          td.wanted = 1;
          td.full = 1;
        }
      }
    }
    if (ix_sync >= 0 && x[ix_sync].revents & (IOPAUSE_READ | IOPAUSE_EXCEPT)) sync_wait();
    if (ix_trig >= 0 && x[ix_trig].revents & (IOPAUSE_READ | IOPAUSE_EXCEPT)) {
      /* a FIFO whose writer closed stays readable: reopen instead of reading (the
       * top of the next round does, unless a watch has taken over) */
      close(trig);
      trig = -1;
      td.wanted = 1;
    }
    if (ix_watch >= 0 && x[ix_watch].revents & (IOPAUSE_READ | IOPAUSE_EXCEPT)) td.wanted = 1;
    for (c = 0; c < SEND_NCHAN; c++) {
      if (ix_out[c] >= 0 && x[ix_out[c]].revents & (IOPAUSE_WRITE | IOPAUSE_EXCEPT)) chan_write(c);
      if (ix_in[c] >= 0 && x[ix_in[c]].revents & (IOPAUSE_READ | IOPAUSE_EXCEPT)) chan_read(c);
    }
  }
}
