/* The idle connection's description line (round trips, a table of hostile
 * lines, every prefix and every one-byte change of a good line) and qmail-rspawn's
 * cache of idle connections (limits, expiry, case, never the same descriptor
 * twice). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../qmail-remote/remote_conn.h"

static remote_conninfo info4(unsigned long uses)
{
  remote_conninfo i;
  memset(&i, 0, sizeof i);
  i.ip[10] = 0xff; i.ip[11] = 0xff;
  i.ip[12] = 192; i.ip[13] = 0; i.ip[14] = 2; i.ip[15] = 25;
  i.caps = 7;
  i.sizemax = 10240000;
  i.uses = uses;
  return i;
}

static int parse(remote_conninfo *i, char const *s)
{
  return remote_conn_parse(i, s, strlen(s));
}

static void line_round_trip(void **state)
{
  char buf[REMOTE_CONN_LINE_MAX];
  remote_conninfo a = info4(3), b;
  size_t n;
  (void)state;
  n = remote_conn_fmt(buf, &a);
  assert_int_equal(n, strlen("ip=192.0.2.25 caps=7 size=10240000 uses=3\n"));
  assert_memory_equal(buf, "ip=192.0.2.25 caps=7 size=10240000 uses=3\n", n);
  assert_int_equal(remote_conn_parse(&b, buf, n - 1), 1);
  assert_memory_equal(b.ip, a.ip, 16);
  assert_string_equal(b.ipstr, "192.0.2.25");
  assert_int_equal(b.caps, 7);
  assert_int_equal(b.sizemax, 10240000);
  assert_int_equal(b.uses, 3);
  /* IPv6, made canonical */
  assert_int_equal(parse(&b, "ip=2001:DB8:0:0::1 caps=0 size=0 uses=1"), 1);
  assert_string_equal(b.ipstr, "2001:db8::1");
  assert_int_equal(b.ip[0], 0x20);
  assert_int_equal(b.ip[15], 1);
  /* the longest line fits */
  a.sizemax = 4294967295UL; a.uses = 4294967295UL; a.caps = REMOTE_CONN_CAPS_MASK;
  memset(a.ip, 0xff, 16);
  n = remote_conn_fmt(buf, &a);
  assert_true(n > 0 && n <= REMOTE_CONN_LINE_MAX);
  assert_int_equal(remote_conn_parse(&b, buf, n - 1), 1);
  /* out of range: nothing written */
  a = info4(0);
  assert_int_equal(remote_conn_fmt(buf, &a), 0);
  a = info4(1); a.caps = 0x100;
  assert_int_equal(remote_conn_fmt(buf, &a), 0);
}

