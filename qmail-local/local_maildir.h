/* Maildir delivery: write tmp/<name>, fsync it, link it to new/<name>, fsync new/,
 * unlink the tmp name. Names are <sec>.M<usec>P<pid>Q<n>.<host>: unique across
 * pid reuse, many deliveries a second and hosts sharing the Maildir, with '/' and
 * ':' in the host name escaped as \057 and \072. */
#ifndef LOCAL_MAILDIR_H
#define LOCAL_MAILDIR_H

#include <stddef.h>
#include <sys/types.h>
#include <skalibs/stralloc.h>

#define LOCAL_HOST_MAX 255     /* host name bytes used in a file name */
#define LOCAL_MAILDIR_TRIES 3  /* fresh names tried when one is taken */

/* Appends the unique name (no NUL). 1, or 0 on ENOMEM. */
int local_maildir_name(stralloc *sa, unsigned long sec, unsigned long usec,
                       unsigned long pid, unsigned long seq, char const *host);

/* Delivers the message on msgfd into the Maildir dir (with or without its final
 * '/'). *seq counts deliveries of this process and is advanced. 1 done; 0 failed,
 * with the reason in why. */
int local_maildir_deliver(char const *dir, int msgfd, char const *rpline,
                          char const *dtline, char const *host, unsigned long *seq,
                          stralloc *why);

#endif
