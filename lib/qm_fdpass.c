/* The control messages are built on the stack for at most QM_FDPASS_MAX ints;
 * what comes in is closed rather than leaked whenever it is not wanted. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "qm_fdpass.h"

ssize_t qm_fdpass_sendn(int sock, char const *s, size_t len, int const *fds, unsigned int nfd, int flags)
{
  struct msghdr m;
  struct iovec v;
  union { struct cmsghdr h; char b[CMSG_SPACE(QM_FDPASS_MAX * sizeof(int))]; } c;
  if (nfd > QM_FDPASS_MAX) { errno = EINVAL; return -1; }
  memset(&m, 0, sizeof m);
  v.iov_base = (void *)s; v.iov_len = len;
  m.msg_iov = &v; m.msg_iovlen = 1;
  if (nfd) {
    struct cmsghdr *h;
    memset(&c, 0, sizeof c);
    m.msg_control = c.b; m.msg_controllen = CMSG_SPACE(nfd * sizeof(int));
    h = CMSG_FIRSTHDR(&m);
    h->cmsg_level = SOL_SOCKET; h->cmsg_type = SCM_RIGHTS;
    h->cmsg_len = CMSG_LEN(nfd * sizeof(int));
    memcpy(CMSG_DATA(h), fds, nfd * sizeof(int));
  }
  return sendmsg(sock, &m, flags | MSG_NOSIGNAL);
}

ssize_t qm_fdpass_send(int sock, char const *s, size_t len, int fd, int flags)
{
  return qm_fdpass_sendn(sock, s, len, &fd, fd >= 0, flags);
}

ssize_t qm_fdpass_recv(int sock, char *buf, size_t len, int *fds, unsigned int want, unsigned int *nfd, int flags)
{
  struct msghdr m;
  struct iovec v;
  struct cmsghdr *h;
  union { struct cmsghdr h; char b[CMSG_SPACE(QM_FDPASS_MAX * sizeof(int))]; } c;
  unsigned int i;
  ssize_t r;
  *nfd = 0;
  memset(&m, 0, sizeof m);
  v.iov_base = buf; v.iov_len = len;
  m.msg_iov = &v; m.msg_iovlen = 1;
  m.msg_control = c.b; m.msg_controllen = sizeof c.b;
  r = recvmsg(sock, &m, flags | MSG_CMSG_CLOEXEC);
  if (r < 0) return r;
  for (h = CMSG_FIRSTHDR(&m); h; h = CMSG_NXTHDR(&m, h))
    if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS) {
      size_t j, n = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (j = 0; j < n; j++) {
        int x;
        memcpy(&x, CMSG_DATA(h) + j * sizeof(int), sizeof x);
        if (*nfd < want) fds[*nfd] = x; else close(x);
        ++*nfd;
      }
    }
  if (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
    for (i = 0; i < *nfd && i < want; i++) close(fds[i]);
    *nfd = 0;
    errno = EMSGSIZE;
    return -1;
  }
  return r;
}
