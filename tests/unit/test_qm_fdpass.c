/* A descriptor and its bytes arrive together; without one, only the bytes.
 * Several go in order; the receiver keeps what it wants and nothing else stays
 * open, not the surplus and not a message cut short. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "qm_fdpass.h"

/* Receives one message: its bytes into buf, the descriptor that came with it or -1. */
static ssize_t recv_fd(int sock, char *buf, size_t len, int *fd)
{
  struct msghdr m;
  struct iovec v;
  union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int))]; } c;
  struct cmsghdr *h;
  ssize_t r;
  memset(&m, 0, sizeof m);
  v.iov_base = buf; v.iov_len = len;
  m.msg_iov = &v; m.msg_iovlen = 1;
  m.msg_control = c.b; m.msg_controllen = sizeof c.b;
  r = recvmsg(sock, &m, 0);
  *fd = -1;
  for (h = CMSG_FIRSTHDR(&m); h; h = CMSG_NXTHDR(&m, h))
    if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS) memcpy(fd, CMSG_DATA(h), sizeof(int));
  return r;
}

static void with_and_without(void **state)
{
  int sp[2], p[2], got;
  char buf[64];
  (void)state;
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
  assert_int_equal(pipe(p), 0);
  assert_int_equal(qm_fdpass_send(sp[0], "take this\n", 10, p[1], 0), 10);
  assert_int_equal(recv_fd(sp[1], buf, sizeof buf, &got), 10);
  assert_memory_equal(buf, "take this\n", 10);
  assert_true(got >= 0 && got != p[1]);
  /* the descriptor that came is the pipe's writing end */
  assert_int_equal(write(got, "x", 1), 1);
  assert_int_equal(read(p[0], buf, 1), 1);
  assert_int_equal(buf[0], 'x');
  close(got);
  assert_int_equal(qm_fdpass_send(sp[0], "plain", 5, -1, MSG_DONTWAIT), 5);
  assert_int_equal(recv_fd(sp[1], buf, sizeof buf, &got), 5);
  assert_int_equal(got, -1);
  /* the peer gone: an error, never SIGPIPE */
  close(sp[1]);
  assert_true(qm_fdpass_send(sp[0], "late", 4, p[1], 0) < 0);
  close(sp[0]); close(p[0]); close(p[1]);
}

static void several(void **state)
{
  int sp[2], p[2], q[2], fds[QM_FDPASS_MAX + 1], got[2];
  unsigned int n;
  char buf[64];
  (void)state;
  assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp), 0);
  assert_int_equal(pipe(p), 0);
  assert_int_equal(pipe(q), 0);
  fds[0] = p[1]; fds[1] = q[1];
  assert_int_equal(qm_fdpass_sendn(sp[0], "job", 3, fds, 2, 0), 3);
  assert_int_equal(qm_fdpass_recv(sp[1], buf, sizeof buf, got, 2, &n, 0), 3);
  assert_int_equal(n, 2);
  /* in order, and close-on-exec */
  assert_int_equal(write(got[0], "p", 1), 1);
  assert_int_equal(write(got[1], "q", 1), 1);
  assert_int_equal(read(p[0], buf, 1), 1); assert_int_equal(buf[0], 'p');
  assert_int_equal(read(q[0], buf, 1), 1); assert_int_equal(buf[0], 'q');
  assert_int_equal(fcntl(got[0], F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  close(got[0]); close(got[1]);
  /* two came, one wanted: the other is closed, and the count says two */
  assert_int_equal(qm_fdpass_sendn(sp[0], "x", 1, fds, 2, 0), 1);
  assert_int_equal(qm_fdpass_recv(sp[1], buf, sizeof buf, got, 1, &n, 0), 1);
  assert_int_equal(n, 2);
  close(got[0]);
  close(q[1]);
  assert_int_equal(read(q[0], buf, 1), 0);   /* every writer is gone */
  /* a message longer than the buffer: nothing kept, nothing left open */
  assert_int_equal(qm_fdpass_sendn(sp[0], "too long", 8, fds, 1, 0), 8);
  assert_int_equal(qm_fdpass_recv(sp[1], buf, 4, got, 2, &n, 0), -1);
  assert_int_equal(errno, EMSGSIZE);
  assert_int_equal(n, 0);
  close(p[1]);
  assert_int_equal(read(p[0], buf, 1), 0);
  /* no descriptors, and more than the limit */
  assert_int_equal(qm_fdpass_sendn(sp[0], "none", 4, fds, 0, 0), 4);
  assert_int_equal(qm_fdpass_recv(sp[1], buf, sizeof buf, got, 2, &n, 0), 4);
  assert_int_equal(n, 0);
  assert_int_equal(qm_fdpass_sendn(sp[0], "many", 4, fds, QM_FDPASS_MAX + 1, 0), -1);
  assert_int_equal(errno, EINVAL);
  close(sp[0]); close(sp[1]); close(p[0]); close(q[0]);
}

int main(void)
{
  const struct CMUnitTest tests[] = { cmocka_unit_test(with_and_without), cmocka_unit_test(several) };
  return cmocka_run_group_tests(tests, 0, 0);
}
