/* The client protocol of qmail-dns (see qmail-dns/PROTOCOL): netstring frames, a
 * request "TYPE name" or "STATS", an answer "status ttl items" or "status text".
 * The request side trusts nothing: frames and names are length-checked against the
 * limits below before use. Pure functions: no I/O, no allocation. */
#ifndef QDNS_PROTO_H
#define QDNS_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "qdns_name.h"
#include "qdns_pkt.h"

#define QDNS_REQ_MAX 300          /* a request's payload: "AAAA " and a 254-byte name */
#define QDNS_FRAME_DIGITS 5       /* the largest netstring length we accept: 99999 */
#define QDNS_ANSWER_MAX 16384     /* an answer's payload */
#define QDNS_FRAME_MAX (QDNS_ANSWER_MAX + QDNS_FRAME_DIGITS + 2)

enum qdns_qtype { QDNS_Q_MX = 1, QDNS_Q_A, QDNS_Q_AAAA, QDNS_Q_STATS };

struct qdns_req {
  enum qdns_qtype type;
  unsigned char name[QDNS_NAME_WIRE_MAX];   /* wire form, lower case */
  size_t namelen;                            /* 0 for STATS */
};

/* Finds one netstring at the start of buf (len bytes) whose payload is at most max
 * bytes: >0 found (*off, *plen: where the payload is; *used: the frame's length),
 * 0 need more bytes, -1 not a netstring or too long. */
int qdns_proto_frame(char const *buf, size_t len, size_t max,
                     size_t *off, size_t *plen, size_t *used);

/* Parses a request payload. 1 ok; -1 unknown type (*why = "unknown type") or bad
 * name (*why = "invalid domain name"): the caller answers 'D' with *why. */
int qdns_proto_request(struct qdns_req *r, char const *s, size_t len, char const **why);

/* The DNS type number of a request type (0 for STATS). */
unsigned qdns_proto_dnstype(enum qdns_qtype t);

/* Turns a parsed answer into the cached form: a status letter ('K', 'E' or 'X')
 * then the items, each after one space: "10:mx.example.org", "192.0.2.1",
 * "2001:db8::1". MX items are sorted by preference (equal ones keep their order).
 * Returns the length written (at most max), or 0 if a is not a final answer. */
size_t qdns_proto_items(char *out, size_t max, struct qdns_answer const *a, unsigned qtype);

/* Writes the frame of an answer: the status letter value[0], the TTL in decimal
 * (only for K, E and X), then the rest of value. Returns the frame length, or 0 if
 * it does not fit in max bytes. */
size_t qdns_proto_answer(char *out, size_t max, char const *value, size_t vlen, uint32_t ttl);

/* A frame 'Z' or 'D' with text: qdns_proto_answer on the joined value. */
size_t qdns_proto_fail(char *out, size_t max, char status, char const *text);

#endif
