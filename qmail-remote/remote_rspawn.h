/* qmail-rspawn's decision: the spawner reply (QMAIL-INTERFACES 4.4, 6.1) for one
 * finished qmail-remote, from how it ended and what it wrote (a recipient report
 * r/h/s, then a message report K/Z/D, each ending in NUL). Pure; trusts nothing in
 * the output: a missing or unknown report defers, never accepts. */
#ifndef REMOTE_RSPAWN_H
#define REMOTE_RSPAWN_H

#include <stddef.h>
#include <skalibs/stralloc.h>

#define REMOTE_RSPAWN_OUT_MAX 9500   /* output bytes looked at; the reply stays under 10000 */
#define REMOTE_RSPAWN_EXIT_EXEC 111  /* the child could not exec qmail-remote */

/* Builds the reply text, letter first, into out (replaced). signaled != 0: code is
 * the signal. Returns 1, or 0 on ENOMEM. The text never holds a NUL. */
int remote_rspawn_report(stralloc *out, int signaled, int code, char const *output, size_t len);

#endif
