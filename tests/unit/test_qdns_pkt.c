/* The DNS answer parser against good answers and hostile ones: compression loops
 * and forward pointers, names over 255 bytes, huge RRsets, wrong ids and
 * questions, truncated packets (every prefix of a good one), bad record data. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "../../qmail-dns/qdns_pkt.h"
#include "qdns_testpkt.h"

static struct tp p;
static struct qdns_answer a;
static unsigned char const id[2] = { 0x12, 0x34 };

static unsigned char *wire(char const *text)
{
  static unsigned char w[4][QDNS_NAME_WIRE_MAX];
  static int k;
  k = (k + 1) & 3;
  assert_true(qdns_name_fromtext(w[k], text, strlen(text)) > 0);
  return w[k];
}

static int parse(char const *qname, unsigned qtype)
{
  return qdns_pkt_parse(&a, p.b, p.n, id, wire(qname), qtype, QDNS_CNAME_MAX);
}

static void expect_bad(int r, enum qdns_bad want)
{
  if (r != -1 || a.bad != want)
    fail_msg("got r=%d bad=%s, want -1 bad=%s", r, qdns_pkt_badstr(a.bad), qdns_pkt_badstr(want));
}

/* example.org MX: three records, owner by pointer to the question */
static void build_mx(void)
{
  tp_header(&p, 0x1234, TP_RESPONSE, 1, 3, 0, 0);
  tp_question(&p, "example.org", QDNS_T_MX);
  tp_u16(&p, 0xc00c); tp_rr(&p, QDNS_T_MX, 300, 2 + 4 + 2);
  tp_u16(&p, 20); tp_name(&p, "mx2", 12);
  tp_u16(&p, 0xc00c); tp_rr(&p, QDNS_T_MX, 100, 2 + 4 + 2);
  tp_u16(&p, 10); tp_name(&p, "MX1", 12);
  tp_u16(&p, 0xc00c); tp_rr(&p, QDNS_T_MX, 200, 2 + 4 + 2);
  tp_u16(&p, 10); tp_name(&p, "mx3", 12);
}

static void mx_answer(void **state)
{
  char text[QDNS_NAME_TEXT_MAX + 1];
  (void)state;
  build_mx();
  assert_int_equal(parse("Example.ORG", QDNS_T_MX), 1);
  assert_int_equal(a.result, QDNS_OK);
  assert_int_equal(a.n, 3);
  assert_int_equal(a.ttl, 100);
  assert_int_equal(a.rr[1].pref, 10);
  assert_true(qdns_name_totext(text, a.rr[1].data) > 0);
  assert_string_equal(text, "mx1.example.org");
  /* the transport may have checked the id already */
  p.b[0] = 0x99;
  assert_int_equal(qdns_pkt_parse(&a, p.b, p.n, 0, wire("example.org"), QDNS_T_MX, 8), 1);
}

static void every_prefix_is_refused(void **state)
{
  (void)state;
  build_mx();
  size_t full = p.n;
  for (size_t n = 0; n < full; n++) {
    int r = qdns_pkt_parse(&a, p.b, n, id, wire("example.org"), QDNS_T_MX, 8);
    if (r != -1) fail_msg("prefix of %zu of %zu bytes: got %d, want -1", n, full, r);
  }
}

static void a_and_aaaa(void **state)
{
  static unsigned char const v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
  (void)state;
  tp_header(&p, 0x1234, TP_RESPONSE, 1, 2, 0, 0);
  tp_question(&p, "h.example.org", QDNS_T_A);
  tp_u16(&p, 0xc00c); tp_rr(&p, QDNS_T_A, 60, 4); tp_bytes(&p, "\300\0\2\1", 4);
  tp_u16(&p, 0xc00c); tp_rr(&p, QDNS_T_A, 0x80000001UL, 4); tp_bytes(&p, "\300\0\2\2", 4);
  assert_int_equal(parse("h.example.org", QDNS_T_A), 1);
  assert_int_equal(a.n, 2);
  assert_int_equal(a.ttl, 0);     /* a TTL with the top bit set counts as zero */
  assert_memory_equal(a.rr[0].data, "\300\0\2\1", 4);

  tp_header(&p, 0x1234, TP_RESPONSE, 1, 1, 0, 0);
  tp_question(&p, "h.example.org", QDNS_T_AAAA);
  tp_u16(&p, 0xc00c); tp_rr(&p, QDNS_T_AAAA, 0x7fffffffUL, 16); tp_bytes(&p, v6, 16);
  assert_int_equal(parse("h.example.org", QDNS_T_AAAA), 1);
  assert_int_equal(a.rr[0].len, 16);
  assert_memory_equal(a.rr[0].data, v6, 16);
  assert_int_equal(a.ttl, QDNS_TTL_CAP);
}

