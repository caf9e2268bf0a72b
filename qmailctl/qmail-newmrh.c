/* qmail-newmrh: compiles control/morercpthosts into control/morercpthosts.cdb, the
 * form qmail-smtpd looks domains up in. Run by root (or by qmailctl cdb) after the
 * list changes; it trusts the list's owner and never leaves a half-written cdb in
 * place: it writes morercpthosts.tmp, syncs it and renames it over the old one. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <skalibs/cdbmake.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>

#include "qm_conf.h"
#include "qm_control.h"
#include "qm_exit.h"

#define USAGE "qmail-newmrh"
#define MRH_KEY_MAX 255   /* longest domain (RFC 1035), longer lines are refused */

char const *PROG = "qmail-newmrh";

int main(int argc, char const *const *argv)
{
  stralloc list = STRALLOC_ZERO;
  cdbmaker c = CDBMAKER_ZERO;
  char key[MRH_KEY_MAX];
  size_t i = 0;
  int fd;
  (void)argv;
  if (argc > 1) strerr_dieusage(QM_EXIT_PERM, USAGE);
  if (chdir(QM_HOME) < 0) strerr_diefu2sys(QM_EXIT_TEMP, "chdir to ", QM_HOME);
  if (qm_control_readlist(&list, "control/morercpthosts") < 0)
    strerr_diefu1sys(QM_EXIT_TEMP, "read control/morercpthosts");
  umask(022);
  fd = open("control/morercpthosts.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) strerr_diefu1sys(QM_EXIT_TEMP, "create control/morercpthosts.tmp");
  if (!cdbmake_start(&c, fd)) strerr_diefu1sys(QM_EXIT_TEMP, "write control/morercpthosts.tmp");
  while (i < list.len) {
    char const *s = list.s + i;
    size_t n = 0;
    while (s[n]) n++;
    i += n + 1;
    if (n > MRH_KEY_MAX) strerr_dief3x(QM_EXIT_PERM, "domain too long in control/morercpthosts: ", s, "");
    /* qmail-smtpd looks up lower-case names; the list may be in any case */
    for (size_t j = 0; j < n; j++) key[j] = (s[j] >= 'A' && s[j] <= 'Z') ? (char)(s[j] + 32) : s[j];
    if (!cdbmake_add(&c, key, (unsigned int)n, "", 0))
      strerr_diefu1sys(QM_EXIT_TEMP, "write control/morercpthosts.tmp");
  }
  if (!cdbmake_finish(&c) || fsync(fd) < 0 || close(fd) < 0)
    strerr_diefu1sys(QM_EXIT_TEMP, "write control/morercpthosts.tmp");
  if (rename("control/morercpthosts.tmp", "control/morercpthosts.cdb") < 0)
    strerr_diefu1sys(QM_EXIT_TEMP, "rename control/morercpthosts.tmp to control/morercpthosts.cdb");
  return 0;
}
