/* The qmail-dns protocol codec: request frames fed whole and byte by byte,
 * hostile frames (huge lengths, leading zeros, missing comma, NUL, CR, LF, 8-bit),
 * request parsing, and answer formatting (sorting, TTLs, sizes). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../qmail-dns/qdns_proto.h"

static struct { char const *in; size_t len; int want; char const *payload; } const frames[] = {
  { "14:MX example.org,", 18, 1, "MX example.org" },
  { "0:,", 3, 1, "" },
  { "5:STATS,", 8, 1, "STATS" },
  { "3:a\0b,", 6, 1, "a\0b" },
  { "3:a\r\n,", 6, 1, "a\r\n" },
  { "14:MX example.org;", 18, -1, 0 },
  { "014:MX example.org,", 19, -1, 0 },
  { ":MX,", 4, -1, 0 },
  { "x:", 2, -1, 0 },
  { "\xff", 1, -1, 0 },
  { "301:", 4, -1, 0 },
  { "300", 3, 0, 0 },
  { "301", 3, -1, 0 },
  { "999999", 6, -1, 0 },
  { "99999999999999999999999:", 24, -1, 0 },
  { "3:ab", 4, 0, 0 },
  { "", 0, 0, 0 },
};

static void frame_whole_and_trickled(void **state)
{
  (void)state;
  for (size_t i = 0; i < sizeof frames / sizeof frames[0]; i++) {
    size_t off = 0, plen = 0, used = 0;
    int r = qdns_proto_frame(frames[i].in, frames[i].len, QDNS_REQ_MAX, &off, &plen, &used);
    if (r != frames[i].want) fail_msg("frame %zu whole: got %d, want %d", i, r, frames[i].want);
    if (r > 0) {
      assert_int_equal(used, frames[i].len);
      assert_int_equal(plen, strlen(frames[i].payload) + (i == 3 ? 2 : 0));
      assert_memory_equal(frames[i].in + off, frames[i].payload, plen);
    }
    /* byte by byte: every shorter prefix needs more, unless already invalid */
    int seen_invalid = 0;
    for (size_t n = 0; n < frames[i].len; n++) {
      r = qdns_proto_frame(frames[i].in, n, QDNS_REQ_MAX, &off, &plen, &used);
      if (r > 0) fail_msg("frame %zu prefix %zu: complete too early", i, n);
      if (r < 0) seen_invalid = 1;
      else if (seen_invalid) fail_msg("frame %zu prefix %zu: valid again after invalid", i, n);
    }
    if (frames[i].want > 0 && seen_invalid) fail_msg("frame %zu: a prefix was refused", i);
  }
}

static void pipelined(void **state)
{
  char const in[] = "6:A a.bc,9:AAAA a.bc,";
  size_t off, plen, used, pos = 0;
  int count = 0;
  (void)state;
  while (qdns_proto_frame(in + pos, sizeof in - 1 - pos, QDNS_REQ_MAX, &off, &plen, &used) > 0) {
    pos += used;
    count++;
  }
  assert_int_equal(count, 2);
  assert_int_equal(pos, sizeof in - 1);
}

static void requests(void **state)
{
  static struct { char const *in; int want; enum qdns_qtype type; char const *why; } const cases[] = {
    { "MX example.org", 1, QDNS_Q_MX, 0 },
    { "A Mail.Example.ORG.", 1, QDNS_Q_A, 0 },
    { "AAAA x.y", 1, QDNS_Q_AAAA, 0 },
    { "STATS", 1, QDNS_Q_STATS, 0 },
    { "mx example.org", -1, 0, "unknown type" },
    { "TXT example.org", -1, 0, "unknown type" },
    { "MX", -1, 0, "unknown type" },
    { "MX ", -1, 0, "invalid domain name" },
    { "MX  example.org", -1, 0, "invalid domain name" },
    { "MX example.org ", -1, 0, "invalid domain name" },
    { "MX exa\nmple.org", -1, 0, "invalid domain name" },
    { "MX \xc3\xa9.org", -1, 0, "invalid domain name" },
    { "STATS x", -1, 0, "unknown type" },
    { "", -1, 0, "unknown type" },
  };
  (void)state;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct qdns_req r;
    char const *why = 0;
    int got = qdns_proto_request(&r, cases[i].in, strlen(cases[i].in), &why);
    if (got != cases[i].want) fail_msg("request %zu (%s): got %d, want %d", i, cases[i].in, got, cases[i].want);
    if (got > 0) assert_int_equal(r.type, cases[i].type);
    else assert_string_equal(why, cases[i].why);
  }
  struct qdns_req r;
  char const *why;
  assert_int_equal(qdns_proto_request(&r, "A a\0b", 5, &why), -1);
  assert_int_equal(qdns_proto_request(&r, "A Mail.Example.ORG.", 19, &why), 1);
  assert_int_equal(r.namelen, 18);
  assert_memory_equal(r.name, "\4mail\7example\3org\0", 18);
  assert_int_equal(qdns_proto_dnstype(QDNS_Q_MX), 15);
  assert_int_equal(qdns_proto_dnstype(QDNS_Q_AAAA), 28);
  assert_int_equal(qdns_proto_dnstype(QDNS_Q_STATS), 0);
}