static void wrong_rdata_length(void **state)
{
  (void)state;
  tp_header(&p, 0x1234, TP_RESPONSE, 1, 1, 0, 0);
  tp_question(&p, "h.example.org", QDNS_T_A);
  tp_u16(&p, 0xc00c); tp_rr(&p, QDNS_T_A, 60, 5); tp_bytes(&p, "\300\0\2\1\1", 5);
  expect_bad(parse("h.example.org", QDNS_T_A), QDNS_BAD_RDATA);
  /* an MX exchange running past its record */
  tp_header(&p, 0x1234, TP_RESPONSE, 1, 1, 0, 0);
  tp_question(&p, "example.org", QDNS_T_MX);
  tp_u16(&p, 0xc00c); tp_rr(&p, QDNS_T_MX, 60, 4); tp_u16(&p, 1); tp_name(&p, "mx", 0);
  expect_bad(parse("example.org", QDNS_T_MX), QDNS_BAD_RDATA);
  /* record data longer than the packet */
  tp_header(&p, 0x1234, TP_RESPONSE, 1, 1, 0, 0);
  tp_question(&p, "h.example.org", QDNS_T_A);
  tp_u16(&p, 0xc00c); tp_rr(&p, QDNS_T_A, 60, 400); tp_bytes(&p, "\300\0\2\1", 4);
  expect_bad(parse("h.example.org", QDNS_T_A), QDNS_BAD_SHORT);
}

static void mx_exchange_not_a_host(void **state)
{
  (void)state;
  tp_header(&p, 0x1234, TP_RESPONSE, 1, 2, 0, 0);
  tp_question(&p, "example.org", QDNS_T_MX);
  tp_u16(&p, 0xc00c); tp_rr(&p, QDNS_T_MX, 60, 2 + 1 + 4 + 1);
  tp_u16(&p, 5); tp_u8(&p, 4); tp_bytes(&p, "m x\n", 4); tp_u8(&p, 0);
  tp_u16(&p, 0xc00c); tp_rr(&p, QDNS_T_MX, 60, 2 + 4 + 2);
  tp_u16(&p, 7); tp_name(&p, "mx1", 12);
  assert_int_equal(parse("example.org", QDNS_T_MX), 1);
  assert_int_equal(a.n, 1);          /* the one with a space and a LF is dropped */
  assert_int_equal(a.rr[0].pref, 7);
}

static void cname_chain(void **state)
{
  (void)state;
  /* out of order: b -> c first, then a -> b, then c's address */
  tp_header(&p, 0x1234, TP_RESPONSE, 1, 3, 0, 0);
  tp_question(&p, "a.example.org", QDNS_T_A);            /* "a" at 12, example.org at 14 */
  tp_name(&p, "b", 14); tp_rr(&p, QDNS_T_CNAME, 50, 4); tp_name(&p, "c", 14);
  tp_u16(&p, 0xc00c); tp_rr(&p, QDNS_T_CNAME, 40, 4); tp_name(&p, "b", 14);
  tp_name(&p, "c", 14); tp_rr(&p, QDNS_T_A, 300, 4); tp_bytes(&p, "\300\0\2\7", 4);
  assert_int_equal(parse("a.example.org", QDNS_T_A), 1);
  assert_int_equal(a.result, QDNS_OK);
  assert_int_equal(a.cnames, 2);
  assert_int_equal(a.ttl, 40);
  assert_true(qdns_name_equal(a.target, wire("c.example.org")));
  /* the same chain with only one hop left to follow */
  assert_int_equal(qdns_pkt_parse(&a, p.b, p.n, id, wire("a.example.org"), QDNS_T_A, 1), -1);
  assert_int_equal(a.bad, QDNS_BAD_CNAME);
  /* without the address: ask again for the end of the chain */
  tp_header(&p, 0x1234, TP_RESPONSE, 1, 1, 0, 0);
  tp_question(&p, "a.example.org", QDNS_T_A);
  tp_u16(&p, 0xc00c); tp_rr(&p, QDNS_T_CNAME, 40, 4); tp_name(&p, "b", 14);
  assert_int_equal(parse("a.example.org", QDNS_T_A), 1);
  assert_int_equal(a.result, QDNS_FOLLOW);
  assert_true(qdns_name_equal(a.target, wire("b.example.org")));
}

