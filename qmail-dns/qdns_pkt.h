/* The answer parser: turns one DNS response packet into the records qmail-dns hands
 * to clients. Trusts nothing in the packet: every offset, count, length, pointer and
 * TTL is checked against the packet end and the limits below before use; the id
 * and question must match what was asked. Never follows a compression pointer
 * forward or in a loop, never builds a name over 255 bytes, keeps at most
 * QDNS_RR_MAX records and never allocates. */
#ifndef QDNS_PKT_H
#define QDNS_PKT_H

#include <stddef.h>
#include <stdint.h>

#include "qdns_name.h"

#define QDNS_PKT_MAX 65535       /* a TCP answer's length prefix cannot say more */
#define QDNS_PTR_MAX 64          /* compression pointers followed in one name */
#define QDNS_RR_MAX 32           /* records kept per answer; the rest are ignored */
#define QDNS_SECTION_MAX 4096    /* records walked per section (a count is 16 bits) */
#define QDNS_CNAME_MAX 8         /* CNAME hops for one question, all queries together */
#define QDNS_TTL_CAP 604800      /* RFC 8767 suggests a week as the sane TTL cap */

#define QDNS_T_A 1
#define QDNS_T_CNAME 5
#define QDNS_T_SOA 6
#define QDNS_T_MX 15
#define QDNS_T_AAAA 28
#define QDNS_C_IN 1

/* What an answer means for the question. */
enum qdns_result {
  QDNS_OK = 1,        /* records of the asked type, in rr[] */
  QDNS_NXDOMAIN,      /* the name (or the end of its CNAME chain) does not exist */
  QDNS_NODATA,        /* the name exists, no record of that type */
  QDNS_FOLLOW,        /* only a CNAME chain, ending at target: ask again for it */
  QDNS_SERVFAIL,      /* the server could not answer (rcode 2) */
  QDNS_REFUSED        /* any other error rcode: REFUSED, NOTIMP, FORMERR ... */
};

/* Why a packet was thrown away. */
enum qdns_bad {
  QDNS_BAD_NONE = 0,
  QDNS_BAD_SHORT,     /* ends inside the header, a name or a record */
  QDNS_BAD_ID,        /* not the id we sent */
  QDNS_BAD_NOTANSWER, /* QR clear, or an opcode we did not send */
  QDNS_BAD_TRUNC,     /* TC set: the caller must ask over TCP */
  QDNS_BAD_QUESTION,  /* not exactly our question */
  QDNS_BAD_NAME,      /* a name with a loop, a forward pointer, over 255 bytes ... */
  QDNS_BAD_RDATA,     /* record data of the wrong size for its type */
  QDNS_BAD_CNAME      /* a CNAME chain longer than QDNS_CNAME_MAX */
};

struct qdns_rr {
  uint16_t pref;                            /* MX only */
  unsigned char len;                        /* 4 (A), 16 (AAAA), wire length (MX) */
  unsigned char data[QDNS_NAME_WIRE_MAX];   /* address, or the MX exchange */
};

struct qdns_answer {
  enum qdns_result result;
  enum qdns_bad bad;
  uint32_t ttl;         /* how long the result may be cached: 0 means not at all */
  unsigned cnames;      /* CNAME hops followed in this packet */
  unsigned char target[QDNS_NAME_WIRE_MAX];  /* end of the CNAME chain (or qname) */
  unsigned n;
  struct qdns_rr rr[QDNS_RR_MAX];
};

/* Parses the response pkt (len bytes) to the question (qname in wire form, qtype),
 * whose id was id[0..1] (or any id when id is null: the transport checked it).
 * cname_budget is how many CNAME hops may still be followed. Returns 1 with *a
 * filled in, or -1 with a->bad saying why the packet is unusable. */
int qdns_pkt_parse(struct qdns_answer *a, unsigned char const *pkt, size_t len,
                   unsigned char const *id, unsigned char const *qname, unsigned qtype,
                   unsigned cname_budget);

/* Reads a possibly compressed name at pos: on success stores it (wire form) in
 * out, sets *next to the first byte after the name in place and returns 1; -1 if
 * the name is malformed, loops, points forward or is over 255 bytes. */
int qdns_pkt_getname(unsigned char const *pkt, size_t len, size_t pos,
                     unsigned char out[QDNS_NAME_WIRE_MAX], size_t *next);

char const *qdns_pkt_badstr(enum qdns_bad b);

#endif
