/* A descriptor and its bytes arrive together; without one, only the bytes. */
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

int main(void)
{
  const struct CMUnitTest tests[] = { cmocka_unit_test(with_and_without) };
  return cmocka_run_group_tests(tests, 0, 0);
}
