/* The SMTP client dialogue against scripted peers: what goes on the wire and in
 * the reports. In particular the last piece of the body leaves in the same write
 * as the final dot, so that the dot never waits for the peer's delayed ACK. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../qmail-remote/remote_smtp.h"

typedef struct peer {
  char const *const *replies;    /* one chunk per read */
  size_t next;
  char const *body;              /* the queued message */
  size_t bodylen, bodypos, bodychunk;
  stralloc wire;                 /* everything written */
  size_t nwrites;
  stralloc last;                 /* the last write carrying the body's end */
  int sawdot;
} peer;

static char const *find(char const *s, size_t len, char const *what)
{
  size_t n = strlen(what), i;
  for (i = 0; i + n <= len; i++) if (!memcmp(s + i, what, n)) return s + i;
  return 0;
}

static ssize_t p_read(void *ctx, char *buf, size_t len)
{
  peer *p = ctx;
  size_t n;
  if (!p->replies[p->next]) return 0;
  n = strlen(p->replies[p->next]);
  assert_true(n <= len);
  memcpy(buf, p->replies[p->next++], n);
  return (ssize_t)n;
}

static int p_write(void *ctx, char const *buf, size_t len)
{
  peer *p = ctx;
  p->nwrites++;
  assert_true(stralloc_catb(&p->wire, buf, len));
  if (len >= 5 && !memcmp(buf + len - 5, "\r\n.\r\n", 5)) {
    p->sawdot = 1;
    p->last.len = 0;
    assert_true(stralloc_catb(&p->last, buf, len));
  }
  return 1;
}

static ssize_t p_body(void *ctx, char *buf, size_t len)
{
  peer *p = ctx;
  size_t n = p->bodylen - p->bodypos;
  if (n > len) n = len;
  if (n > p->bodychunk) n = p->bodychunk;
  memcpy(buf, p->body + p->bodypos, n);
  p->bodypos += n;
  return (ssize_t)n;
}

static char const *const pipelined[] = {
  "220 peer.test ESMTP\r\n",
  "250-peer.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n",
  "250 sender ok\r\n250 rcpt ok\r\n354 go on\r\n",
  "250 2.0.0 queued as 1\r\n",
  0
};

static void run(peer *p, stralloc *out, stralloc *next)
{
  remote_smtp s;
  char const *rcpt[] = { "who@peer.test" };
  memset(&s, 0, sizeof s);
  s.io.ctx = p; s.io.read = p_read; s.io.write = p_write; s.io.body = p_body;
  s.ip = "192.0.2.7";
  s.helohost = "me.test";
  s.sender = "from@me.test";
  s.rcpt = rcpt;
  s.nrcpt = 1;
  s.out = out;
  s.next = next;
  assert_int_equal(remote_smtp_run(&s), REMOTE_SMTP_DONE);
}

static void small_body_with_dot(void **state)
{
  peer p = { pipelined, 0, "Subject: hi\n\nhello\n", 19, 0, 4096, STRALLOC_ZERO, 0, STRALLOC_ZERO, 0 };
  stralloc out = STRALLOC_ZERO, next = STRALLOC_ZERO;
  char const want[] = "EHLO me.test\r\n"
    "MAIL FROM:<from@me.test> BODY=8BITMIME\r\nRCPT TO:<who@peer.test>\r\nDATA\r\n"
    "Subject: hi\r\n\r\nhello\r\n.\r\nQUIT\r\n";
  (void)state;
  run(&p, &out, &next);
  assert_int_equal(p.wire.len, sizeof want - 1);
  assert_memory_equal(p.wire.s, want, sizeof want - 1);
  /* the whole body and the dot in one write */
  assert_true(p.sawdot);
  assert_int_equal(p.last.len, 25);
  assert_memory_equal(p.last.s, "Subject: hi\r\n\r\nhello\r\n.\r\n", 25);
  assert_true(out.len > 2 && out.s[0] == 'r' && memchr(out.s, 'K', out.len));
  stralloc_free(&out); stralloc_free(&next); stralloc_free(&p.wire); stralloc_free(&p.last);
}

static void long_body_ends_with_dot(void **state)
{
  static char body[20000];
  size_t i;
  peer p = { pipelined, 0, body, sizeof body, 0, 3000, STRALLOC_ZERO, 0, STRALLOC_ZERO, 0 };
  stralloc out = STRALLOC_ZERO, next = STRALLOC_ZERO;
  char const *b;
  (void)state;
  /* lines of 99 bytes and a newline; some start with '.' */
  for (i = 0; i < sizeof body; i++) body[i] = (i % 100 == 99) ? '\n' : (i % 700 == 0) ? '.' : 'x';
  run(&p, &out, &next);
  assert_true(p.sawdot);
  /* the last write holds the body's last chunk (3000 - 2000 = 1,000 bytes of the
   * 20,000 with CRLF and the two stuffed dots of that stretch) and the dot */
  assert_true(p.last.len > 1000);
  assert_memory_equal(p.last.s + p.last.len - 5, "\r\n.\r\n", 5);
  b = find(p.wire.s, p.wire.len, "DATA\r\n");
  assert_non_null(b);
  /* nothing but QUIT after it */
  assert_memory_equal(p.wire.s + p.wire.len - 6, "QUIT\r\n", 6);
  assert_true(out.len > 2 && out.s[0] == 'r');
  stralloc_free(&out); stralloc_free(&next); stralloc_free(&p.wire); stralloc_free(&p.last);
}

static void partial_last_line_refused(void **state)
{
  peer p = { pipelined, 0, "Subject: hi\n\nno newline", 23, 0, 4096, STRALLOC_ZERO, 0, STRALLOC_ZERO, 0 };
  stralloc out = STRALLOC_ZERO, next = STRALLOC_ZERO;
  (void)state;
  run(&p, &out, &next);
  /* no final dot ever went out, and the message is refused for good */
  assert_false(p.sawdot);
  assert_non_null(find(out.s, out.len, "#5.6.2"));
  assert_non_null(memchr(out.s, 'D', out.len));
  stralloc_free(&out); stralloc_free(&next); stralloc_free(&p.wire); stralloc_free(&p.last);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(small_body_with_dot),
    cmocka_unit_test(long_body_ends_with_dot),
    cmocka_unit_test(partial_last_line_refused),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