static void line_hostile(void **state)
{
  static char const *const bad[] = {
    "",
    "ip=192.0.2.25",
    "ip=192.0.2.25 caps=7 size=0",
    "ip=192.0.2.25 caps=7 size=0 uses=0",
    "ip=192.0.2.25 caps=7 size=0 uses=1 ",
    " ip=192.0.2.25 caps=7 size=0 uses=1",
    "ip=192.0.2.25  caps=7 size=0 uses=1",
    "ip=192.0.2.25 caps=7 size=0 uses=1 extra=1",
    "caps=7 ip=192.0.2.25 size=0 uses=1",
    "ip=192.0.2.256 caps=7 size=0 uses=1",
    "ip=192.0.2 caps=7 size=0 uses=1",
    "ip=192.0.02.25 caps=7 size=0 uses=1",
    "ip=192.0.2.25.1 caps=7 size=0 uses=1",
    "ip=1920.0.2.25 caps=7 size=0 uses=1",
    "ip=192.0.2.25x caps=7 size=0 uses=1",
    "ip=::1::2 caps=7 size=0 uses=1",
    "ip=host.example caps=7 size=0 uses=1",
    "ip= caps=7 size=0 uses=1",
    "ip=192.0.2.25 caps=64 size=0 uses=1",
    "ip=192.0.2.25 caps=-1 size=0 uses=1",
    "ip=192.0.2.25 caps=+1 size=0 uses=1",
    "ip=192.0.2.25 caps=07 size=0 uses=1",
    "ip=192.0.2.25 caps=7 size=4294967296 uses=1",
    "ip=192.0.2.25 caps=7 size=99999999999 uses=1",
    "ip=192.0.2.25 caps=7 size=0 uses=4294967296",
    "ip=192.0.2.25 caps=7 size=0x10 uses=1",
    "ip=192.0.2.25 caps=7 size= uses=1",
    "ip=192.0.2.25 caps=7 size=0 uses=1\r",
    "IP=192.0.2.25 caps=7 size=0 uses=1",
    "ip=192.0.2.25\tcaps=7 size=0 uses=1",
    "ip=1111:2222:3333:4444:5555:6666:7777:8888:9999 caps=7 size=0 uses=1",
    0
  };
  remote_conninfo i;
  char longline[REMOTE_CONN_LINE_MAX + 10];
  size_t k;
  (void)state;
  for (k = 0; bad[k]; k++) {
    print_message("case %zu: %s\n", k, bad[k]);
    assert_int_equal(parse(&i, bad[k]), -1);
  }
  /* a NUL or a newline inside */
  assert_int_equal(remote_conn_parse(&i, "ip=192.0.2.25 caps=7\0size=0 uses=1", 34), -1);
  assert_int_equal(remote_conn_parse(&i, "ip=192.0.2.25 caps=7\nsize=0 uses=1", 34), -1);
  /* too long, even if well formed up to there */
  memset(longline, '1', sizeof longline);
  memcpy(longline, "ip=192.0.2.25 caps=7 size=0 uses=", 33);
  assert_int_equal(remote_conn_parse(&i, longline, sizeof longline), -1);
}

/* Every prefix of a good line but the whole is refused, and so is every line with
 * one byte changed to something a field cannot hold. */
static void line_prefixes_and_flips(void **state)
{
  char const good[] = "ip=192.0.2.25 caps=7 size=10240000 uses=3";
  char buf[sizeof good];
  remote_conninfo i;
  size_t n, k;
  static char const flips[] = { 0, '\n', ' ', 'x', '-', ':' };
  (void)state;
  for (n = 0; n < sizeof good - 1; n++) assert_int_equal(remote_conn_parse(&i, good, n), -1);
  assert_int_equal(remote_conn_parse(&i, good, sizeof good - 1), 1);
  for (n = 0; n < sizeof good - 1; n++)
    for (k = 0; k < sizeof flips; k++) {
      int r;
      memcpy(buf, good, sizeof good);
      if (buf[n] == flips[k]) continue;
      buf[n] = flips[k];
      r = remote_conn_parse(&i, buf, sizeof good - 1);
      /* a change may leave a line that is valid on its own terms; then it must
       * still read as what it says */
      if (r == 1) assert_true(i.uses >= 1 && !(i.caps & ~REMOTE_CONN_CAPS_MASK));
      else assert_int_equal(r, -1);
    }
}

