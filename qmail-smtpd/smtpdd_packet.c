/* The front's packet (smtpdd_packet.h). Trusts nothing of it: every count and
 * length is checked before it is used. */
#include <string.h>

#include "smtpdd_packet.h"

int smtpdd_packet_parse(smtpdd_packet *out, char *p, size_t len)
{
  size_t i;
  if (len < SMTPDD_HEAD || len > SMTPDD_PACKET_MAX || p[0] != SMTPDD_HELLO) return 0;
  memcpy(out->limit, p + 1, sizeof out->limit);
  out->envc = 0;
  p += SMTPDD_HEAD;
  len -= SMTPDD_HEAD;
  if (len && p[len - 1]) return 0;
  for (i = 0; i < len; ) {
    size_t n = strlen(p + i);
    char const *eq = memchr(p + i, '=', n);
    if (!eq || eq == p + i || out->envc >= SMTPDD_ENVC_MAX) return 0;
    out->env[out->envc++] = p + i;
    i += n + 1;
  }
  out->env[out->envc] = 0;
  return 1;
}
