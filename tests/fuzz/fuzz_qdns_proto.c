/* libFuzzer harness for the qmail-dns request side: the input is what a client
 * sends on the socket; every frame found is parsed as a request, as the daemon
 * does, and the answer for a refused one is framed and decoded back. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../qmail-dns/qdns_proto.h"

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size);

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size)
{
  char const *s = (char const *)data;
  size_t pos = 0, off, plen, used;
  static char out[QDNS_FRAME_MAX];
  while (pos < size) {
    int r = qdns_proto_frame(s + pos, size - pos, QDNS_REQ_MAX, &off, &plen, &used);
    if (r <= 0) break;
    if (plen > QDNS_REQ_MAX || off + plen + 1 != used || used > size - pos) __builtin_trap();
    struct qdns_req q;
    char const *why;
    if (qdns_proto_request(&q, s + pos + off, plen, &why) > 0) {
      if (q.type != QDNS_Q_STATS && qdns_name_wirelen(q.name, QDNS_NAME_WIRE_MAX) != q.namelen)
        __builtin_trap();
    } else {
      size_t n = qdns_proto_fail(out, sizeof out, 'D', why), o2, p2, u2;
      if (!n || qdns_proto_frame(out, n, QDNS_ANSWER_MAX, &o2, &p2, &u2) != 1 || u2 != n)
        __builtin_trap();
    }
    pos += used;
  }
  return 0;
}
