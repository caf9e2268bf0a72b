/* qmail-rspawn: qmail-send's remote spawner. Runs as qmailr in HOME/queue/mess;
 * serves the spawner loop (send_spawner) with one qmail-remote delivery per
 * command (host = the part of the recipients after their last '@', all the same;
 * the message file as stdin) and one reply per recipient. With reuse on, the
 * deliveries run in long-lived qmail-remote workers, each keeping its SMTP
 * connection between jobs to one host. Trusts qmail-send's commands only after
 * send_cmd_check and check; never passes a worker's output on without
 * remote_rspawn_report's reading of it, nor keeps a worker whose word about its
 * connection is anything but one valid line; never gives one worker two jobs. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <skalibs/stralloc.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <skalibs/djbunix.h>
#include <skalibs/selfpipe.h>
#include <skalibs/sig.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>

#include "qm_clock.h"
#include "qm_conf.h"
#include "qm_exit.h"
#include "qm_control.h"
#include "remote_conn.h"
#include "remote_job.h"
#include "qm_fdpass.h"
#include "remote_rspawn.h"
#include "remote_tls.h"
#include "../qmail-send/send_proto.h"
#include "../qmail-send/send_spawner.h"

char const *PROG = "qmail-rspawn";

static uid_t uid_qmailq;
static char const *remote = QM_HOME "/bin/qmail-remote";
static char const *tlsd = QM_HOME "/bin/qmail-tlsd";
static int have_tlsd;

static char const *hostof(char const *rcpt)
{
  return strrchr(rcpt, '@') + 1;   /* send_cmd_check made sure there is one */
}

/* One qmail-remote run serves one host: every recipient must name the same. */
static char const *check(send_cmd *c)
{
  char const *host = hostof(c->rcpt);
  unsigned int i;
  if (!*host) return "DSorry, address must include host name. (#5.1.3)\n";
  for (i = 1; i < c->nrcpt; i++)
    if (strcasecmp(hostof(send_cmd_rcpt(c, i)), host))
      return "ZSorry, recipients for different hosts in one command. (#4.3.0)\n";
  return 0;
}

/* Workers (qmail-rspawn(8)). With reuse on, every qmail-remote is started here
 * as a worker: its channel, the other end of a sequenced-packet socketpair, is
 * its fd WORKER_FD (QMAIL_WORKER). A worker that keeps its connection after a
 * delivery says so on the channel (the connection's description line) before
 * its report ends, then waits there for the next job to that host: the job
 * (remote_job.h) with the message and the report pipe attached. The cache holds
 * the channels of waiting workers, keyed by host as the connections were; a
 * channel closed here ends its worker (QUIT to the server).
 *
 * A burst to one host does not start a worker per job: a job for a host with
 * no waiting worker waits here for the first worker of its host that offers
 * itself; it gets a new worker only once it has waited GROW_MS (the host's
 * workers do not keep up) and fewer than START_MAX of the host's workers are
 * in their first delivery (connecting, greeting, EHLO), or once it has waited
 * PENDING_MS, whatever they are doing. A job for a host with no worker at all
 * starts one at once. */
#define WORKER_FD 6
#define CHAN_FD_MAX 1024        /* channels sit below this, so a table finds their worker */
#define START_MAX 5
#define PENDING_MS 1000
#define GROW_MS 20

static int workers;             /* reuse on: jobs go to workers */
static remote_conncache cache;
static struct worker_slot {
  int chan;                     /* the busy worker's channel, -1 none */
  int fresh;                    /* its worker was started for this job */
  char host[REMOTE_CONN_HOST_MAX + 1];
} wslot[QM_SPAWN];
static pid_t chanpid[CHAN_FD_MAX];   /* each channel's worker */

/* Jobs waiting for a worker, oldest first: the job packet, and copies of the
 * message and the report pipe (the spawner closed its own). */
static struct pending {
  unsigned int slot;
  char *job;
  size_t len;
  int msg, rep;
  uint64_t since;
} pend[QM_SPAWN];
static unsigned int npend;

