/* qmail-newpw: compiles users/passwords ("user:hash" lines, crypt(3) hashes) into
 * users/passwords.cdb for qmail-checkpw. Writes passwords.cdb.tmp (root, group
 * shadow, mode 0640: qmail-checkpw is setgid shadow; 0600 without that group),
 * syncs it, renames it over the old one and syncs the directory: on any error,
 * bad line or duplicate user the old cdb stays as it was. Never prints a hash. */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <skalibs/cdbmake.h>
#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>

#include "qm_conf.h"
#include "qm_exit.h"
#include "qm_size.h"
#include "checkpw_input.h"

char const *PROG = "qmail-newpw";
#define USAGE "qmail-newpw"
#define SRC "users/passwords"
#define TMP "users/passwords.cdb.tmp"
#define DST "users/passwords.cdb"
#define USERS_MAX 10000000      /* lines with an entry */

struct ent { size_t user, ulen, hash, hlen, line; };

static stralloc file = STRALLOC_ZERO;

static int cmp(void const *a, void const *b)
{
  struct ent const *x = a, *y = b;
  size_t n = x->ulen < y->ulen ? x->ulen : y->ulen;
  int r = memcmp(file.s + x->user, file.s + y->user, n);
  if (r) return r;
  return x->ulen < y->ulen ? -1 : x->ulen > y->ulen;
}

static void die_tmp(char const *what)
{
  int e = errno;
  unlink(TMP);
  errno = e;
  strerr_diefu1sys(QM_EXIT_TEMP, what);
}

int main(int argc, char const *const *argv)
{
  cdbmaker cm = CDBMAKER_ZERO;
  struct ent *ents = 0;
  size_t n = 0, cap = 0, i, pos, line = 0;
  int out, d;
  (void)argv;
  if (argc > 1) strerr_dieusage(QM_EXIT_PERM, USAGE);
  umask(077);
  if (chdir(QM_HOME) < 0) strerr_diefu2sys(QM_EXIT_TEMP, "chdir to ", QM_HOME);
  if (!openslurpclose(&file, SRC)) strerr_diefu2sys(QM_EXIT_TEMP, "read ", SRC);
  for (pos = 0; pos < file.len; ) {
    char const *nl = memchr(file.s + pos, '\n', file.len - pos);
    size_t len = nl ? (size_t)(nl - (file.s + pos)) : file.len - pos, ulen, hlen;
    char const *hash;
    int r;
    line++;
    r = checkpw_pwline(file.s + pos, len, &ulen, &hash, &hlen);
    if (r < 0) {
      char num[UINT64_FMT];
      num[uint64_fmt(num, line)] = 0;
      strerr_dief3x(QM_EXIT_PERM, SRC, ": malformed line ", num);
    }
    if (r > 0) {
      if (n == cap) {
        size_t want, bytes;
        if (cap >= USERS_MAX) strerr_dief2x(QM_EXIT_PERM, SRC, ": too many users");
        want = cap ? cap * 2 : 256;
        if (!qm_size_mul(&bytes, want, sizeof *ents)) strerr_dief1x(QM_EXIT_TEMP, "out of memory");
        ents = realloc(ents, bytes);
        if (!ents) strerr_diefu1sys(QM_EXIT_TEMP, "allocate");
        cap = want;
      }
      ents[n].user = pos;
      ents[n].ulen = ulen;
      ents[n].hash = (size_t)(hash - file.s);
      ents[n].hlen = hlen;
      ents[n].line = line;
      n++;
    }
    pos += len + (nl ? 1 : 0);
  }
  if (n) qsort(ents, n, sizeof *ents, &cmp);
  for (i = 1; i < n; i++)
    if (!cmp(&ents[i - 1], &ents[i])) {
      char num[UINT64_FMT];
      num[uint64_fmt(num, ents[i - 1].line > ents[i].line ? ents[i - 1].line : ents[i].line)] = 0;
      strerr_dief3x(QM_EXIT_PERM, SRC, ": user listed twice, again on line ", num);
    }

  out = open_trunc(TMP);
  if (out < 0) strerr_diefu2sys(QM_EXIT_TEMP, "open ", TMP);
  {
    struct group *gr = getgrnam("shadow");
    if (gr && (fchown(out, 0, gr->gr_gid) < 0 || fchmod(out, 0640) < 0)) die_tmp("set the owner of " TMP);
    if (!gr && fchmod(out, 0600) < 0) die_tmp("set the mode of " TMP);
  }
  if (!cdbmake_start(&cm, out)) die_tmp("write " TMP);
  for (i = 0; i < n; i++)
    if (!cdbmake_add(&cm, file.s + ents[i].user, (unsigned int)ents[i].ulen,
                     file.s + ents[i].hash, (unsigned int)ents[i].hlen)) die_tmp("write " TMP);
  if (!cdbmake_finish(&cm)) die_tmp("write " TMP);
  if (fsync(out) < 0 || close(out) < 0) die_tmp("write " TMP);
  if (rename(TMP, DST) < 0) die_tmp("move " TMP " to " DST);
  d = open_read("users");
  if (d < 0 || fsync(d) < 0) strerr_diefu1sys(QM_EXIT_TEMP, "sync users/");
  close(d);
  /* the file held hashes: leave no copy in memory for a core file */
  memset(file.s, 0, file.len);
  stralloc_free(&file);
  free(ents);
  return 0;
}
