/* smtproutes lookup: which relay (if any) takes mail for a host. Lines are
 * "key:relay[:port]"; a relay may be "[ip]" (an IPv6 literal keeps its colons
 * inside the brackets). Keys tried: the host, each ".suffix" longest first, then
 * the empty key; case ignored; the first line with the key wins. */
#ifndef REMOTE_ROUTE_H
#define REMOTE_ROUTE_H

#include <stddef.h>

#define REMOTE_ROUTE_HOST_MAX 255

typedef struct remote_route {
  char relay[REMOTE_ROUTE_HOST_MAX + 1];   /* empty: deliver by MX */
  unsigned int port;
  int literal;          /* relay was written in brackets: an address, not a name */
} remote_route;

/* list: entries each ended by '\0' (qm_control_parselist), len bytes in all.
 * 1 a line matched (*rt filled), 0 none did, -1 the matching line is malformed. */
int remote_route_find(remote_route *rt, char const *list, size_t len, char const *host);

/* Parses the part after the key ("relay[:port]"); 1 ok, -1 malformed. */
int remote_route_parse(remote_route *rt, char const *s, size_t len);

#endif