/* The cache and the pending jobs count in unsigned milliseconds. */
static uint64_t now_ms(void)
{
  return (uint64_t)qm_now_ms();
}

/* A job for a waiting worker: 1 sent (the worker has the message and the
 * report pipe), 0 not (the worker is gone). */
static int job_send(int chan, char const *job, size_t len, int msg, int rep)
{
  int fds[2] = { msg, rep };
  return qm_fdpass_sendn(chan, job, len, fds, 2, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)len;
}

/* A new worker for a job; its channel, or -1. fds: the message to 0, the report
 * pipe to 1, the channel to WORKER_FD, in that order (each may sit where a later
 * one goes, never where an earlier one went: 0 and 1 are taken here). */
static int worker_start(char const *job, size_t len, int msg, int rep)
{
  static char buf[REMOTE_JOB_MAX];
  char const *argv[REMOTE_JOB_ARGV_MAX];
  int p[2];
  pid_t pid;
  if (len > sizeof buf) return -1;
  memcpy(buf, job, len);
  if (remote_job_parse(argv, buf, len) < 0) return -1;
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, p) < 0) return -1;
  if (p[0] >= CHAN_FD_MAX) { fd_close(p[0]); fd_close(p[1]); return -1; }
  pid = fork();
  if (pid < 0) { fd_close(p[0]); fd_close(p[1]); return -1; }
  if (pid) { fd_close(p[1]); chanpid[p[0]] = pid; return p[0]; }
  selfpipe_finish();
  sig_restore(SIGPIPE);
  /* fd_copy refuses a descriptor onto itself: the channel may already be at 6 */
  if (fd_copy(0, msg) < 0 || fd_copy(1, rep) < 0 || (p[1] != WORKER_FD && fd_copy(WORKER_FD, p[1]) < 0)
    || uncoe(0) < 0 || uncoe(1) < 0 || uncoe(WORKER_FD) < 0)
    _exit(REMOTE_RSPAWN_EXIT_EXEC);
  if (setenv("QMAIL_WORKER", "6", 1) < 0
    || (have_tlsd ? setenv("QMAIL_TLSD", tlsd, 1) < 0 : unsetenv("QMAIL_TLSD") < 0))
    _exit(REMOTE_RSPAWN_EXIT_EXEC);
  execv(remote, (char *const *)argv);
  _exit(REMOTE_RSPAWN_EXIT_EXEC);
}

/* Slot s's job to a new worker: its pid, 0 when none could start. */
static pid_t start_fresh(unsigned int s, char const *job, size_t len, int msg, int rep)
{
  int chan = worker_start(job, len, msg, rep);
  if (chan < 0) return 0;
  wslot[s].chan = chan;
  wslot[s].fresh = 1;
  return chanpid[chan];
}

/* Workers for host busy with a job; with fresh, only those still in their
 * first delivery. */
static unsigned int busy_for(char const *host, int fresh)
{
  unsigned int s, n = 0;
  for (s = 0; s < QM_SPAWN; s++)
    if (wslot[s].chan >= 0 && (!fresh || wslot[s].fresh) && !strcasecmp(wslot[s].host, host)) n++;
  return n;
}

static int pending_add(unsigned int s, char const *job, size_t len, int msg, int rep)
{
  struct pending *p = &pend[npend];
  if (npend == QM_SPAWN || !(p->job = malloc(len))) return 0;
  p->msg = fcntl(msg, F_DUPFD_CLOEXEC, 0);
  p->rep = fcntl(rep, F_DUPFD_CLOEXEC, 0);
  if (p->msg < 0 || p->rep < 0) {
    if (p->msg >= 0) fd_close(p->msg);
    if (p->rep >= 0) fd_close(p->rep);
    free(p->job);
    return 0;
  }
  memcpy(p->job, job, len);
  p->len = len;
  p->slot = s;
  p->since = now_ms();
  npend++;
  return 1;
}

/* The oldest pending job for host (0: of any host), or -1. */
static int pending_find(char const *host)
{
  unsigned int i;
  for (i = 0; i < npend; i++) if (!host || !strcasecmp(wslot[pend[i].slot].host, host)) return (int)i;
  return -1;
}

