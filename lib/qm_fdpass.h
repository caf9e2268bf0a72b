/* Passing descriptors over a unix socket with some bytes beside them
 * (SCM_RIGHTS), as qmail-remote and qmail-tlsd hand connections to each other
 * and qmail-rspawn hands jobs to its workers. */
#ifndef QM_FDPASS_H
#define QM_FDPASS_H

#include <stddef.h>
#include <sys/types.h>

#define QM_FDPASS_MAX 4   /* descriptors one message may carry here */

/* One sendmsg(2) of len bytes of s with fd attached (fd < 0: none), flags as for
 * sendmsg (MSG_NOSIGNAL is always added). Returns what sendmsg returned. */
ssize_t qm_fdpass_send(int sock, char const *s, size_t len, int fd, int flags);

/* The same with nfd descriptors (0..QM_FDPASS_MAX; more is EINVAL). */
ssize_t qm_fdpass_sendn(int sock, char const *s, size_t len, int const *fds, unsigned int nfd, int flags);

/* One recvmsg(2) into buf (len bytes), flags as for recvmsg (MSG_CMSG_CLOEXEC
 * is always added). How many descriptors came goes to *nfd; the first want of
 * them go to fds, in order, and the caller owns those; any beyond are closed.
 * When the message or its control data was cut short all are closed, *nfd is
 * 0 and the result -1 with EMSGSIZE. Returns what recvmsg returned otherwise. */
ssize_t qm_fdpass_recv(int sock, char *buf, size_t len, int *fds, unsigned int want, unsigned int *nfd, int flags);

#endif
