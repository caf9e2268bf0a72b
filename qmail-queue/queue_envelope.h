/* The qmail-queue envelope as it arrives on fd 1: F<sender>\0, zero or more
 * T<recipient>\0, then one more \0. A streaming checker: it is fed any slicing of
 * the bytes and says where the envelope ends, so the caller can copy the records to
 * intd/N verbatim without holding them. Trusts nothing; keeps no pointer into input. */
#ifndef QUEUE_ENVELOPE_H
#define QUEUE_ENVELOPE_H

#include <stddef.h>

/* qmail-queue(8): an address of more bytes than this is refused with exit 11. */
#define QUEUE_ADDR_MAX 1002
/* The whole envelope, final NUL included. 16 MiB holds some 200,000 recipients of
 * ordinary length; anything bigger is a runaway caller, refused like an overlong
 * address (permanent, exit 11). */
#define QUEUE_ENVELOPE_MAX (16UL << 20)

enum queue_env_error {
  QUEUE_ENV_OK = 0,
  QUEUE_ENV_EFORMAT,   /* first byte not F, or a record not starting with T: exit 91 */
  QUEUE_ENV_EADDR,     /* an address longer than QUEUE_ADDR_MAX: exit 11 */
  QUEUE_ENV_ETOOBIG    /* the envelope longer than QUEUE_ENVELOPE_MAX: exit 11 */
};

typedef struct queue_env_s {
  int state;            /* internal */
  size_t addrlen;       /* bytes of the address being read */
  size_t total;         /* bytes accepted so far */
  size_t nrcpt;         /* complete T records */
  int seen_sender;      /* the F record is complete */
  enum queue_env_error error;
} queue_env;

void queue_env_init(queue_env *e);

/* Feeds len bytes. Returns 1 when the final NUL was accepted: *used is the number of
 * bytes of s that belong to the envelope, that NUL included (bytes after it are not
 * the envelope's and are ignored, as qmail does). Returns 0 when all len bytes were
 * accepted and more are needed (*used = len). Returns -1 when the envelope is invalid
 * (e->error says why; *used = bytes accepted before the fault). Once it returned 1
 * or -1 it keeps returning that with *used = 0. */
int queue_env_feed(queue_env *e, char const *s, size_t len, size_t *used);

#endif
