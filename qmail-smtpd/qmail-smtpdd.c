/* qmail-smtpdd: qmail-smtpd sessions without an exec for every connection. Runs as
 * qmaild under s6 and listens on HOME/smtpd/socket, which only qmaild can reach.
 * tcpserver runs qmail-smtpdc for each connection, which passes the connection,
 * its limits and its environment here; a child forked for it takes them, answers
 * that it has the session, and serves it exactly as qmail-smtpd would. The daemon
 * reports each session's exit code to its front and reads nothing from a client
 * itself (qmail-smtpdd(8)). */
/* SO_PEERCRED, struct ucred */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <skalibs/djbunix.h>
#include <skalibs/selfpipe.h>
#include <skalibs/sig.h>
#include <skalibs/strerr.h>

#include "qm_conf.h"
#include "qm_exit.h"
#include "qm_fdpass.h"
#include "qm_forkd.h"
#include "smtpd_main.h"
#include "smtpdd_packet.h"

char const *PROG = "qmail-smtpdd";
#define USAGE "qmail-smtpdd [ -c sessions ] [ -d notif ] [ -s socket ]"
#define TAKE_TIMEOUT 10   /* seconds a front has to pass the session */

typedef struct kid_s {
  pid_t pid;
  int conn;       /* the front's connection: the session's exit code goes there */
} kid;

static qm_forkd d;   /* defined with its hooks below main's helpers */
static kid *kids;
static unsigned int nkids;
static char packet[SMTPDD_PACKET_MAX + 1];

/* The front's limits, as far as ours allow: the session runs under the limits of
 * the qmail-smtpd service, as it would have in its own process. */
static int apply_limits(smtpdd_packet const *pk)
{
  static int const which[SMTPDD_NRLIMITS] = SMTPDD_RLIMITS;
  unsigned int i;
  for (i = 0; i < SMTPDD_NRLIMITS; i++) {
    struct rlimit mine, want;
    if (getrlimit(which[i], &mine) < 0) return 0;
    want.rlim_max = (rlim_t)pk->limit[i][1] < mine.rlim_max ? (rlim_t)pk->limit[i][1] : mine.rlim_max;
    want.rlim_cur = (rlim_t)pk->limit[i][0] < want.rlim_max ? (rlim_t)pk->limit[i][0] : want.rlim_max;
    if (setrlimit(which[i], &want) < 0) return 0;
  }
  return 1;
}

/* The child: takes the session from conn and serves it; never returns. */
static void child(int conn, int lfd)
{
  static smtpdd_packet pk;
  int fds[3];
  unsigned int nfd = 0, i;
  ssize_t r;
  char go = SMTPDD_GO;
  selfpipe_finish();
  close(lfd);
  /* the other sessions' fronts are none of this one's business */
  for (i = 0; i < nkids; i++) close(kids[i].conn);
  prctl(PR_SET_NAME, "qmail-smtpd", 0, 0, 0);
  alarm(TAKE_TIMEOUT);
  do r = qm_fdpass_recv(conn, packet, sizeof packet, fds, 3, &nfd, 0);
  while (r < 0 && errno == EINTR);
  alarm(0);
  if (r < 0 || nfd != 3 || !smtpdd_packet_parse(&pk, packet, (size_t)r) || !apply_limits(&pk))
    _exit(QM_EXIT_TEMP);
  /* the front's environment becomes the session's */
  environ = pk.env;
  if (fd_move2(0, fds[0], 1, fds[1]) < 0 || fd_move(2, fds[2]) < 0) _exit(QM_EXIT_TEMP);
  /* the front serves the connection itself unless it hears this */
  if (send(conn, &go, 1, MSG_NOSIGNAL) != 1) _exit(QM_EXIT_TEMP);
  close(conn);
  sig_restore(SIGPIPE);
  exit(smtpd_main());
}

/* Each ended session's code goes to its front. A session that crashed may have
 * been probed: every child shares this process's address-space layout and stack
 * canary, which a fork does not change; exiting makes s6 start a fresh process
 * with new ones, so a crash teaches nothing about the next session. Fronts run
 * qmail-smtpd themselves meanwhile; sessions in flight go on. */
static void reap(void)
{
  int wstat, bad = 0;
  pid_t pid;
  while ((pid = waitpid(-1, &wstat, WNOHANG)) > 0) {
    unsigned int i;
    for (i = 0; i < nkids && kids[i].pid != pid; i++) ;
    if (i == nkids) continue;
    {
      unsigned char c = WIFEXITED(wstat) ? (unsigned char)WEXITSTATUS(wstat) : QM_EXIT_TEMP;
      (void)!send(kids[i].conn, &c, 1, MSG_NOSIGNAL);
    }
    close(kids[i].conn);
    kids[i] = kids[--nkids];
    if (qm_forkd_crashed(wstat)) bad = 1;
  }
  if (bad) strerr_dief1x(QM_EXIT_TEMP, "a session crashed: exiting, to be started afresh");
}

static void serve(int conn, int lfd)
{
  pid_t pid;
  if (!kids && !(kids = calloc(d.max, sizeof *kids))) strerr_diefu1sys(QM_EXIT_TEMP, "allocate the session table");
  /* at the limit: the front sees the end before an answer and serves it itself */
  if (nkids >= d.max) {
    close(conn);
    return;
  }
  pid = fork();
  if (!pid) child(conn, lfd);
  if (pid < 0) {
    strerr_warnwu1sys("fork");
    close(conn);
    return;
  }
  kids[nkids].pid = pid;
  kids[nkids].conn = conn;
  nkids++;
}

/* our own account only; the directory (mode 0700) says so too */
static qm_forkd d = { .path = SMTPDD_SOCKET, .max = 200, .notif = -1, .type = SOCK_SEQPACKET,
                      .mode = 0600, .usage = USAGE, .reap = &reap, .serve = &serve };

int main(int argc, char const *const *argv)
{
  return qm_forkd_main(&d, argc, argv);
}
