/* lock/tcpto: hosts whose connect timed out recently, so qmail-remote skips them
 * for a while. REMOTE_TCPTO_RECORDS records of REMOTE_TCPTO_RECLEN bytes:
 *   0-15 address (IPv4 v4-mapped), 16 recent timeouts (0-10), 17-23 zero,
 *   24-31 time of the last timeout, unix seconds, big-endian.
 * Pure functions over the file's bytes; the caller reads and writes them under a lock. */
#ifndef REMOTE_TCPTO_H
#define REMOTE_TCPTO_H

#include <stddef.h>
#include <stdint.h>
#include <skalibs/stralloc.h>

#define REMOTE_TCPTO_RECORDS 64
#define REMOTE_TCPTO_RECLEN 32
#define REMOTE_TCPTO_SIZE (REMOTE_TCPTO_RECORDS * REMOTE_TCPTO_RECLEN)
#define REMOTE_TCPTO_COUNT_MAX 10
#define REMOTE_TCPTO_REPEAT 120    /* a timeout this soon after the last is not counted */

typedef struct remote_tcpto_rec {
  unsigned char ip[16];
  unsigned int count;
  uint64_t last;
} remote_tcpto_rec;

/* A short file (len < REMOTE_TCPTO_SIZE) is read as if zero-padded. */
void remote_tcpto_get(remote_tcpto_rec *r, unsigned char const *file, size_t len, unsigned int i);
void remote_tcpto_put(unsigned char *file, unsigned int i, remote_tcpto_rec const *r);

/* Should a connection to ip be skipped now? pid varies the wait per process
 * (64 to 97 minutes), so that not every delivery retries a dead host at once. */
int remote_tcpto_skip(unsigned char const *file, size_t len, unsigned char const *ip,
  uint64_t now, unsigned long pid);

/* Records a connect timeout of ip at now; file has REMOTE_TCPTO_SIZE bytes. */
void remote_tcpto_timedout(unsigned char *file, unsigned char const *ip, uint64_t now);

/* A connection to ip succeeded: forget its timeouts. 1 if the file changed. */
int remote_tcpto_ok(unsigned char *file, unsigned char const *ip);

/* qmail-tcpto's listing: "<ip> timed out <n> seconds ago; # recent timeouts: <k>\n"
 * per record with k >= 1 (a last time after now reads as 0 seconds ago). Appends
 * to sa; 1, or 0 on ENOMEM. */
int remote_tcpto_list(stralloc *sa, unsigned char const *file, size_t len, uint64_t now);

#endif