/* Pending job i leaves the list: to the worker on chan (-1: a new one). When no
 * worker takes it, its slot ends as a job that could not be run. */
static void pending_run(unsigned int i, int chan)
{
  struct pending p = pend[i];
  pid_t pid = 0;
  memmove(&pend[i], &pend[i + 1], (npend - i - 1) * sizeof pend[0]);
  npend--;
  if (chan >= 0) {
    if (job_send(chan, p.job, p.len, p.msg, p.rep)) { wslot[p.slot].chan = chan; pid = chanpid[chan]; }
    else fd_close(chan);
  }
  if (!pid) pid = start_fresh(p.slot, p.job, p.len, p.msg, p.rep);
  fd_close(p.msg);
  fd_close(p.rep);
  free(p.job);
  send_spawner_handed(p.slot, pid);
}

/* Gives a new worker to each job of host (0: of any host) that has waited
 * GROW_MS, while fewer than START_MAX of its host's workers are new. */
static void pending_grow(char const *host, uint64_t now)
{
  unsigned int i = 0;
  while (i < npend && pend[i].since + GROW_MS <= now) {
    char const *h = wslot[pend[i].slot].host;
    if ((!host || !strcasecmp(h, host)) && busy_for(h, 1) < START_MAX) pending_run(i, -1);
    else i++;
  }
}

/* When the next pending job will have waited GROW_MS, if one is younger. */
static uint64_t grow_due(uint64_t now)
{
  unsigned int i;
  for (i = 0; i < npend; i++) if (pend[i].since + GROW_MS > now) return pend[i].since + GROW_MS;
  return UINT64_MAX;
}

/* send_spawner's hand: the most recently waiting worker for the host takes the
 * job; one that is gone is dropped and the next tried; with none, a new one, or
 * the job waits when enough new ones are already on their way. */
static pid_t hand(unsigned int s, send_cmd const *c, int msg, int rep)
{
  static char job[REMOTE_JOB_MAX];
  char const *rcpt[SEND_RCPTS_MAX];
  char const *host = hostof(c->rcpt);
  remote_conninfo info;
  unsigned int i;
  size_t len;
  int chan;
  wslot[s].chan = -1;
  wslot[s].fresh = 0;
  if (!workers || strlen(host) > REMOTE_CONN_HOST_MAX) return 0;
  memcpy(wslot[s].host, host, strlen(host) + 1);
  for (i = 0; i < c->nrcpt; i++) rcpt[i] = send_cmd_rcpt(c, i);
  len = remote_job_fmt(job, sizeof job, host, c->sender, rcpt, c->nrcpt);
  if (!len) return 0;
  while ((chan = remote_conncache_take(&cache, host, &info, now_ms())) >= 0) {
    if (job_send(chan, job, len, msg, rep)) { wslot[s].chan = chan; return chanpid[chan]; }
    fd_close(chan);
  }
  /* a host already being served waits for its workers first (see above) */
  if (busy_for(host, 0) && pending_add(s, job, len, msg, rep)) return -1;
  return start_fresh(s, job, len, msg, rep);   /* 0: the plain fork answers, or says why not */
}

/* send_spawner's waiting: the worker's offer is there (it is made before the
 * report ends), so it waits for a job rather than exiting. */
static int waiting(unsigned int s)
{
  char b;
  return wslot[s].chan >= 0 && recv(wslot[s].chan, &b, 1, MSG_DONTWAIT | MSG_PEEK) > 0;
}

/* Slot s's report has ended: its worker takes the oldest job waiting for its
 * host, or waits for the next, if it said so in one message of its own (a
 * description line, nothing attached, nothing after it) and the cache has room;
 * otherwise its channel is closed here and the worker ends. */
