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

/* Connection reuse: a session set up as reused starts with MAIL, a kept one ends
 * without QUIT, and a stale one (dead, 421, 503 before any recipient) gives
 * STALE with the reports as they were, never a report of its own. */
static enum remote_smtp_result run_reuse(peer *p, stralloc *out, int reused, int keep, int *kept,
  char const *const *rcpt, size_t nrcpt)
{
  remote_smtp s;
  enum remote_smtp_result r;
  stralloc next = STRALLOC_ZERO;
  memset(&s, 0, sizeof s);
  s.io.ctx = p; s.io.read = p_read; s.io.write = p_write; s.io.body = p_body;
  s.ip = "192.0.2.7";
  s.helohost = "me.test";
  s.sender = "from@me.test";
  s.rcpt = rcpt;
  s.nrcpt = nrcpt;
  s.out = out;
  s.next = &next;
  s.reused = reused;
  s.keep = keep;
  s.caps = reused ? 0x05 : 0;   /* PIPELINING, 8BITMIME */
  r = remote_smtp_run(&s);
  *kept = s.kept;
  stralloc_free(&next);
  return r;
}

static void reused_starts_with_mail_and_is_kept(void **state)
{
  static char const *const replies[] = {
    "250 sender ok\r\n250 rcpt ok\r\n354 go on\r\n", "250 2.0.0 queued as 2\r\n", 0 };
  char const *rcpt[] = { "who@peer.test" };
  peer p = { replies, 0, "hi\n", 3, 0, 4096, STRALLOC_ZERO, 0, STRALLOC_ZERO, 0 };
  stralloc out = STRALLOC_ZERO;
  char const want[] = "MAIL FROM:<from@me.test> BODY=8BITMIME\r\nRCPT TO:<who@peer.test>\r\nDATA\r\nhi\r\n.\r\n";
  int kept;
  (void)state;
  assert_int_equal(run_reuse(&p, &out, 1, 1, &kept, rcpt, 1), REMOTE_SMTP_DONE);
  assert_true(kept);
  /* no EHLO before, no RSET, no QUIT after */
  assert_int_equal(p.wire.len, sizeof want - 1);
  assert_memory_equal(p.wire.s, want, sizeof want - 1);
  assert_non_null(find(out.s, out.len, "K192.0.2.7 accepted message. Not encrypted. (connection reused)\n"));
  stralloc_free(&out); stralloc_free(&p.wire); stralloc_free(&p.last);
}

static void fresh_kept_only_when_clean(void **state)
{
  static char const *const clean[] = {
    "220 peer.test ESMTP\r\n", "250-peer.test\r\n250 PIPELINING\r\n",
    "250 ok\r\n250 ok\r\n354 go\r\n", "550 no thanks\r\n", 0 };
  static char const *const extra[] = {
    "220 peer.test ESMTP\r\n", "250-peer.test\r\n250 PIPELINING\r\n",
    "250 ok\r\n250 ok\r\n354 go\r\n", "250 ok\r\n421 bye now\r\n", 0 };
  static char const *const closing[] = {
    "220 peer.test ESMTP\r\n", "250-peer.test\r\n250 PIPELINING\r\n",
    "250 ok\r\n250 ok\r\n354 go\r\n", "421 closing\r\n", 0 };
  char const *rcpt[] = { "who@peer.test" };
  peer p = { clean, 0, "hi\n", 3, 0, 4096, STRALLOC_ZERO, 0, STRALLOC_ZERO, 0 };
  stralloc out = STRALLOC_ZERO;
  int kept;
  (void)state;
  /* a 5xx final reply ends the transaction as well as a 2xx: kept, no QUIT */
  assert_int_equal(run_reuse(&p, &out, 0, 1, &kept, rcpt, 1), REMOTE_SMTP_DONE);
  assert_true(kept);
  assert_null(find(p.wire.s, p.wire.len, "QUIT"));
  assert_non_null(memchr(out.s, 'D', out.len));
  /* not offered: QUIT as always */
  out.len = 0; p.next = 0; p.wire.len = 0;
  assert_int_equal(run_reuse(&p, &out, 0, 0, &kept, rcpt, 1), REMOTE_SMTP_DONE);
  assert_false(kept);
  assert_non_null(find(p.wire.s, p.wire.len, "QUIT\r\n"));
  /* bytes after the final reply: the session is not between transactions */
  p.replies = extra; out.len = 0; p.next = 0; p.wire.len = 0;
  assert_int_equal(run_reuse(&p, &out, 0, 1, &kept, rcpt, 1), REMOTE_SMTP_DONE);
  assert_false(kept);
  assert_non_null(find(p.wire.s, p.wire.len, "QUIT\r\n"));
  /* a 421 final reply: the server is going */
  p.replies = closing; out.len = 0; p.next = 0; p.wire.len = 0;
  assert_int_equal(run_reuse(&p, &out, 0, 1, &kept, rcpt, 1), REMOTE_SMTP_DONE);
  assert_false(kept);
  stralloc_free(&out); stralloc_free(&p.wire); stralloc_free(&p.last);
}

