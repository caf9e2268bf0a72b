/* The resolver as qmail-remote sees it: MX records of a domain and the addresses
 * of a name. remote_resolve.c plugs the qmail-dns client (lib/qm_dnsclient) in
 * here; tests plug in tables. Everything else in qmail-remote reaches DNS only
 * through this table. */
#ifndef REMOTE_DNS_H
#define REMOTE_DNS_H

#include <stddef.h>

#define REMOTE_DNS_NAME_MAX 255
#define REMOTE_MX_MAX 32         /* MX records used per domain */
#define REMOTE_ADDR_MAX 64       /* addresses tried per delivery */

enum remote_dns_status {
  REMOTE_DNS_OK = 1,
  REMOTE_DNS_NODATA = 0,       /* the name exists without such records */
  REMOTE_DNS_TEMP = -1,        /* try again later */
  REMOTE_DNS_NXDOMAIN = -2     /* no such name */
};

typedef struct remote_mx {
  unsigned int pref;
  char name[REMOTE_DNS_NAME_MAX + 1];   /* "" or "." for a null MX (RFC 7505) */
} remote_mx;

/* An address is 16 bytes; IPv4 is held v4-mapped (::ffff:a.b.c.d). */
typedef struct remote_addr {
  unsigned int pref;
  unsigned char ip[16];
  char name[REMOTE_DNS_NAME_MAX + 1];   /* the host it belongs to ("" for a literal),
                                           set by remote_plan_make for the TLS name check */
} remote_addr;

typedef struct remote_resolver {
  void *ctx;
  /* at most max records into out, *n set; returns an enum remote_dns_status */
  int (*mx)(void *ctx, char const *domain, remote_mx *out, size_t max, size_t *n);
  /* A and AAAA records of name, at most max, into out (pref left to the caller) */
  int (*addrs)(void *ctx, char const *name, remote_addr *out, size_t max, size_t *n);
} remote_resolver;

#endif