static void set_mx(struct qdns_rr *r, unsigned pref, char const *host)
{
  r->pref = (uint16_t)pref;
  r->len = (unsigned char)qdns_name_fromtext(r->data, host, strlen(host));
}

static void items(void **state)
{
  static struct qdns_answer a;
  char out[QDNS_ANSWER_MAX];
  size_t n;
  (void)state;
  a.result = QDNS_OK;
  a.n = 4;
  set_mx(&a.rr[0], 20, "mx2.example.org");
  set_mx(&a.rr[1], 10, "mx1.example.org");
  set_mx(&a.rr[2], 30, "mx9.example.org");
  set_mx(&a.rr[3], 10, "mx3.example.org");
  n = qdns_proto_items(out, sizeof out, &a, QDNS_T_MX);
  out[n] = 0;
  assert_string_equal(out, "K 10:mx1.example.org 10:mx3.example.org 20:mx2.example.org 30:mx9.example.org");
  assert_int_equal(qdns_proto_items(out, 10, &a, QDNS_T_MX), 0);   /* does not fit */

  a.n = 1;
  a.rr[0].pref = 0; a.rr[0].len = 1; a.rr[0].data[0] = 0;   /* null MX */
  n = qdns_proto_items(out, sizeof out, &a, QDNS_T_MX);
  out[n] = 0;
  assert_string_equal(out, "K 0:.");

  a.n = 2;
  memcpy(a.rr[0].data, "\300\0\2\1", 4); a.rr[0].len = 4;
  memcpy(a.rr[1].data, "\1\2\3\4", 4); a.rr[1].len = 4;
  n = qdns_proto_items(out, sizeof out, &a, QDNS_T_A);
  out[n] = 0;
  assert_string_equal(out, "K 192.0.2.1 1.2.3.4");

  a.n = 1;
  memcpy(a.rr[0].data, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x11", 16); a.rr[0].len = 16;
  n = qdns_proto_items(out, sizeof out, &a, QDNS_T_AAAA);
  out[n] = 0;
  assert_string_equal(out, "K 2001:db8::11");

  a.result = QDNS_NXDOMAIN;
  assert_int_equal(qdns_proto_items(out, sizeof out, &a, QDNS_T_A), 1);
  assert_int_equal(out[0], 'X');
  a.result = QDNS_NODATA;
  assert_int_equal(qdns_proto_items(out, sizeof out, &a, QDNS_T_A), 1);
  assert_int_equal(out[0], 'E');
  a.result = QDNS_FOLLOW;
  assert_int_equal(qdns_proto_items(out, sizeof out, &a, QDNS_T_A), 0);
  a.result = QDNS_SERVFAIL;
  assert_int_equal(qdns_proto_items(out, sizeof out, &a, QDNS_T_A), 0);
}

static void answers(void **state)
{
  char out[QDNS_FRAME_MAX];
  static char big[QDNS_ANSWER_MAX + 2];
  size_t n;
  (void)state;
  n = qdns_proto_answer(out, sizeof out, "K 192.0.2.1", 11, 300);
  assert_int_equal(n, 18);
  assert_memory_equal(out, "14:K300 192.0.2.1,", 18);
  n = qdns_proto_answer(out, sizeof out, "X", 1, 4294967295UL);
  assert_memory_equal(out, "11:X4294967295,", n);
  n = qdns_proto_answer(out, sizeof out, "E", 1, 0);
  assert_memory_equal(out, "2:E0,", n);
  n = qdns_proto_fail(out, sizeof out, 'Z', "timed out");
  assert_memory_equal(out, "10:Ztimed out,", n);
  n = qdns_proto_answer(out, 8, "K 192.0.2.1", 11, 300);
  assert_int_equal(n, 0);
  assert_int_equal(qdns_proto_answer(out, sizeof out, "", 0, 1), 0);
  memset(big, 'K', sizeof big);
  assert_int_equal(qdns_proto_answer(out, sizeof out, big, sizeof big, 1), 0);
  /* the TTL's digits count against the payload limit */
  assert_int_equal(qdns_proto_answer(out, sizeof out, big, QDNS_ANSWER_MAX - 9, 4294967295UL), 0);
  assert_true(qdns_proto_answer(out, sizeof out, big, QDNS_ANSWER_MAX - 9, 0) > 0);
  /* what comes out is a frame the decoder takes back whole */
  size_t off, plen, used;
  n = qdns_proto_answer(out, sizeof out, big, QDNS_ANSWER_MAX - 10, 4294967295UL);
  assert_true(n > 0);
  assert_int_equal(qdns_proto_frame(out, n, QDNS_ANSWER_MAX, &off, &plen, &used), 1);
  assert_int_equal(used, n);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(frame_whole_and_trickled),
    cmocka_unit_test(pipelined),
    cmocka_unit_test(requests),
    cmocka_unit_test(items),
    cmocka_unit_test(answers),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
