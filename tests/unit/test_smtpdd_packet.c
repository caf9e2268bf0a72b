/* The packet a front hands qmail-smtpdd: the limits and the environment of a good
 * one come out as sent; a wrong hello, a short header, a string without '=' or
 * with an empty name, one not ended by NUL, too many variables or too many bytes
 * are refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../qmail-smtpd/smtpdd_packet.h"

static char p[SMTPDD_PACKET_MAX + 64];
static size_t plen;
static smtpdd_packet pk;

/* a header with limit i = (i, 1000 + i) */
static void head(void)
{
  unsigned int i;
  p[0] = SMTPDD_HELLO;
  plen = 1;
  for (i = 0; i < SMTPDD_NRLIMITS; i++) {
    uint64_t v[2] = { i, 1000 + i };
    memcpy(p + plen, v, sizeof v);
    plen += sizeof v;
  }
}

static void add(char const *s, size_t n)
{
  memcpy(p + plen, s, n);
  plen += n;
}

static void takes_a_good_one(void **state)
{
  (void)state;
  head();
  add("TCPREMOTEIP=192.0.2.1\0RELAYCLIENT=\0A==b\0", 40);
  assert_int_equal(smtpdd_packet_parse(&pk, p, plen), 1);
  assert_int_equal(pk.envc, 3);
  assert_string_equal(pk.env[0], "TCPREMOTEIP=192.0.2.1");
  assert_string_equal(pk.env[1], "RELAYCLIENT=");
  assert_string_equal(pk.env[2], "A==b");
  assert_null(pk.env[3]);
  assert_true(pk.limit[0][0] == 0 && pk.limit[0][1] == 1000);
  assert_true(pk.limit[SMTPDD_NRLIMITS - 1][1] == 1000 + SMTPDD_NRLIMITS - 1);
  head();
  assert_int_equal(smtpdd_packet_parse(&pk, p, plen), 1);
  assert_int_equal(pk.envc, 0);
  assert_null(pk.env[0]);
}

static void refuses_bad_ones(void **state)
{
  (void)state;
  head();
  p[0] = 'x';
  assert_int_equal(smtpdd_packet_parse(&pk, p, plen), 0);
  head();
  assert_int_equal(smtpdd_packet_parse(&pk, p, plen - 1), 0);
  head(); add("NOEQUALS\0", 9);
  assert_int_equal(smtpdd_packet_parse(&pk, p, plen), 0);
  head(); add("=value\0", 7);
  assert_int_equal(smtpdd_packet_parse(&pk, p, plen), 0);
  head(); add("A=b\0C=d", 7);
  assert_int_equal(smtpdd_packet_parse(&pk, p, plen), 0);
  head(); add("A=b\0\0", 5);
  assert_int_equal(smtpdd_packet_parse(&pk, p, plen), 0);
}

static void limits_counts_and_bytes(void **state)
{
  size_t i;
  (void)state;
  head();
  for (i = 0; i < SMTPDD_ENVC_MAX; i++) add("A=b\0", 4);
  assert_int_equal(smtpdd_packet_parse(&pk, p, plen), 1);
  assert_int_equal(pk.envc, SMTPDD_ENVC_MAX);
  add("A=b\0", 4);
  assert_int_equal(smtpdd_packet_parse(&pk, p, plen), 0);
  head();
  memset(p + plen, 'x', SMTPDD_ENV_MAX);
  p[plen] = 'A'; p[plen + 1] = '=';
  p[plen + SMTPDD_ENV_MAX - 1] = 0;
  plen += SMTPDD_ENV_MAX;
  assert_int_equal(smtpdd_packet_parse(&pk, p, plen), 1);
  p[plen - 1] = 'x'; p[plen] = 0;
  assert_int_equal(smtpdd_packet_parse(&pk, p, plen + 1), 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(takes_a_good_one),
    cmocka_unit_test(refuses_bad_ones),
    cmocka_unit_test(limits_counts_and_bytes),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