static void ended(unsigned int s, int wstat)
{
  char line[REMOTE_CONN_LINE_MAX + 1];
  remote_conninfo info;
  unsigned int nfd;
  ssize_t r;
  int chan = wslot[s].chan, ok, i;
  (void)wstat;
  if (chan < 0) return;
  wslot[s].chan = -1;
  wslot[s].fresh = 0;
  r = qm_fdpass_recv(chan, line, sizeof line, 0, 0, &nfd, MSG_DONTWAIT);
  ok = r >= 1 && !nfd && line[r - 1] == '\n' && remote_conn_parse(&info, line, (size_t)r - 1) > 0;
  if (ok && recv(chan, line, 1, MSG_DONTWAIT | MSG_PEEK) >= 0) ok = 0;   /* more than one */
  if (ok && info.uses < cache.maxuses && (i = pending_find(wslot[s].host)) >= 0) {
    pending_run((unsigned int)i, chan);
    chan = -1;
  } else if (ok && remote_conncache_put(&cache, wslot[s].host, chan, &info, now_ms())) chan = -1;
  if (chan >= 0) fd_close(chan);
  pending_grow(wslot[s].host, now_ms());
}

static uint64_t grow_at = UINT64_MAX;   /* when a pending job next reaches GROW_MS */

static void tick(tain *deadline)
{
  uint64_t now = now_ms(), w;
  int fd;
  while ((fd = remote_conncache_expire(&cache, now)) >= 0) fd_close(fd);
  /* a job waits PENDING_MS at most, whatever the first deliveries are doing */
  while (npend && pend[0].since + PENDING_MS <= now) pending_run(0, -1);
  if (grow_at <= now) pending_grow(0, now);
  grow_at = grow_due(now);
  w = remote_conncache_wait(&cache, now);
  if (npend && pend[0].since + PENDING_MS - now < w) w = pend[0].since + PENDING_MS - now;
  if (grow_at != UINT64_MAX && grow_at - now < w) w = grow_at - now;
  if (w != UINT64_MAX) {
    tain d;
    tain_from_millisecs(&d, (int)(w > 600000 ? 600000 : w) + 1);
    tain_add_g(&d, &d);
    if (tain_less(&d, deadline)) *deadline = d;
  }
}

/* With reuse off: one plain qmail-remote per command, started by the spawner.
 * qmail-remote starts qmail-tlsd itself when a session comes to STARTTLS
 * (QMAIL_TLSD), with the CA file its tlsdestinations line names: a delivery
 * without TLS never loads OpenSSL. */
static void child(send_cmd const *c)
{
  char const *argv[4 + SEND_RCPTS_MAX];
  unsigned int n = 0, i;
  if (have_tlsd ? setenv("QMAIL_TLSD", tlsd, 1) < 0 : unsetenv("QMAIL_TLSD") < 0)
    _exit(REMOTE_RSPAWN_EXIT_EXEC);
  if (unsetenv("QMAIL_WORKER") < 0) _exit(REMOTE_RSPAWN_EXIT_EXEC);
  argv[n++] = "qmail-remote"; argv[n++] = hostof(c->rcpt); argv[n++] = c->sender;
  for (i = 0; i < c->nrcpt; i++) argv[n++] = send_cmd_rcpt(c, i);
  argv[n] = 0;
  execv(remote, (char *const *)argv);
  _exit(REMOTE_RSPAWN_EXIT_EXEC);
}

/* qmail-remote writes one recipient report (r/h/s) per recipient, then the
 * message report (K/Z/D). Recipient i's reply is remote_rspawn_report's reading
 * of its own report with the message report; one without a report of its own
 * (the session ended before its RCPT) gets the message report alone. */
#define RSPAWN_PART_MAX 4000   /* bytes of each report a per-recipient view keeps */

