/* libFuzzer harness for the DNS answer parser: the input's first byte picks the
 * question type, the next bytes up to a NUL are the question name (dotted), the
 * rest is the packet. Whatever parses is also formatted for the protocol, and each
 * kept record is checked against the limits the parser promises. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../qmail-dns/qdns_pkt.h"
#include "../../qmail-dns/qdns_proto.h"

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size);

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size)
{
  static unsigned const types[4] = { QDNS_T_MX, QDNS_T_A, QDNS_T_AAAA, QDNS_T_CNAME };
  static struct qdns_answer a;
  static char out[QDNS_ANSWER_MAX];
  unsigned char qname[QDNS_NAME_WIRE_MAX];
  uint8_t const *nul;
  size_t namelen;
  if (size < 2) return 0;
  unsigned qtype = types[data[0] & 3];
  nul = memchr(data + 1, 0, size - 1);
  if (!nul) return 0;
  namelen = (size_t)(nul - data - 1);
  if (!qdns_name_fromtext(qname, (char const *)data + 1, namelen)) return 0;
  data = nul + 1;
  size = size - namelen - 2;
  /* the id check both ways: against the packet's own id and not at all */
  int r = qdns_pkt_parse(&a, data, size, size >= 2 ? data : 0, qname, qtype,
                         QDNS_CNAME_MAX);
  if (r < 0) {
    if (a.bad == QDNS_BAD_NONE || a.n) __builtin_trap();
    return 0;
  }
  if (a.n > QDNS_RR_MAX || a.ttl > QDNS_TTL_CAP) __builtin_trap();
  if (!qdns_name_wirelen(a.target, QDNS_NAME_WIRE_MAX)) __builtin_trap();
  for (unsigned i = 0; i < a.n; i++) {
    if (qtype == QDNS_T_A && a.rr[i].len != 4) __builtin_trap();
    if (qtype == QDNS_T_AAAA && a.rr[i].len != 16) __builtin_trap();
    if (qtype == QDNS_T_MX && qdns_name_wirelen(a.rr[i].data, QDNS_NAME_WIRE_MAX) != a.rr[i].len)
      __builtin_trap();
  }
  size_t n = qdns_proto_items(out, sizeof out, &a, qtype);
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)out[i] < ' ' || (unsigned char)out[i] > '~') __builtin_trap();
  return 0;
}
