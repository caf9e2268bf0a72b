/* qmail-checkpw: a checkpassword program. Reads "user\0password\0stamp\0" from fd
 * 3, looks the user's crypt(3) hash up in users/passwords.cdb (built by
 * qmail-newpw) or, with -s, in the system's shadow file, and on a match runs the
 * rest of its arguments with USER, HOME and AUTHUSER set. Installed setgid shadow
 * (as Debian's unix_chkpwd) so that qmaild can call it without being able to read
 * the hashes itself: it gives the group up right after the lookup, before it
 * hashes or runs anything. */
#include <errno.h>
#include <pwd.h>
#include <shadow.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <crypt.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/cdb.h>
#include <skalibs/sgetopt.h>
#include <skalibs/strerr.h>

#include "qm_conf.h"
#include "qm_exit.h"
#include "checkpw_input.h"

char const *PROG = "qmail-checkpw";
#define USAGE "qmail-checkpw [ -s ] prog..."
#define EXIT_BAD 1              /* the checkpassword interface: wrong password */
#define EXIT_MISUSE 2
#define PWCDB QM_HOME "/users/passwords.cdb"
#define FAIL_DELAY_NS 1000000000L   /* after a wrong password: slows guessing by anyone */

static void wipe(void *p, size_t len)
{
  volatile unsigned char *v = p;
  while (len--) *v++ = 0;
}

/* The user's hash into out: 1 found, 0 not, -1 error. */
static int lookup(char *out, char const *user, size_t ulen, int shadow)
{
  cdb db = CDB_ZERO;
  cdb_data d;
  int r = 0;
  if (cdb_init(&db, PWCDB)) {
    r = cdb_find(&db, &d, user, (uint32_t)ulen);
    if (r > 0) {
      if (!d.len || d.len > CHECKPW_HASH_MAX) r = -1;
      else { memcpy(out, d.s, d.len); out[d.len] = 0; }
    }
    cdb_free(&db);
    if (r) return r;
  } else if (errno != ENOENT) return -1;
  if (shadow) {
    struct spwd *sp;
    errno = 0;
    sp = getspnam(user);
    if (!sp) return errno && errno != ENOENT ? -1 : 0;
    if (strlen(sp->sp_pwdp) > CHECKPW_HASH_MAX) return 0;
    memcpy(out, sp->sp_pwdp, strlen(sp->sp_pwdp) + 1);
    wipe(sp->sp_pwdp, strlen(sp->sp_pwdp));
    return 1;
  }
  return 0;
}

int main(int argc, char const *const *argv)
{
  static char buf[CHECKPW_INPUT_MAX + 1];
  static char hash[CHECKPW_HASH_MAX + 1];
  static struct crypt_data cd;
  char dummy[CRYPT_GENSALT_OUTPUT_SIZE];
  checkpw_input in;
  subgetopt l = SUBGETOPT_ZERO;
  size_t n = 0;
  int shadow = 0, found, ok;
  char const *out;
  struct passwd *pw;

  for (;;) {
    int opt = subgetopt_r(argc, argv, "s", &l);
    if (opt == -1) break;
    if (opt == 's') shadow = 1;
    else strerr_dieusage(EXIT_MISUSE, USAGE);
  }
  argc -= l.ind; argv += l.ind;
  if (!argc) strerr_dieusage(EXIT_MISUSE, USAGE);

  for (;;) {
    ssize_t r = read(3, buf + n, sizeof buf - n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) strerr_diefu1sys(EXIT_MISUSE, "read fd 3");
    if (!r) break;
    n += (size_t)r;
    if (n > CHECKPW_INPUT_MAX) strerr_dief1x(EXIT_MISUSE, "more than 512 bytes on fd 3");
  }
  close(3);
  if (checkpw_parse(&in, buf, n) < 0) { wipe(buf, sizeof buf); strerr_dief1x(EXIT_MISUSE, "malformed input on fd 3"); }

  found = lookup(hash, in.user, in.userlen, shadow);
  /* done with privileges: the hashing and the program run as the caller */
  if (setgid(getgid()) < 0 || setuid(getuid()) < 0 || (getuid() && (setuid(0) == 0 || geteuid() != getuid()))) {
    wipe(buf, sizeof buf); wipe(hash, sizeof hash);
    strerr_diefu1sys(QM_EXIT_TEMP, "drop privileges");
  }
  if (found < 0) { wipe(buf, sizeof buf); strerr_diefu1sys(QM_EXIT_TEMP, "read the password of a user"); }

  /* an unknown user costs one hashing too: the time tells nothing */
  if (found <= 0 || hash[0] == '!' || hash[0] == '*' || !in.passlen) {
    if (crypt_gensalt_rn(0, 0, 0, 0, dummy, sizeof dummy)) crypt_r(in.pass, dummy, &cd);
    ok = 0;
  } else {
    out = crypt_r(in.pass, hash, &cd);
    ok = out && out[0] != '*' && checkpw_equal(out, hash);
  }
  wipe(&cd, sizeof cd);
  wipe(hash, sizeof hash);
  wipe((char *)in.pass, in.passlen);
  if (!ok) {
    struct timespec ts = { 0, 0 };
    ts.tv_sec = FAIL_DELAY_NS / 1000000000L;
    ts.tv_nsec = FAIL_DELAY_NS % 1000000000L;
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) ;
    return EXIT_BAD;
  }

  pw = getpwnam(in.user);
  if (setenv("USER", in.user, 1) < 0 || setenv("AUTHUSER", in.user, 1) < 0
      || setenv("HOME", pw && pw->pw_dir && pw->pw_dir[0] ? pw->pw_dir : "/", 1) < 0)
    strerr_diefu1sys(QM_EXIT_TEMP, "set up the environment");
  execvp(argv[0], (char *const *)argv);
  strerr_diefu2sys(QM_EXIT_TEMP, "run ", argv[0]);
}
