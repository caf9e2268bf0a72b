/* Passing a descriptor over a unix socket with some bytes beside it (SCM_RIGHTS),
 * as qmail-remote and qmail-tlsd hand connections to each other. */
#ifndef QM_FDPASS_H
#define QM_FDPASS_H

#include <stddef.h>
#include <sys/types.h>

/* One sendmsg(2) of len bytes of s with fd attached (fd < 0: none), flags as for
 * sendmsg (MSG_NOSIGNAL is always added). Returns what sendmsg returned. */
ssize_t qm_fdpass_send(int sock, char const *s, size_t len, int fd, int flags);

#endif
