/* Server lists from control/dnsservers and resolv.conf: addresses in order, IPv4
 * mapped into IPv6 slots, junk lines skipped, at most 16 kept. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../qmail-dns/qdns_servers.h"

static char out[QDNS_SERVERS_BYTES];

static unsigned run(char const *text, int rc)
{
  return qdns_servers_parse(out, text, strlen(text), rc);
}

static void plain_list(void **state)
{
  (void)state;
  assert_int_equal(run("127.0.0.53\n# comment\n\n  ::1  \n2001:db8::5 # x\nnot an ip\n1.2.3\n", 0), 3);
  assert_memory_equal(out, "\0\0\0\0\0\0\0\0\0\0\xff\xff\x7f\0\0\x35", 16);
  assert_memory_equal(out + 16, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16);
  assert_memory_equal(out + 32, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\5", 16);
  for (int i = 48; i < QDNS_SERVERS_BYTES; i++) assert_int_equal(out[i], 0);
  assert_int_equal(run("::\n0.0.0.0\n", 0), 1);   /* "::" means no server; 0.0.0.0 is mapped */
  assert_int_equal(run("fe80::1%eth0\n", 0), 0);
  assert_int_equal(run("", 0), 0);
  assert_int_equal(run("192.0.2.1", 0), 1);       /* no final newline */
  assert_int_equal(run("192.0.2.1\r\n", 0), 1);
}

static void resolv_conf(void **state)
{
  (void)state;
  assert_int_equal(run("# generated\nsearch example.org\nnameserver 192.0.2.53\n"
                       "nameserver\t2001:db8::53\nnameserverx 1.1.1.1\noptions ndots:2\n"
                       "  nameserver 192.0.2.54 ; trailing\nnameserver\n", 1), 3);
  assert_memory_equal(out + 12, "\xc0\0\2\x35", 4);
  assert_memory_equal(out + 44, "\xc0\0\2\x36", 4);
  /* a plain address line is not a resolv.conf line */
  assert_int_equal(run("192.0.2.1\n", 1), 0);
}

static void bounds(void **state)
{
  char text[4096], line[64];
  (void)state;
  text[0] = 0;
  for (int i = 0; i < 40; i++) {
    snprintf(line, sizeof line, "192.0.2.%d\n", i + 1);
    strcat(text, line);
  }
  assert_int_equal(run(text, 0), QDNS_SERVERS_MAX);
  assert_memory_equal(out + 16 * 15 + 12, "\xc0\0\2\x10", 4);
  /* an overlong line is skipped whole, even if it starts with an address */
  static char longline[QDNS_SERVERS_LINE_MAX + 100];
  memset(longline, ' ', sizeof longline);
  memcpy(longline, "192.0.2.9", 9);
  longline[sizeof longline - 2] = '\n';
  longline[sizeof longline - 1] = 0;
  assert_int_equal(run(longline, 0), 0);
  assert_int_equal(qdns_servers_parse(out, "1.2.3.4\0\n5.6.7.8\n", 17, 0), 2);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(plain_list),
    cmocka_unit_test(resolv_conf),
    cmocka_unit_test(bounds),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
