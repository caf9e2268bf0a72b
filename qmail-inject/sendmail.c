/* sendmail: the Sendmail-compatible front end. Maps the flags scripts use onto
 * qmail-inject (and -bp, -bs, mailq onto qmail-qread and qmail-smtpd) and execs it;
 * runs as the caller and holds no privilege. Trusts its arguments only as far as
 * passing them on; never reads the message itself. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <skalibs/strerr.h>

#include "qm_conf.h"
#include "qm_exit.h"
#include "sendmail_args.h"

#define USAGE "sendmail [ -t ] [ -i ] [ -f sender ] [ -F name ] [ -bm | -bp | -bs ] [ -o... ] [ recipient ... ]"

char const *PROG = "sendmail";

static void set(char const *name, char const *value)
{
  if (setenv(name, value, 1) < 0) strerr_diefu2sys(QM_EXIT_TEMP, "set ", name);
}

static void unset(char const *name)
{
  if (unsetenv(name) < 0) strerr_diefu2sys(QM_EXIT_TEMP, "unset ", name);
}

static void run(char const *path, char const *const *argv)
{
  execv(path, (char *const *)argv);
  strerr_diefu2sys(QM_EXIT_TEMP, "run ", path);
}

static void run_home(char const *path)
{
  char const *argv[2] = { path, 0 };
  if (chdir(QM_HOME) < 0) strerr_diefu2sys(QM_EXIT_TEMP, "switch to ", QM_HOME);
  run(path, argv);
}

/* The From: of the message follows the -f address, as with Sendmail. */
static void sender_env(char const *s)
{
  size_t len = strlen(s), at;
  char *user;
  if (len >= 2 && s[0] == '<' && s[len - 1] == '>') { s++; len -= 2; }
  if (!len) return;                    /* the null sender says nothing of From: */
  unset("QMAILNAME");
  unset("MAILNAME");
  unset("NAME");
  unset("QMAILHOST");
  unset("MAILHOST");
  for (at = len; at > 0 && s[at - 1] != '@'; at--) ;
  user = malloc(len + 1);
  if (!user) strerr_diefu1sys(QM_EXIT_TEMP, "allocate");
  memcpy(user, s, len);
  user[len] = 0;
  if (at) {
    user[at - 1] = 0;
    set("QMAILHOST", user + at);
  }
  set("QMAILUSER", user);
  free(user);
}

int main(int argc, char const *const *argv)
{
  sendmail_opts o;
  char const **qa;
  size_t n = 0;
  int i;
  sendmail_args(&o, argv[0], argc, argv);
  switch (o.mode) {
  case SM_USAGE:
    strerr_dieusage(QM_EXIT_PERM, USAGE);
  case SM_NEWALIASES:
    strerr_dief1x(QM_EXIT_PERM,
                  "there is no aliases database: aliases are .qmail files in the alias user's home");
  case SM_MAILQ:
    run_home(QM_HOME "/bin/qmail-qread");
    break;
  case SM_SMTPD:
    if (!getenv("PROTO")) {
      set("RELAYCLIENT", "");
      set("DATABYTES", "0");
      set("PROTO", "TCP");
      set("TCPLOCALIP", "127.0.0.1");
      set("TCPLOCALHOST", "localhost");
      set("TCPREMOTEIP", "127.0.0.1");
      set("TCPREMOTEHOST", "localhost");
      set("TCPREMOTEINFO", "sendmail-bs");
    }
    run_home(QM_HOME "/bin/qmail-smtpd");
    break;
  }
  if (o.sender) sender_env(o.sender);
  if (o.fullname) set("MAILNAME", o.fullname);
  qa = malloc((size_t)(argc + 6) * sizeof *qa);
  if (!qa) strerr_diefu1sys(QM_EXIT_TEMP, "allocate");
  qa[n++] = QM_HOME "/bin/qmail-inject";
  qa[n++] = o.header ? "-H" : "-a";
  if (o.sender) {
    qa[n++] = "-f";
    qa[n++] = o.sender;
  }
  qa[n++] = "--";
  for (i = o.argi; i < argc; i++) qa[n++] = argv[i];
  qa[n] = 0;
  run(qa[0], qa);
  return QM_EXIT_TEMP;
}