static int report(stralloc *texts, unsigned int nrcpt, int sig, int code, char const *out, size_t len)
{
  char const *part[SEND_RCPTS_MAX], *msg = 0;
  size_t plen[SEND_RCPTS_MAX], mlen = 0, off = 0;
  unsigned int nr = 0, i;
  stralloc view = STRALLOC_ZERO, r = STRALLOC_ZERO;
  int ok = 1;
  if (nrcpt == 1 || sig || code) {
    /* one recipient, or nothing to split: the report as it always was */
    ok = remote_rspawn_report(&r, sig, code, out, len) && stralloc_0(&r);
    while (ok && nrcpt--) ok = stralloc_catb(texts, r.s, r.len);
    stralloc_free(&r);
    return ok;
  }
  while (off < len && !msg) {
    char const *end = memchr(out + off, 0, len - off);
    size_t n;
    if (!end) break;
    n = (size_t)(end - (out + off));
    if (n && (out[off] == 'K' || out[off] == 'Z' || out[off] == 'D')) {
      msg = out + off; mlen = n < RSPAWN_PART_MAX ? n : RSPAWN_PART_MAX;
    } else if (n && nr < nrcpt && (out[off] == 'r' || out[off] == 'h' || out[off] == 's')) {
      part[nr] = out + off; plen[nr++] = n < RSPAWN_PART_MAX ? n : RSPAWN_PART_MAX;
    } else break;
    off += n + 1;
  }
  for (i = 0; ok && i < nrcpt; i++) {
    view.len = 0;   /* an empty view (no message report) is read as mangled */
    if (msg) {
      if (i < nr) ok = stralloc_catb(&view, part[i], plen[i]) && stralloc_catb(&view, "", 1);
      ok = ok && stralloc_catb(&view, msg, mlen) && stralloc_catb(&view, "", 1);
    }
    ok = ok && remote_rspawn_report(&r, 0, 0, view.s, view.len) && stralloc_0(&r)
      && stralloc_catb(texts, r.s, r.len);
  }
  stralloc_free(&view);
  stralloc_free(&r);
  return ok;
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
  send_spawner sp;
  send_spawner_hooks hooks = { .ended = ended, .tick = tick, .hand = hand, .waiting = waiting };
  struct passwd *pw;
  char const *x;
  unsigned long idle = 5, uses = 100, conc = 20, perdomain = 20;
  int r, fd;
  (void)argc; (void)argv;
  errno = 0;
  if (!(pw = getpwnam(QM_USER_QMAILQ))) strerr_diefu2sys(QM_EXIT_TEMP, "find user ", QM_USER_QMAILQ);
  uid_qmailq = pw->pw_uid;
  x = getenv("QMAILREMOTE");
  if (x && x[0] == '/') remote = x;
  x = getenv("QMAILTLSD");
  if (x && x[0] == '/') tlsd = x;
  have_tlsd = !(x && !x[0]) && access(tlsd, X_OK) == 0;
  if (chdir(QM_HOME) < 0) strerr_diefu2sys(QM_EXIT_TEMP, "switch to ", QM_HOME);
  if (qm_control_readulong(&idle, "control/timeoutremoteidle", 5) < 0
    || qm_control_readulong(&uses, "control/remotetransactions", 100) < 0
    || qm_control_readulong(&conc, "control/concurrencyremote", 20) < 0
    || qm_control_readulong(&perdomain, "control/concurrencyperdomain", 20) < 0)
    strerr_diefu1sys(QM_EXIT_TEMP, "read control files");
  if (idle > 3600) idle = 3600;
  if (conc > QM_SPAWN) conc = QM_SPAWN;
  /* idle connections: as many as there can be deliveries, as qmail-send allows them */
  workers = uses > 1 && idle > 0;
  remote_conncache_init(&cache, (unsigned int)conc, (unsigned int)(perdomain < conc ? perdomain : conc),
    uses, workers ? (uint64_t)idle * 1000 : 0);
  if (chdir("queue/mess") < 0) strerr_diefu2sys(QM_EXIT_TEMP, "switch to ", QM_HOME "/queue/mess");
  tcpto_clear();
  sp.check = &check;
  sp.child = &child;
  sp.report = &report;
  sp.owner = uid_qmailq;
  sp.keep = SEND_RCPTS_MAX * RSPAWN_PART_MAX;
  sp.childfail = REMOTE_RSPAWN_EXIT_EXEC;
  sp.keeperr = have_tlsd;   /* the helper's log lines must not mix with the reports */
  r = send_spawner_run_hooks(&sp, &hooks);
  while ((fd = remote_conncache_drop(&cache)) >= 0) fd_close(fd);
  return r;
}
