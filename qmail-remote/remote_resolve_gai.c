/* Stopgap resolver until qmail-dns answers over its socket: getaddrinfo for A and
 * AAAA, no MX records at all. Isolated here so that replacing it touches one unit.
 * Trusts the system resolver; copies at most max addresses. */
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "remote_dns.h"

static int gai_mx(void *ctx, char const *domain, remote_mx *out, size_t max, size_t *n)
{
  (void)ctx; (void)domain; (void)out; (void)max;
  *n = 0;
  return REMOTE_DNS_NODATA;
}

static int gai_addrs(void *ctx, char const *name, remote_addr *out, size_t max, size_t *n)
{
  struct addrinfo hints, *res, *ai;
  int e;
  (void)ctx;
  *n = 0;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  e = getaddrinfo(name, 0, &hints, &res);
  if (e == EAI_NONAME) return REMOTE_DNS_NXDOMAIN;
#ifdef EAI_NODATA
  if (e == EAI_NODATA) return REMOTE_DNS_NODATA;
#endif
  if (e) return REMOTE_DNS_TEMP;
  for (ai = res; ai && *n < max; ai = ai->ai_next) {
    remote_addr *a = out + *n;
    a->pref = 0;
    if (ai->ai_family == AF_INET) {
      memset(a->ip, 0, 10);
      a->ip[10] = a->ip[11] = 0xff;
      memcpy(a->ip + 12, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, 4);
    } else if (ai->ai_family == AF_INET6) {
      memcpy(a->ip, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, 16);
    } else continue;
    (*n)++;
  }
  freeaddrinfo(res);
  return *n ? REMOTE_DNS_OK : REMOTE_DNS_NODATA;
}

void remote_resolve_gai(remote_resolver *r)
{
  r->ctx = 0;
  r->mx = gai_mx;
  r->addrs = gai_addrs;
}