static void reused_stale(void **state)
{
  static char const *const dead[] = { 0 };
  static char const *const closing[] = { "421 4.4.2 idle too long\r\n", 0 };
  static char const *const badseq[] = { "503 5.5.1 nested MAIL\r\n", 0 };
  static char const *const rcpt421[] = { "250 ok\r\n550 no such user\r\n421 going\r\n", 0 };
  static char const *const diesafter[] = { "250 ok\r\n", 0 };
  static char const *const *const cases[] = { dead, closing, badseq, rcpt421, diesafter };
  char const *rcpt[] = { "bad@peer.test", "who@peer.test" };
  size_t k;
  (void)state;
  for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    peer p = { cases[k], 0, "hi\n", 3, 0, 4096, STRALLOC_ZERO, 0, STRALLOC_ZERO, 0 };
    stralloc out = STRALLOC_ZERO;
    int kept;
    assert_true(stralloc_cats(&out, "earlier"));
    print_message("case %zu\n", k);
    assert_int_equal(run_reuse(&p, &out, 1, 1, &kept, rcpt, 2), REMOTE_SMTP_STALE);
    assert_false(kept);
    assert_int_equal(out.len, 7);
    assert_false(p.sawdot);
    stralloc_free(&out); stralloc_free(&p.wire); stralloc_free(&p.last);
  }
}

static void reused_real_answers_count(void **state)
{
  /* a recipient taken, then the connection dies: a deferral, never a retry that
   * could deliver twice */
  static char const *const died[] = { "250 ok\r\n250 ok\r\n", 0 };
  /* a genuine refusal on a reused connection is the answer */
  static char const *const refused[] = { "250 ok\r\n550 5.1.1 no such user\r\n554 no valid recipients\r\n", 0 };
  static char const *const senderno[] = { "550 5.7.1 sender refused\r\n550 x\r\n554 x\r\n", 0 };
  char const *rcpt[] = { "who@peer.test" };
  peer p = { died, 0, "hi\n", 3, 0, 4096, STRALLOC_ZERO, 0, STRALLOC_ZERO, 0 };
  stralloc out = STRALLOC_ZERO;
  int kept;
  (void)state;
  assert_int_equal(run_reuse(&p, &out, 1, 1, &kept, rcpt, 1), REMOTE_SMTP_DONE);
  assert_non_null(find(out.s, out.len, "connection died"));
  assert_true(out.s[0] == 'r');
  out.len = 0; p.replies = refused; p.next = 0;
  assert_int_equal(run_reuse(&p, &out, 1, 1, &kept, rcpt, 1), REMOTE_SMTP_DONE);
  assert_true(out.s[0] == 'h');
  out.len = 0; p.replies = senderno; p.next = 0;
  assert_int_equal(run_reuse(&p, &out, 1, 1, &kept, rcpt, 1), REMOTE_SMTP_DONE);
  assert_non_null(find(out.s, out.len, "sender was rejected"));
  assert_true(out.s[0] == 'D');
  stralloc_free(&out); stralloc_free(&p.wire); stralloc_free(&p.last);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(small_body_with_dot),
    cmocka_unit_test(long_body_ends_with_dot),
    cmocka_unit_test(partial_last_line_refused),
    cmocka_unit_test(reused_starts_with_mail_and_is_kept),
    cmocka_unit_test(fresh_kept_only_when_clean),
    cmocka_unit_test(reused_stale),
    cmocka_unit_test(reused_real_answers_count),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
