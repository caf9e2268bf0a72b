/* The remote_resolver backed by qmail-dns: turns its answers (lib/qm_dnsclient)
 * into MX lists and address lists. The question itself goes through an injected
 * ask function, so the mapping is tested without a daemon. Trusts the answer's
 * counts only up to QM_DNS_ITEMS_MAX and the caller's max. */
#ifndef REMOTE_RESOLVE_H
#define REMOTE_RESOLVE_H

#include "qm_dnsclient.h"
#include "remote_dns.h"

/* 1 with *a filled, or 0 if no answer could be had (a temporary error). */
typedef int remote_dns_ask_fn(void *ctx, struct qm_dns_answer *a, enum qm_dns_type type, char const *name);

typedef struct remote_dnsctx {
  remote_dns_ask_fn *ask;
  void *actx;
  struct qm_dns_answer a;     /* scratch for one answer */
} remote_dnsctx;

/* MX: K records (a null MX comes through as "."), E no data (the caller falls
 * back to the host's addresses), X no such domain, Z or D or no answer temporary.
 * Addresses: A then AAAA; either family's records are enough, a temporary
 * failure of one family is ignored when the other has records. */
void remote_resolve_dns(remote_resolver *r, remote_dnsctx *d);

#endif