static void cname_loop(void **state)
{
  (void)state;
  tp_header(&p, 0x1234, TP_RESPONSE, 1, 2, 0, 0);
  tp_question(&p, "a.example.org", QDNS_T_A);
  tp_u16(&p, 0xc00c); tp_rr(&p, QDNS_T_CNAME, 40, 4); tp_name(&p, "b", 14);
  tp_name(&p, "b", 14); tp_rr(&p, QDNS_T_CNAME, 40, 2); tp_u16(&p, 0xc00c);
  expect_bad(parse("a.example.org", QDNS_T_A), QDNS_BAD_CNAME);
}

static void negative(void **state)
{
  (void)state;
  /* NXDOMAIN: TTL is the smaller of the SOA's TTL and its MINIMUM */
  tp_header(&p, 0x1234, TP_RESPONSE | 3, 1, 0, 1, 0);
  tp_question(&p, "nx.example.org", QDNS_T_A);
  tp_u16(&p, 0xc000 | 15); tp_rr(&p, QDNS_T_SOA, 900, 2 + 2 + 20);
  tp_u16(&p, 0xc000 | 15); tp_u16(&p, 0xc000 | 15);
  tp_u32(&p, 1); tp_u32(&p, 2); tp_u32(&p, 3); tp_u32(&p, 4); tp_u32(&p, 120);
  assert_int_equal(parse("nx.example.org", QDNS_T_A), 1);
  assert_int_equal(a.result, QDNS_NXDOMAIN);
  assert_int_equal(a.ttl, 120);
  /* NODATA, SOA TTL smaller than MINIMUM */
  p.b[3] = 0x80;
  size_t ttlpos = 12 + 16 + 4 + 2 + 4;
  p.b[ttlpos] = 0; p.b[ttlpos + 1] = 0; p.b[ttlpos + 2] = 0; p.b[ttlpos + 3] = 30;
  assert_int_equal(parse("nx.example.org", QDNS_T_A), 1);
  assert_int_equal(a.result, QDNS_NODATA);
  assert_int_equal(a.ttl, 30);
  /* no SOA: not cached */
  tp_header(&p, 0x1234, TP_RESPONSE | 3, 1, 0, 0, 0);
  tp_question(&p, "nx.example.org", QDNS_T_A);
  assert_int_equal(parse("nx.example.org", QDNS_T_A), 1);
  assert_int_equal(a.result, QDNS_NXDOMAIN);
  assert_int_equal(a.ttl, 0);
  /* a malformed SOA */
  tp_header(&p, 0x1234, TP_RESPONSE | 3, 1, 0, 1, 0);
  tp_question(&p, "nx.example.org", QDNS_T_A);
  tp_u16(&p, 0xc000 | 15); tp_rr(&p, QDNS_T_SOA, 900, 2 + 2 + 8);
  tp_u16(&p, 0xc000 | 15); tp_u16(&p, 0xc000 | 15); tp_u32(&p, 1); tp_u32(&p, 2);
  expect_bad(parse("nx.example.org", QDNS_T_A), QDNS_BAD_RDATA);
}

static void rcodes_and_header(void **state)
{
  static struct { unsigned flags; int r; int result; enum qdns_bad bad; } const cases[] = {
    { 0x8182, 1, QDNS_SERVFAIL, QDNS_BAD_NONE },
    { 0x8185, 1, QDNS_REFUSED, QDNS_BAD_NONE },
    { 0x8184, 1, QDNS_REFUSED, QDNS_BAD_NONE },
    { 0x0180, -1, 0, QDNS_BAD_NOTANSWER },     /* QR clear: a query, not an answer */
    { 0x8980, -1, 0, QDNS_BAD_NOTANSWER },     /* opcode 1 */
    { 0x8380, -1, 0, QDNS_BAD_TRUNC },
  };
  (void)state;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    tp_header(&p, 0x1234, cases[i].flags, 1, 0, 0, 0);
    tp_question(&p, "example.org", QDNS_T_A);
    int r = parse("example.org", QDNS_T_A);
    if (r != cases[i].r || (r > 0 && (int)a.result != cases[i].result) ||
        (r < 0 && a.bad != cases[i].bad))
      fail_msg("flags %04x: got r=%d result=%d bad=%d, want r=%d result=%d bad=%d",
               cases[i].flags, r, a.result, a.bad, cases[i].r, cases[i].result, cases[i].bad);
  }
}

