/* qmail-newu: compiles users/assign into users/cdb. Reads only the home's users/
 * directory; writes users/cdb.tmp, syncs it and renames it over users/cdb, so a
 * reader sees the old database or the new one, never a mix. Any doubt about the
 * input leaves the old database in place and exits 111. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/cdbmake.h>
#include <skalibs/djbunix.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>

#include "newu_assign.h"
#include "qm_conf.h"
#include "qm_exit.h"

#define USAGE "qmail-newu"

char const *PROG = "qmail-newu";

static int add(void *ctx, char const *key, size_t klen, char const *val, size_t vlen)
{
  return cdbmake_add((cdbmaker *)ctx, key, (unsigned int)klen, val, (unsigned int)vlen);
}

static void die_tmp(void)
{
  unlink("users/cdb.tmp");
  strerr_diefusys(QM_EXIT_TEMP, "write users/cdb.tmp");
}

int main(int argc, char const *const *argv)
{
  cdbmaker cm = CDBMAKER_ZERO;
  newu_parser p;
  char buf[8192];
  int in, out, r = 0;
  (void)argv;
  if (argc > 1) strerr_dieusage(QM_EXIT_PERM, USAGE);
  umask(033);
  if (chdir(QM_HOME) < 0) strerr_diefusys(QM_EXIT_TEMP, "chdir to ", QM_HOME);
  in = open_read("users/assign");
  if (in < 0) strerr_diefusys(QM_EXIT_TEMP, "open users/assign");
  out = open_trunc("users/cdb.tmp");
  if (out < 0) strerr_diefusys(QM_EXIT_TEMP, "open users/cdb.tmp");
  if (!cdbmake_start(&cm, out)) die_tmp();
  newu_init(&p, &add, &cm);
  for (;;) {
    ssize_t n = fd_read(in, buf, sizeof buf);
    if (n < 0) {
      unlink("users/cdb.tmp");
      strerr_diefusys(QM_EXIT_TEMP, "read users/assign");
    }
    if (!n) { r = newu_finish(&p); break; }
    r = newu_feed(&p, buf, (size_t)n);
    if (r) break;
  }
  if (r < 0) {
    char num[ULONG_FMT];
    if (p.err == NEWU_ERR_CALLBACK) die_tmp();
    if (p.err == NEWU_ERR_NOMEM) {
      unlink("users/cdb.tmp");
      strerr_dief(QM_EXIT_TEMP, "out of memory");
    }
    unlink("users/cdb.tmp");
    num[ulong_fmt(num, p.lineno)] = 0;
    strerr_dief(QM_EXIT_TEMP, "bad format in users/assign line ", num, ": ",
                newu_strerr(p.err));
  }
  if (!cdbmake_add(&cm, "", 0, p.wild, (unsigned int)p.nwild)) die_tmp();
  if (!cdbmake_finish(&cm)) die_tmp();
  if (fsync(out) < 0 || close(out) < 0) die_tmp();
  if (rename("users/cdb.tmp", "users/cdb") < 0) {
    unlink("users/cdb.tmp");
    strerr_diefusys(QM_EXIT_TEMP, "move users/cdb.tmp to users/cdb");
  }
  /* the rename is only durable once the directory is */
  {
    int d = open_read("users");
    if (d < 0 || fsync(d) < 0) strerr_diefusys(QM_EXIT_TEMP, "sync users/");
    close(d);
  }
  newu_free(&p);
  return 0;
}
