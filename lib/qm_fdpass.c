/* The control message is built on the stack for exactly one int. */
#include <string.h>
#include <sys/socket.h>

#include "qm_fdpass.h"

ssize_t qm_fdpass_send(int sock, char const *s, size_t len, int fd, int flags)
{
  struct msghdr m;
  struct iovec v;
  union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int))]; } c;
  memset(&m, 0, sizeof m);
  v.iov_base = (void *)s; v.iov_len = len;
  m.msg_iov = &v; m.msg_iovlen = 1;
  if (fd >= 0) {
    struct cmsghdr *h;
    memset(&c, 0, sizeof c);
    m.msg_control = c.b; m.msg_controllen = sizeof c.b;
    h = CMSG_FIRSTHDR(&m);
    h->cmsg_level = SOL_SOCKET; h->cmsg_type = SCM_RIGHTS;
    h->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(h), &fd, sizeof(int));
  }
  return sendmsg(sock, &m, flags | MSG_NOSIGNAL);
}
