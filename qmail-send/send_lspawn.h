/* qmail-lspawn's decision on a finished child: the reply for its exit code (the
 * QM_QLX_* codes of lib/qm_users.h included) or signal and its output. Pure; the
 * caller does the lookups, forks, pipes and privilege changes. */
#ifndef SEND_LSPAWN_H
#define SEND_LSPAWN_H

#include <stddef.h>
#include <skalibs/stralloc.h>

#define SEND_LSPAWN_OUT_MAX 3000     /* report bytes passed on; the rest is cut */

/* Builds the reply text, letter first ("Kdid 1+0+0\n"), into out (replaced):
 * signaled != 0 means the child died of a signal. The child's output counts up to
 * its first NUL and at most SEND_LSPAWN_OUT_MAX bytes. Returns 1, or 0 on ENOMEM. */
int send_lspawn_report(stralloc *out, int signaled, int code, char const *output, size_t len);

#endif