static void wrong_id_and_question(void **state)
{
  (void)state;
  build_mx();
  p.b[1] = 0x35;
  expect_bad(parse("example.org", QDNS_T_MX), QDNS_BAD_ID);
  build_mx();
  expect_bad(parse("example.net", QDNS_T_MX), QDNS_BAD_QUESTION);
  expect_bad(parse("example.org", QDNS_T_A), QDNS_BAD_QUESTION);
  p.b[5] = 2;   /* two questions */
  expect_bad(parse("example.org", QDNS_T_MX), QDNS_BAD_QUESTION);
  p.b[5] = 0;
  expect_bad(parse("example.org", QDNS_T_MX), QDNS_BAD_QUESTION);
  build_mx();
  p.b[12 + 13 + 3] = 3;   /* class CH */
  expect_bad(parse("example.org", QDNS_T_MX), QDNS_BAD_QUESTION);
}

static void compression_attacks(void **state)
{
  unsigned char name[QDNS_NAME_WIRE_MAX];
  size_t next;
  (void)state;
  /* a pointer to itself */
  tp_header(&p, 0x1234, TP_RESPONSE, 1, 0, 0, 0);
  tp_u16(&p, 0xc00c);
  assert_int_equal(qdns_pkt_getname(p.b, p.n, 12, name, &next), -1);
  expect_bad(parse("example.org", QDNS_T_A), QDNS_BAD_NAME);
  /* a pointer forwards */
  tp_header(&p, 0x1234, TP_RESPONSE, 1, 0, 0, 0);
  tp_u16(&p, 0xc00e); tp_name(&p, "x", 0);
  assert_int_equal(qdns_pkt_getname(p.b, p.n, 12, name, &next), -1);
  /* two labels and a pointer back to the first: a loop made of backward steps */
  tp_header(&p, 0x1234, TP_RESPONSE, 1, 0, 0, 0);
  tp_name(&p, "a", 0);                 /* 12: 1 a 0 */
  tp_u8(&p, 1); tp_u8(&p, 'b'); tp_u16(&p, 0xc000 | 17);   /* 15: 1 b -> 17 (itself) */
  assert_int_equal(qdns_pkt_getname(p.b, p.n, 15, name, &next), -1);
  p.n -= 2; tp_u16(&p, 0xc000 | 15);   /* 17 -> 15, which leads back to 17 */
  assert_int_equal(qdns_pkt_getname(p.b, p.n, 15, name, &next), -1);
  assert_int_equal(qdns_pkt_getname(p.b, p.n, 17, name, &next), -1);
  /* a chain of backward pointers, each jumping lower, is fine */
  tp_header(&p, 0x1234, TP_RESPONSE, 1, 0, 0, 0);
  tp_name(&p, "org", 0);               /* 12 */
  tp_name(&p, "example", 12);          /* 17 */
  tp_name(&p, "www", 17);              /* 27 */
  assert_int_equal(qdns_pkt_getname(p.b, p.n, 27, name, &next), 1);
  assert_int_equal(next, p.n);
  assert_true(qdns_name_equal(name, wire("www.example.org")));
  /* extended label types 0x40 and 0x80 */
  tp_header(&p, 0x1234, TP_RESPONSE, 1, 0, 0, 0);
  tp_u8(&p, 0x41); tp_u8(&p, 0);
  assert_int_equal(qdns_pkt_getname(p.b, p.n, 12, name, &next), -1);
  p.b[12] = 0x81;
  assert_int_equal(qdns_pkt_getname(p.b, p.n, 12, name, &next), -1);
  /* a pointer cut in half at the end */
  tp_header(&p, 0x1234, TP_RESPONSE, 1, 0, 0, 0);
  tp_u8(&p, 0xc0);
  assert_int_equal(qdns_pkt_getname(p.b, p.n, 12, name, &next), -1);
}

