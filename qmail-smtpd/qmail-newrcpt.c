/* qmail-newrcpt: writes users/recipients.cdb, the list of local addresses that
 * qmail-smtpd accepts at RCPT. Runs as root to read every home's .qmail names; reads
 * no file content but control/, users/assign and directory listings. Writes only
 * users/recipients.cdb.tmp, then renames it: on any doubt the old cdb stays. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <skalibs/cdbmake.h>
#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>

#include "../qmail-local/newu_assign.h"
#include "newrcpt_map.h"
#include "qm_conf.h"
#include "qm_control.h"
#include "qm_exit.h"

#define USAGE "qmail-newrcpt"
#define TMP "users/recipients.cdb.tmp"
#define HOMEFILES_MAX 100000   /* .qmail files read from one home */

char const *PROG = "qmail-newrcpt";

static void die_tmp(char const *what)
{
  int e = errno;
  unlink(TMP);
  errno = e;
  strerr_diefusys(QM_EXIT_TEMP, what);
}

static void nomem(void)
{
  unlink(TMP);
  strerr_dief(QM_EXIT_TEMP, "out of memory");
}

static int emit(void *ctx, char const *key, size_t klen, int exists)
{
  return cdbmake_add((cdbmaker *)ctx, key, (unsigned int)klen, exists ? "+" : "-", 1);
}

static void lower(char *s)
{
  for (; *s; s++) if (*s >= 'A' && *s <= 'Z') *s = (char)(*s - 'A' + 'a');
}

static void read_assign(nrc *m)
{
  newu_parser p;
  char buf[8192];
  int fd = open_read("users/assign"), r = 0;
  if (fd < 0) {
    if (errno == ENOENT) return;
    die_tmp("open users/assign");
  }
  newu_init(&p, &nrc_add_assign, m);
  for (;;) {
    ssize_t n = fd_read(fd, buf, sizeof buf);
    if (n < 0) die_tmp("read users/assign");
    if (!n) { r = newu_finish(&p); break; }
    r = newu_feed(&p, buf, (size_t)n);
    if (r) break;
  }
  if (r < 0) {
    char num[ULONG_FMT];
    if (p.err == NEWU_ERR_CALLBACK && errno == ENOMEM) nomem();
    num[ulong_fmt(num, p.lineno)] = 0;
    unlink(TMP);
    strerr_dief(QM_EXIT_TEMP, "bad format in users/assign line ", num, ": ",
                p.err == NEWU_ERR_CALLBACK ? "bad value" : newu_strerr(p.err));
  }
  newu_free(&p);
  close(fd);
}

/* The accounts qmail-getpw accepts: uid not 0, absolute home owned by the account.
 * A home that cannot be looked at now is kept: its verdicts become "exists". */
static void read_passwd(nrc *m)
{
  struct passwd *pw;
  setpwent();
  for (;;) {
    struct stat st;
    errno = 0;
    pw = getpwent();
    if (!pw) break;
    if (!strcmp(pw->pw_name, QM_USER_ALIAS)) {
      if (!nrc_set_alias(m, pw->pw_dir)) nomem();
    }
    if (!pw->pw_uid || pw->pw_dir[0] != '/') continue;
    if (stat(pw->pw_dir, &st) < 0) {
      if (errno == ENOENT || errno == ENOTDIR) continue;
    } else if (st.st_uid != pw->pw_uid) continue;
    if (!nrc_add_account(m, pw->pw_name, pw->pw_dir)) nomem();
  }
  if (errno && errno != ENOENT && errno != ESRCH) die_tmp("read the passwd database");
  endpwent();
}

/* The names of a home's regular .qmail files. qmail-local refuses (for now) a home
 * with a conf-patrn bit or the sticky bit: everything sent there is accepted. */
static void read_home(nrc *m, size_t i)
{
  char const *path = m->home[i].path;
  DIR *d;
  struct dirent *de;
  struct stat st;
  size_t n = 0;
  int fd;
  if (stat(path, &st) < 0 || (st.st_mode & (QM_PATRN | S_ISVTX))) { nrc_home_unknown(m, i); return; }
  d = opendir(path);
  if (!d) { nrc_home_unknown(m, i); return; }
  fd = dirfd(d);
  for (;;) {
    errno = 0;
    de = readdir(d);
    if (!de) break;
    if (strncmp(de->d_name, ".qmail", 6)) continue;
    if (++n > HOMEFILES_MAX) { nrc_home_unknown(m, i); break; }
    if (fstatat(fd, de->d_name, &st, 0) < 0) {
      if (errno == ENOENT) continue;     /* a dangling link opens to nothing */
    } else if (!S_ISREG(st.st_mode)) continue;
    if (!nrc_home_addfile(m, i, de->d_name)) nomem();
  }
  if (errno) nrc_home_unknown(m, i);
  closedir(d);
}

/* The domain a virtualdomains line speaks for, lowercase, in sa: 1, or 0 for a
 * line that is not "domain:prepend" or "user@domain:prepend". */
static int vd_domain(stralloc *sa, char const *line)
{
  char const *colon = strchr(line, ':'), *at;
  if (!colon || colon == line || *line == '.') return 0;
  at = memchr(line, '@', (size_t)(colon - line));
  if (at) line = at + 1;
  if (line == colon) return 0;
  sa->len = 0;
  if (!stralloc_catb(sa, line, (size_t)(colon - line)) || !stralloc_0(sa)) nomem();
  lower(sa->s);
  return 1;
}

/* control/virtualdomains: "domain:prepend" lines are judged as virtual domains;
 * "user@domain:prepend" lines decide that one address first (a cdb answers with the
 * first record of a key). Suffix and catch-all lines cannot be listed: their
 * domains are left unjudged. A domain in locals or percenthack is not virtual. */
