/* qmail-getpw: maps a local part to the passwd account that takes its mail, for
 * qmail-lspawn when users/cdb has no answer. Runs as qmailp with no privilege; the
 * argument is an envelope local part (anyone's bytes) and is only looked up, never
 * used as a path. Prints user\0uid\0gid\0home\0dash\0ext\0 or nothing at all; with -s
 * it answers one request after another from qmail-lspawn (lib/qm_getpw.h). */
#include <errno.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/netstring.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>

#include "getpw_cand.h"
#include "qm_conf.h"
#include "qm_exit.h"
#include "qm_getpw.h"
#include "qm_users.h"

#define USAGE "qmail-getpw local | qmail-getpw -s"

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

static int field(stralloc *out, char const *s, size_t n)
{
  return stralloc_catb(out, s, n) && stralloc_0(out);
}

/* Resolves local (len bytes) into out (replaced): "user\0uid\0gid\0home\0dash\0ext\0".
 * Returns 0, or the exit code of a temporary failure. Reusable: every answer is
 * built afresh from the passwd database and the home directory as they are now. */
static int answer(char const *local, size_t len, stralloc *out)
{
  static found f = { 0, 0, STRALLOC_ZERO, 0 };
  static getpw_result r = { STRALLOC_ZERO, "", 0, 0 };
  char num[UINT64_FMT];
  int rc;
  f.code = 0;
  r.user.len = 0;
  r.alias = 0;
  r.dash = "";
  r.extpos = 0;
  out->len = 0;
  rc = getpw_resolve(local, len, QM_BREAK, QM_USER_ALIAS, &check, &f, &r);
  if (rc < 0) return f.code ? f.code : QM_QLX_NOMEM;
  if (!rc) {
    /* an empty or absurdly long local part can only be the alias account's */
    r.user.len = 0;
    if (!stralloc_cats(&r.user, QM_USER_ALIAS) || !stralloc_0(&r.user)) return QM_QLX_NOMEM;
    r.alias = 1;
    r.dash = "-";
    r.extpos = 0;
  }
  if (r.alias) {
    struct passwd *pw;
    errno = 0;
    pw = getpwnam(QM_USER_ALIAS);
    if (!pw) return pw_missing(errno) ? QM_QLX_NOALIAS : QM_QLX_SYS;
    r.user.len = 0;
    if (keep(&f, pw, &r.user) < 0 || !stralloc_0(&r.user)) return QM_QLX_NOMEM;
  }
  if (!field(out, r.user.s, strlen(r.user.s))
      || !field(out, num, uint64_fmt(num, f.uid))
      || !field(out, num, uint64_fmt(num, f.gid))
      || !field(out, f.home.s, strlen(f.home.s))
      || !field(out, r.dash, strlen(r.dash))
      || !(len > r.extpos ? field(out, local + r.extpos, len - r.extpos) : field(out, "", 0)))
    return QM_QLX_NOMEM;
  return 0;
}

/* -s: answers requests (qm_getpw.h) on fd 0 until it ends; 0 at its end, 100 for
 * a malformed request, 111 when fd 1 cannot be written. Runs for as long as
 * qmail-lspawn does, so one process serves every delivery instead of one each. */
static int serve(void)
{
  stralloc in = STRALLOC_ZERO, ans = STRALLOC_ZERO, frame = STRALLOC_ZERO, local = STRALLOC_ZERO;
  size_t used = 0;
  char buf[8192];
  for (;;) {
    size_t off, plen;
    ssize_t r = qm_getpw_get(in.s + used, in.len - used, QM_GETPW_REQUEST_MAX, &off, &plen);
    if (r < 0) strerr_dief1x(QM_EXIT_PERM, "malformed request");
    if (r > 0) {
      char code;
      int rc;
      struct iovec v[2];
      /* the local part as a C string: getpw_resolve wants one, and a NUL in it is
       * refused there (no account name holds one) */
      local.len = 0;
      if (!stralloc_catb(&local, in.s + used + off, plen) || !stralloc_0(&local)) _exit(QM_QLX_NOMEM);
      used += (size_t)r;
      rc = memchr(local.s, 0, plen) ? QM_QLX_USAGE : answer(local.s, plen, &ans);
      /* one netstring: the code byte, then the fields when it is 0 */
      code = (char)rc;
      v[0].iov_base = &code; v[0].iov_len = 1;
      v[1].iov_base = ans.s; v[1].iov_len = rc ? 0 : ans.len;
      frame.len = 0;
      if (!netstring_appendv(&frame, v, 2)) _exit(QM_QLX_NOMEM);
      if (allwrite(1, frame.s, frame.len) < frame.len) strerr_diefu1sys(QM_EXIT_TEMP, "write the answer");
      continue;
    }
    /* keep at most one unfinished request */
    if (used) {
      memmove(in.s, in.s + used, in.len - used);
      in.len -= used;
      used = 0;
    }
    r = fd_read(0, buf, sizeof buf);
    if (r < 0) strerr_diefu1sys(QM_EXIT_TEMP, "read a request");
    if (!r) {
      if (in.len) strerr_dief1x(QM_EXIT_PERM, "request cut short");
      return 0;
    }
    if (!stralloc_catb(&in, buf, (size_t)r)) _exit(QM_QLX_NOMEM);
  }
}

int main(int argc, char const *const *argv)
{
  stralloc out = STRALLOC_ZERO;
  char const *local;
  int rc;
  if (argc < 2) strerr_dieusage(QM_EXIT_PERM, USAGE);
  if (!strcmp(argv[1], "-s")) return serve();
  local = argv[1];
  rc = answer(local, strlen(local), &out);
  if (rc) _exit(rc);
  if (allwrite(1, out.s, out.len) < out.len) _exit(QM_QLX_SYS);
  return 0;
}
