/* qmail-rspawn: qmail-send's remote spawner. Runs as qmailr in HOME/queue/mess;
 * serves the spawner loop (send_spawner) with one qmail-remote per command (host =
 * the part of the recipients after their last '@', all the same; the message file
 * as stdin) and one reply per recipient. Trusts qmail-send's commands only after
 * send_cmd_check and check; never passes a child's output on without
 * remote_rspawn_report's reading of it. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <skalibs/stralloc.h>
#include <unistd.h>
#include <sys/file.h>

#include <skalibs/djbunix.h>
#include <skalibs/strerr.h>

#include "qm_conf.h"
#include "qm_exit.h"
#include "qm_control.h"
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

/* qmail-remote starts qmail-tlsd itself when a session comes to STARTTLS
 * (QMAIL_TLSD), with the CA file its tlsdestinations line names: a delivery
 * without TLS never loads OpenSSL. */
static void child(send_cmd const *c)
{
  char const *argv[4 + SEND_RCPTS_MAX];
  unsigned int n = 0, i;
  if (have_tlsd ? setenv("QMAIL_TLSD", tlsd, 1) < 0 : unsetenv("QMAIL_TLSD") < 0)
    _exit(REMOTE_RSPAWN_EXIT_EXEC);
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
  sp.check = &check;
  sp.child = &child;
  sp.report = &report;
  sp.owner = uid_qmailq;
  sp.keep = SEND_RCPTS_MAX * RSPAWN_PART_MAX;
  sp.childfail = REMOTE_RSPAWN_EXIT_EXEC;
  sp.keeperr = have_tlsd;   /* the helper's log lines must not mix with the reports */
  return send_spawner_run(&sp);
}
