/* Parses DNS server lists. The text is the administrator's, but still bounded: a
 * line is looked at only up to QDNS_SERVERS_LINE_MAX bytes and an address only if
 * inet_pton accepts all of it. Never writes past the 256-byte server block. */
#include <string.h>
#include <arpa/inet.h>

#include "qdns_servers.h"

static int space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/* One address, text of n bytes, into a 16-byte slot; 1 ok, 0 not an address. */
static int addr(char slot[16], char const *s, size_t n)
{
  char buf[64];
  unsigned char v4[4];
  if (!n || n >= sizeof buf) return 0;
  memcpy(buf, s, n);
  buf[n] = 0;
  if (inet_pton(AF_INET, buf, v4) == 1) {
    memset(slot, 0, 10);
    slot[10] = slot[11] = (char)0xff;
    memcpy(slot + 12, v4, 4);
    return 1;
  }
  if (inet_pton(AF_INET6, buf, slot) == 1) {
    static char const zero[16];
    return memcmp(slot, zero, 16) != 0;   /* "::" would mean "no server" */
  }
  return 0;
}

unsigned qdns_servers_parse(char out[QDNS_SERVERS_BYTES], char const *text, size_t len,
                            int resolvconf)
{
  unsigned n = 0;
  size_t i = 0;
  memset(out, 0, QDNS_SERVERS_BYTES);
  while (i < len && n < QDNS_SERVERS_MAX) {
    size_t end = i, a, b;
    while (end < len && text[end] != '\n') end++;
    size_t next = end < len ? end + 1 : end;
    if (end - i > QDNS_SERVERS_LINE_MAX) { i = next; continue; }
    a = i;
    while (a < end && space(text[a])) a++;
    if (resolvconf) {
      if (end - a < 11 || memcmp(text + a, "nameserver", 10) || !space(text[a + 10])) {
        i = next;
        continue;
      }
      a += 10;
      while (a < end && space(text[a])) a++;
    }
    b = a;
    while (b < end && !space(text[b]) && text[b] != '#' && text[b] != ';') b++;
    if (b > a && addr(out + 16 * n, text + a, b - a)) n++;
    i = next;
  }
  if (n < QDNS_SERVERS_MAX) memset(out + 16 * n, 0, QDNS_SERVERS_BYTES - 16 * n);
  return n;
}