static void cache_limits(void **state)
{
  static remote_conncache c;
  remote_conninfo i = info4(1), got;
  (void)state;
  remote_conncache_init(&c, 3, 2, 100, 5000);
  assert_int_equal(remote_conncache_put(&c, "sink.test", 10, &i, 1000), 1);
  /* the same descriptor twice: refused */
  assert_int_equal(remote_conncache_put(&c, "other.test", 10, &i, 1000), 0);
  assert_int_equal(remote_conncache_put(&c, "SINK.test", 11, &i, 1000), 1);
  /* per host: 2 */
  assert_int_equal(remote_conncache_put(&c, "sink.TEST", 12, &i, 1000), 0);
  assert_int_equal(remote_conncache_put(&c, "other.test", 13, &i, 1000), 1);
  /* in all: 3 */
  assert_int_equal(remote_conncache_put(&c, "third.test", 14, &i, 1000), 0);
  /* different hosts never share */
  assert_int_equal(remote_conncache_take(&c, "third.test", &got, 1000), -1);
  assert_int_equal(remote_conncache_take(&c, "other.test", &got, 1000), 13);
  assert_int_equal(remote_conncache_take(&c, "other.test", &got, 1000), -1);
  /* the newest first, any case, each once */
  assert_int_equal(remote_conncache_take(&c, "Sink.Test", &got, 1000), 11);
  assert_int_equal(remote_conncache_take(&c, "sink.test", &got, 1000), 10);
  assert_int_equal(got.uses, 1);
  assert_int_equal(remote_conncache_take(&c, "sink.test", &got, 1000), -1);
  assert_int_equal(c.n, 0);
  /* the transaction limit: a connection that carried maxuses is not kept */
  i = info4(100);
  assert_int_equal(remote_conncache_put(&c, "sink.test", 10, &i, 1000), 0);
  i = info4(99);
  assert_int_equal(remote_conncache_put(&c, "sink.test", 10, &i, 1000), 1);
  /* bad keys and descriptors */
  assert_int_equal(remote_conncache_put(&c, "", 20, &i, 1000), 0);
  assert_int_equal(remote_conncache_put(&c, "x.test", -1, &i, 1000), 0);
  {
    char host[REMOTE_CONN_HOST_MAX + 2];
    memset(host, 'a', sizeof host - 1);
    host[sizeof host - 1] = 0;
    assert_int_equal(remote_conncache_put(&c, host, 21, &i, 1000), 0);
    assert_int_equal(remote_conncache_take(&c, host, &got, 1000), -1);
    host[REMOTE_CONN_HOST_MAX] = 0;
    assert_int_equal(remote_conncache_put(&c, host, 21, &i, 1000), 1);
    assert_int_equal(remote_conncache_take(&c, host, &got, 1000), 21);
  }
  /* reuse off */
  remote_conncache_init(&c, 3, 2, 100, 0);
  assert_int_equal(remote_conncache_put(&c, "sink.test", 10, &i, 1000), 0);
  /* limits are cut to what the table holds */
  remote_conncache_init(&c, 100000, 100000, 100, 5000);
  assert_int_equal(c.max, REMOTE_CONN_CACHE_MAX);
  assert_int_equal(c.perhost, REMOTE_CONN_CACHE_MAX);
}

static void cache_expiry(void **state)
{
  static remote_conncache c;
  remote_conninfo i = info4(1), got;
  int fd;
  unsigned int k;
  (void)state;
  remote_conncache_init(&c, 10, 10, 100, 5000);
  assert_true(remote_conncache_wait(&c, 0) == UINT64_MAX);
  assert_int_equal(remote_conncache_put(&c, "a.test", 10, &i, 1000), 1);
  assert_int_equal(remote_conncache_put(&c, "b.test", 11, &i, 3000), 1);
  assert_int_equal(remote_conncache_wait(&c, 1000), 5000);
  assert_int_equal(remote_conncache_wait(&c, 4000), 2000);
  assert_int_equal(remote_conncache_expire(&c, 5999), -1);
  /* an expired connection is never taken, only expired */
  assert_int_equal(remote_conncache_take(&c, "a.test", &got, 6000), -1);
  assert_int_equal(remote_conncache_wait(&c, 6000), 0);
  assert_int_equal(remote_conncache_expire(&c, 6000), 10);
  assert_int_equal(remote_conncache_expire(&c, 6000), -1);
  assert_int_equal(remote_conncache_wait(&c, 6000), 2000);
  /* a clock that goes back expires nothing early */
  assert_int_equal(remote_conncache_expire(&c, 10), -1);
  assert_int_equal(remote_conncache_wait(&c, 10), 5000);
  assert_int_equal(remote_conncache_take(&c, "b.test", &got, 7999), 11);
  /* drop empties it whatever the times */
  for (k = 0; k < 5; k++) assert_int_equal(remote_conncache_put(&c, "c.test", 20 + (int)k, &i, 1000), 1);
  for (k = 0; k < 5; k++) {
    fd = remote_conncache_drop(&c);
    assert_true(fd >= 20 && fd < 25);
  }
  assert_int_equal(remote_conncache_drop(&c), -1);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(line_round_trip),
    cmocka_unit_test(line_hostile),
    cmocka_unit_test(line_prefixes_and_flips),
    cmocka_unit_test(cache_limits),
    cmocka_unit_test(cache_expiry),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
