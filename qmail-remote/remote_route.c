/* smtproutes matching. The list comes from a control file the administrator
 * wrote, the host from the envelope (so from anyone): the host is only compared,
 * never copied; relay names and ports are length- and range-checked. */
#include <string.h>
#include <strings.h>

#include "remote_route.h"

int remote_route_parse(remote_route *rt, char const *s, size_t len)
{
  size_t i = 0, n;
  unsigned long port = 25;
  rt->literal = 0;
  if (len && s[0] == '[') {
    char const *e = memchr(s, ']', len);
    if (!e) return -1;
    n = (size_t)(e - s) + 1;
    rt->literal = 1;
  } else {
    char const *e = memchr(s, ':', len);
    n = e ? (size_t)(e - s) : len;
  }
  if (n > REMOTE_ROUTE_HOST_MAX || memchr(s, 0, n)) return -1;
  if (rt->literal) {
    if (n < 3) return -1;
    memcpy(rt->relay, s + 1, n - 2);
    rt->relay[n - 2] = 0;
  } else {
    memcpy(rt->relay, s, n);
    rt->relay[n] = 0;
  }
  i = n;
  if (i < len) {
    if (s[i] != ':' || i + 1 == len) return -1;
    port = 0;
    for (i++; i < len; i++) {
      if (s[i] < '0' || s[i] > '9') return -1;
      port = port * 10 + (unsigned long)(s[i] - '0');
      if (port > 65535) return -1;
    }
    if (!port) return -1;
  }
  rt->port = (unsigned int)port;
  return 1;
}

/* Looks for a line whose key is exactly key (klen bytes, any case). */
static int lookup(remote_route *rt, char const *list, size_t len, char const *key, size_t klen)
{
  size_t at = 0;
  while (at < len) {
    char const *e = memchr(list + at, 0, len - at);
    size_t l = e ? (size_t)(e - (list + at)) : len - at;
    char const *line = list + at;
    at += l + 1;
    if (l > klen && line[klen] == ':' && !strncasecmp(line, key, klen))
      return remote_route_parse(rt, line + klen + 1, l - klen - 1);
  }
  return 0;
}

int remote_route_find(remote_route *rt, char const *list, size_t len, char const *host)
{
  size_t hl = strlen(host), i;
  int r;
  if (memchr(host, ':', hl)) hl = 0;    /* never a key: only the default route */
  if (hl) {
    r = lookup(rt, list, len, host, hl);
    if (r) return r;
  }
  for (i = 0; i < hl; i++) {
    if (host[i] != '.') continue;
    r = lookup(rt, list, len, host + i, hl - i);
    if (r) return r;
  }
  return lookup(rt, list, len, "", 0);
}
