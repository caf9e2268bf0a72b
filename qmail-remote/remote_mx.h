/* Where to connect: from a host name (and its smtproutes entry) to an ordered list
 * of addresses. MX records sorted by preference with a random order among equal
 * ones (the random source is injected); a null MX (RFC 7505) is a permanent
 * failure; no MX means the host's own addresses; addresses at or after the
 * preference of one of our own addresses are dropped (no mail loops to ourselves). */
#ifndef REMOTE_MX_H
#define REMOTE_MX_H

#include <stddef.h>

#include "remote_dns.h"
#include "remote_route.h"

enum remote_plan_result {
  REMOTE_PLAN_OK = 0,
  REMOTE_PLAN_DNSTEMP,      /* Z: a lookup failed temporarily */
  REMOTE_PLAN_NOHOST,       /* D: no such domain */
  REMOTE_PLAN_NOADDR,       /* D: neither MX nor address */
  REMOTE_PLAN_NULLMX,       /* D: the domain says it takes no mail */
  REMOTE_PLAN_SELF          /* D: the best MX is this host */
};

/* Returns a number in [0, n) for n >= 1. */
typedef unsigned long remote_rand_fn(void *ctx, unsigned long n);
/* Is this address one of ours? */
typedef int remote_isself_fn(void *ctx, unsigned char const *ip);

/* Sorts by preference, shuffling each run of equal preferences. */
void remote_mx_order(remote_mx *mx, size_t n, remote_rand_fn *rnd, void *rctx);

/* Drops null MX records; returns how many are left, and sets *null if every
 * record was a null MX. */
size_t remote_mx_dropnull(remote_mx *mx, size_t n, int *null);

/* Keeps the addresses before the first preference holding one of ours; returns
 * how many are left. */
size_t remote_addr_cutself(remote_addr *a, size_t n, remote_isself_fn *isself, void *sctx);

/* Parses an address literal ("1.2.3.4", "2001:db8::1", or either in brackets);
 * 1 and ip filled, 0 not a literal. */
int remote_addr_literal(unsigned char *ip, char const *s);

typedef struct remote_plan {
  remote_addr addr[REMOTE_ADDR_MAX];
  size_t n;
  unsigned int port;
} remote_plan;

/* The whole decision. rt is the smtproutes match or null. */
enum remote_plan_result remote_plan_make(remote_plan *p, char const *host, remote_route const *rt,
  remote_resolver const *res, remote_rand_fn *rnd, void *rctx,
  remote_isself_fn *isself, void *sctx);

#endif
