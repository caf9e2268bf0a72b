/* One question in flight: asks the servers through libowfat's dns_transmit (UDP,
 * then TCP when the answer is truncated), parses each answer with qdns_pkt,
 * follows CNAME chains across queries up to QDNS_CNAME_MAX hops, and gives up at
 * its own deadline. Ends with a cacheable value ('K', 'E', 'X' and items) or a
 * temporary failure text. Trusts no answer; never blocks. */
#ifndef QDNS_LOOKUP_H
#define QDNS_LOOKUP_H

#include <stddef.h>
#include <stdint.h>
#include <dns.h>      /* libowfat: struct dns_transmit, iopause_fd, struct taia */

#include "qdns_name.h"
#include "qdns_pkt.h"
#include "qdns_proto.h"

struct qdns_lookup {
  unsigned qtype;                              /* DNS type number */
  unsigned char qname[QDNS_NAME_WIRE_MAX];     /* the name being asked now */
  unsigned hops;                               /* CNAME hops so far */
  uint32_t ttl;                                /* smallest TTL met on the way */
  int havettl;
  struct dns_transmit tx;
  struct taia deadline;                        /* the whole question's */
  char const *servers;                         /* QDNS_SERVERS_BYTES, not owned */
  unsigned nservers;
  unsigned refusals;                           /* SERVFAIL or REFUSED answers seen */
  unsigned queries;                            /* packets asked for, for statistics */
  /* the outcome, once qdns_lookup_step returned 1 */
  char value[QDNS_ANSWER_MAX];                 /* "K..." / "E" / "X", or a Z text */
  size_t vlen;
  int temporary;                               /* 1: value is a failure text */
  uint32_t finalttl;
};

/* Starts asking qname (wire form) for qtype of the nservers servers; timeout in
 * seconds from now. 1 started, 0 failed at once (the outcome is then already set:
 * temporary). */
int qdns_lookup_start(struct qdns_lookup *l, char const *servers, unsigned nservers,
                      unsigned qtype,
                      unsigned char const *qname, unsigned timeout, struct taia const *now);

/* Fills x for iopause and lowers *deadline to when the lookup next needs a turn. */
void qdns_lookup_io(struct qdns_lookup *l, iopause_fd *x, struct taia *deadline);

/* Gives the lookup its turn after iopause: 0 still running, 1 finished (value,
 * vlen, temporary and finalttl set; the transmit is freed). */
int qdns_lookup_step(struct qdns_lookup *l, iopause_fd const *x, struct taia const *now);

/* Frees whatever the lookup still holds. */
void qdns_lookup_free(struct qdns_lookup *l);

#endif
