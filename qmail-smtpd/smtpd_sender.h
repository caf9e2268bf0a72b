/* smtpd_sender: which envelope senders an authenticated submission user may use.
 * Pure: the lists are the operator's (control/locals, control/submissionsenders),
 * the sender is the client's and trusted for nothing. */
#ifndef SMTPD_SENDER_H
#define SMTPD_SENDER_H

#include <skalibs/stralloc.h>

/* 1 if user may send as sender, else 0. The rules, any of which grants:
 *   a user name with '@' owns exactly that address (any case);
 *   a user name without '@' owns user@D and user<brk>anything@D for every domain D
 *   of locals (brk is qmail's extension break, '-');
 *   a line "user:address" of extra grants that address, "user:@domain" every address
 *   at that domain.
 * The null sender <> is nobody's. locals and extra are qm_control lists (entries
 * NUL-ended). */
int smtpd_sender_owned(char const *user, char const *sender, char brk,
                       stralloc const *locals, stralloc const *extra);

#endif