static void names_over_255(void **state)
{
  unsigned char name[QDNS_NAME_WIRE_MAX];
  char label[64];
  size_t next, start;
  (void)state;
  memset(label, 'a', 63);
  label[63] = 0;
  /* four 63-byte labels: 4 * 64 + 1 = 257 bytes, spelled out */
  tp_header(&p, 0x1234, TP_RESPONSE, 1, 0, 0, 0);
  for (int i = 0; i < 4; i++) { tp_u8(&p, 63); tp_bytes(&p, label, 63); }
  tp_u8(&p, 0);
  assert_int_equal(qdns_pkt_getname(p.b, p.n, 12, name, &next), -1);
  /* three of them and one of 61: exactly 255, the largest legal name */
  p.b[12 + 3 * 64] = 61;
  p.n = 12 + 3 * 64 + 1 + 61;
  tp_u8(&p, 0);
  assert_int_equal(qdns_pkt_getname(p.b, p.n, 12, name, &next), 1);
  assert_int_equal(qdns_name_wirelen(name, 255), 255);
  /* over 255 only through compression: 2 labels, then a pointer to 2 more */
  tp_header(&p, 0x1234, TP_RESPONSE, 1, 0, 0, 0);
  for (int i = 0; i < 2; i++) { tp_u8(&p, 63); tp_bytes(&p, label, 63); }
  tp_u8(&p, 0);
  start = p.n;
  for (int i = 0; i < 2; i++) { tp_u8(&p, 63); tp_bytes(&p, label, 63); }
  tp_u16(&p, 0xc00c);
  assert_int_equal(qdns_pkt_getname(p.b, p.n, start, name, &next), -1);
  /* a label longer than the packet */
  tp_header(&p, 0x1234, TP_RESPONSE, 1, 0, 0, 0);
  tp_u8(&p, 40); tp_bytes(&p, "abc", 3);
  assert_int_equal(qdns_pkt_getname(p.b, p.n, 12, name, &next), -1);
}

static void huge_rrset(void **state)
{
  (void)state;
  tp_header(&p, 0x1234, TP_RESPONSE, 1, 2000, 0, 0);
  tp_question(&p, "big.example.org", QDNS_T_A);
  for (unsigned i = 0; i < 2000; i++) {
    tp_u16(&p, 0xc00c); tp_rr(&p, QDNS_T_A, 300 + i, 4); tp_u32(&p, 0xc0000200u + i);
  }
  assert_int_equal(parse("big.example.org", QDNS_T_A), 1);
  assert_int_equal(a.n, QDNS_RR_MAX);
  assert_int_equal(a.ttl, 300);
  /* a count far larger than the records present */
  p.b[6] = 0xff; p.b[7] = 0xff;
  assert_int_equal(parse("big.example.org", QDNS_T_A), -1);
  /* a count over the section limit, even with the records there */
  tp_header(&p, 0x1234, TP_RESPONSE, 1, QDNS_SECTION_MAX + 1, 0, 0);
  tp_question(&p, "big.example.org", QDNS_T_A);
  for (unsigned i = 0; i < QDNS_SECTION_MAX + 1; i++) {
    tp_u16(&p, 0xc00c); tp_rr(&p, QDNS_T_A, 300, 4); tp_u32(&p, 0xc0000201u);
  }
  expect_bad(parse("big.example.org", QDNS_T_A), QDNS_BAD_SHORT);
}

static void other_owners_ignored(void **state)
{
  (void)state;
  tp_header(&p, 0x1234, TP_RESPONSE, 1, 2, 0, 0);
  tp_question(&p, "h.example.org", QDNS_T_A);
  tp_name(&p, "evil", 14); tp_rr(&p, QDNS_T_A, 60, 4); tp_bytes(&p, "\1\2\3\4", 4);
  tp_u16(&p, 0xc00c); tp_rr(&p, QDNS_T_MX, 60, 2 + 2); tp_u16(&p, 1); tp_u16(&p, 0xc00c);
  assert_int_equal(parse("h.example.org", QDNS_T_A), 1);
  assert_int_equal(a.result, QDNS_NODATA);
  assert_int_equal(a.n, 0);
}

static void null_mx(void **state)
{
  (void)state;
  tp_header(&p, 0x1234, TP_RESPONSE, 1, 1, 0, 0);
  tp_question(&p, "example.org", QDNS_T_MX);
  tp_u16(&p, 0xc00c); tp_rr(&p, QDNS_T_MX, 60, 3); tp_u16(&p, 0); tp_u8(&p, 0);
  assert_int_equal(parse("example.org", QDNS_T_MX), 1);
  assert_int_equal(a.n, 1);
  assert_int_equal(a.rr[0].len, 1);
  assert_int_equal(a.rr[0].data[0], 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(mx_answer),
    cmocka_unit_test(every_prefix_is_refused),
    cmocka_unit_test(a_and_aaaa),
    cmocka_unit_test(wrong_rdata_length),
    cmocka_unit_test(mx_exchange_not_a_host),
    cmocka_unit_test(cname_chain),
    cmocka_unit_test(cname_loop),
    cmocka_unit_test(negative),
    cmocka_unit_test(rcodes_and_header),
    cmocka_unit_test(wrong_id_and_question),
    cmocka_unit_test(compression_attacks),
    cmocka_unit_test(names_over_255),
    cmocka_unit_test(huge_rrset),
    cmocka_unit_test(other_owners_ignored),
    cmocka_unit_test(null_mx),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