static void emit_virtual(nrc *m, cdbmaker *cm, stralloc const *locals, stralloc const *vd,
                         stralloc const *percent)
{
  stralloc d = STRALLOC_ZERO, d2 = STRALLOC_ZERO, tmp = STRALLOC_ZERO;
  size_t i, j;
  for (i = 0; i < vd->len; i += strlen(vd->s + i) + 1) {
    char const *pre = 0;
    int seen = 0;
    if (!vd_domain(&d, vd->s + i)) continue;
    if (qm_control_listhas(locals, d.s, d.len - 1) || qm_control_listhas(percent, d.s, d.len - 1)) continue;
    for (j = 0; j < i; j += strlen(vd->s + j) + 1)
      if (vd_domain(&d2, vd->s + j) && !strcmp(d.s, d2.s)) { seen = 1; break; }
    if (seen) continue;
    for (j = 0; j < vd->len; j += strlen(vd->s + j) + 1) {
      char const *l = vd->s + j, *c = strchr(l, ':'), *at;
      int v = 1;
      if (!vd_domain(&d2, l) || strcmp(d.s, d2.s)) continue;
      at = memchr(l, '@', (size_t)(c - l));
      if (!at) {
        if (!pre) pre = c + 1;
        continue;
      }
      if (c[1]) {
        tmp.len = 0;
        if (!stralloc_cats(&tmp, c + 1) || !stralloc_catb(&tmp, "-", 1)
            || !stralloc_catb(&tmp, l, (size_t)(at - l))) nomem();
        v = nrc_decide(m, tmp.s, tmp.len);
        if (v < 0) nomem();
      }
      tmp.len = 0;
      if (!stralloc_catb(&tmp, "=", 1) || !stralloc_catb(&tmp, l, (size_t)(c - l)) || !stralloc_0(&tmp)) nomem();
      lower(tmp.s);
      if (!emit(cm, tmp.s, tmp.len - 1, v)) die_tmp("write " TMP);
    }
    if (pre && *pre) {
      if (!nrc_emit(m, d.s, pre, &emit, cm)) die_tmp("write " TMP);
    } else {
      /* remote apart from its own users above */
      tmp.len = 0;
      if (!stralloc_catb(&tmp, "+@", 2) || !stralloc_cats(&tmp, d.s)) nomem();
      if (!emit(cm, tmp.s + 1, tmp.len - 1, 1) || !emit(cm, tmp.s, tmp.len, 1)) die_tmp("write " TMP);
    }
  }
  stralloc_free(&d);
  stralloc_free(&d2);
  stralloc_free(&tmp);
}

int main(int argc, char const *const *argv)
{
  static nrc m;
  cdbmaker cm = CDBMAKER_ZERO;
  stralloc locals = STRALLOC_ZERO, vd = STRALLOC_ZERO, percent = STRALLOC_ZERO, me = STRALLOC_ZERO;
  size_t i;
  int out, r;
  (void)argv;
  if (argc > 1) strerr_dieusage(QM_EXIT_PERM, USAGE);
  umask(022);          /* qmaild reads the result */
  if (chdir(QM_HOME) < 0) strerr_diefusys(QM_EXIT_TEMP, "chdir to ", QM_HOME);

  r = qm_control_readlist(&locals, "control/locals");
  if (r < 0) strerr_diefusys(QM_EXIT_TEMP, "read control/locals");
  if (!r) {    /* qmail-send's default: me */
    r = qm_control_readline(&me, "control/me");
    if (r < 0) strerr_diefusys(QM_EXIT_TEMP, "read control/me");
    if (r && !stralloc_catb(&locals, me.s, me.len + 1)) nomem();
  }
  if (qm_control_readlist(&vd, "control/virtualdomains") < 0)
    strerr_diefusys(QM_EXIT_TEMP, "read control/virtualdomains");
  if (qm_control_readlist(&percent, "control/percenthack") < 0)
    strerr_diefusys(QM_EXIT_TEMP, "read control/percenthack");

  nrc_init(&m, QM_BREAK, QM_USER_ALIAS);
  read_assign(&m);
  read_passwd(&m);
  if (!nrc_prepare(&m)) nomem();
  for (i = 0; i < m.nhome; i++) read_home(&m, i);
  if (!nrc_build(&m)) nomem();

  out = open_trunc(TMP);
  if (out < 0) strerr_diefusys(QM_EXIT_TEMP, "open " TMP);
  if (!cdbmake_start(&cm, out)) die_tmp("write " TMP);
  emit_virtual(&m, &cm, &locals, &vd, &percent);
  for (i = 0; i < locals.len; i += strlen(locals.s + i) + 1) {
    char *d = locals.s + i;
    lower(d);
    if (qm_control_listhas(&percent, d, strlen(d))) continue;   /* u%h@d is rewritten */
    if (!nrc_emit(&m, d, 0, &emit, &cm)) {
      if (errno == EINVAL) continue;        /* a domain too long to be an address's */
      die_tmp("write " TMP);
    }
  }
  if (!cdbmake_finish(&cm)) die_tmp("write " TMP);
  if (fsync(out) < 0 || close(out) < 0) die_tmp("write " TMP);
  if (rename(TMP, "users/recipients.cdb") < 0) die_tmp("move " TMP " to users/recipients.cdb");
  {
    int d = open_read("users");
    if (d < 0 || fsync(d) < 0) strerr_diefusys(QM_EXIT_TEMP, "sync users/");
    close(d);
  }
  nrc_free(&m);
  return 0;
}
