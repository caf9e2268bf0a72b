/* Streaming check of the qmail-queue envelope (see queue_envelope.h). Input is the
 * untrusted caller's; every length is bounded before it grows. Pure: no I/O, no
 * allocation, so tests and the fuzzer link it unchanged. */
#include <string.h>

#include "queue_envelope.h"

enum { ST_FIRST, ST_LETTER, ST_ADDR, ST_DONE, ST_BAD };

void queue_env_init(queue_env *e)
{
  memset(e, 0, sizeof *e);
  e->state = ST_FIRST;
}

static int fail(queue_env *e, enum queue_env_error why, size_t i, size_t *used)
{
  e->state = ST_BAD;
  e->error = why;
  *used = i;
  return -1;
}

int queue_env_feed(queue_env *e, char const *s, size_t len, size_t *used)
{
  size_t i = 0;
  if (e->state == ST_DONE || e->state == ST_BAD) {
    *used = 0;
    return e->state == ST_DONE ? 1 : -1;
  }
  while (i < len) {
    size_t room, n;
    char const *z;
    if (e->state != ST_ADDR) {
      /* one byte: F first, then T or the final NUL */
      if (e->total >= QUEUE_ENVELOPE_MAX) return fail(e, QUEUE_ENV_ETOOBIG, i, used);
      if (e->state == ST_LETTER && !s[i]) {
        e->state = ST_DONE;
        e->total++;
        *used = i + 1;
        return 1;
      }
      if (s[i] != (e->state == ST_FIRST ? 'F' : 'T')) return fail(e, QUEUE_ENV_EFORMAT, i, used);
      e->state = ST_ADDR;
      e->addrlen = 0;
      e->total++;
      i++;
      continue;
    }
    /* inside an address: take everything up to its NUL in one step */
    room = len - i;
    z = memchr(s + i, 0, room);
    n = z ? (size_t)(z - (s + i)) : room;
    if (n > QUEUE_ADDR_MAX - e->addrlen)
      return fail(e, QUEUE_ENV_EADDR, i + (QUEUE_ADDR_MAX - e->addrlen), used);
    if (n > QUEUE_ENVELOPE_MAX - e->total)
      return fail(e, QUEUE_ENV_ETOOBIG, i + (QUEUE_ENVELOPE_MAX - e->total), used);
    e->addrlen += n;
    e->total += n;
    i += n;
    if (!z) break;
    if (e->total >= QUEUE_ENVELOPE_MAX) return fail(e, QUEUE_ENV_ETOOBIG, i, used);
    if (e->seen_sender) e->nrcpt++;
    e->seen_sender = 1;
    e->state = ST_LETTER;
    e->total++;
    i++;
  }
  *used = len;
  return 0;
}
