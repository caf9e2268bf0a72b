/* qmail-getpw: maps a local part to the passwd account that takes its mail, for
 * qmail-lspawn when users/cdb has no answer. Runs as qmailp with no privilege; the
 * argument is an envelope local part (anyone's bytes) and is only looked up, never
 * used as a path. Prints user\0uid\0gid\0home\0dash\0ext\0 or nothing at all. */
#include <errno.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>

#include "getpw_cand.h"
#include "qm_conf.h"
#include "qm_exit.h"
#include "qm_users.h"

#define USAGE "qmail-getpw local"

char const *PROG = "qmail-getpw";

typedef struct found_s {
  uid_t uid;
  gid_t gid;
  stralloc home;
  int code;         /* exit code of a temporary failure */
} found;

/* getpwnam returns null both for "no such user" and for a failure to ask; only
 * these errno values mean the former. */
static int pw_missing(int e)
{
  return e == 0 || e == ENOENT || e == ESRCH || e == EBADF || e == EPERM;
}

static int keep(found *f, struct passwd const *pw, stralloc *user)
{
  f->uid = pw->pw_uid;
  f->gid = pw->pw_gid;
  f->home.len = 0;
  if (!stralloc_cats(&f->home, pw->pw_dir) || !stralloc_0(&f->home)
      || !stralloc_cats(user, pw->pw_name)) {
    f->code = QM_QLX_NOMEM;
    return -1;
  }
  return 1;
}

static int check(void *ctx, char const *name, stralloc *user)
{
  found *f = ctx;
  struct passwd *pw;
  struct stat st;
  errno = 0;
  pw = getpwnam(name);
  if (!pw) {
    if (pw_missing(errno)) return 0;
    f->code = QM_QLX_SYS;
    return -1;
  }
  /* root never receives mail directly: its mail goes to the alias account */
  if (!pw->pw_uid || pw->pw_dir[0] != '/') return 0;
  if (stat(pw->pw_dir, &st) < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return 0;
    f->code = QM_QLX_NFS;
    return -1;
  }
  if (st.st_uid != pw->pw_uid) return 0;
  return keep(f, pw, user);
}

static void field(stralloc *out, char const *s, size_t n)
{
  if (!stralloc_catb(out, s, n) || !stralloc_0(out)) _exit(QM_QLX_NOMEM);
}

int main(int argc, char const *const *argv)
{
  found f = { 0, 0, STRALLOC_ZERO, 0 };
  getpw_result r = { STRALLOC_ZERO, "", 0, 0 };
  stralloc out = STRALLOC_ZERO;
  char num[UINT64_FMT];
  char const *local;
  size_t len;
  int rc;
  if (argc < 2) strerr_dieusage(QM_EXIT_PERM, USAGE);
  local = argv[1];
  len = strlen(local);
  rc = getpw_resolve(local, len, QM_BREAK, QM_USER_ALIAS, &check, &f, &r);
  if (rc < 0) _exit(f.code ? f.code : QM_QLX_NOMEM);
  if (!rc) {
    /* an empty or absurdly long local part can only be the alias account's */
    r.user.len = 0;
    if (!stralloc_cats(&r.user, QM_USER_ALIAS) || !stralloc_0(&r.user)) _exit(QM_QLX_NOMEM);
    r.alias = 1;
    r.dash = "-";
    r.extpos = 0;
  }
  if (r.alias) {
    struct passwd *pw;
    errno = 0;
    pw = getpwnam(QM_USER_ALIAS);
    if (!pw) _exit(pw_missing(errno) ? QM_QLX_NOALIAS : QM_QLX_SYS);
    r.user.len = 0;
    if (keep(&f, pw, &r.user) < 0 || !stralloc_0(&r.user)) _exit(QM_QLX_NOMEM);
  }
  field(&out, r.user.s, strlen(r.user.s));
  field(&out, num, uint64_fmt(num, f.uid));
  field(&out, num, uint64_fmt(num, f.gid));
  field(&out, f.home.s, strlen(f.home.s));
  field(&out, r.dash, strlen(r.dash));
  if (len > r.extpos) field(&out, local + r.extpos, len - r.extpos);
  else field(&out, "", 0);
  if (allwrite(1, out.s, out.len) < out.len) _exit(QM_QLX_SYS);
  return 0;
}
