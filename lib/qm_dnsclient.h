/* The client side of qmail-dns's protocol (qmail-dns/PROTOCOL), for qmail-remote
 * and qmail-smtpd: connect to the daemon's socket, ask MX, A or AAAA questions,
 * parse the answers. Trusts nothing the daemon sends: frames and items are
 * checked against the limits below. Links skalibs, never libowfat. Any failure to
 * get an answer is the caller's temporary DNS error. */
#ifndef QM_DNSCLIENT_H
#define QM_DNSCLIENT_H

#include <stddef.h>
#include <skalibs/tai.h>

#include "qm_conf.h"

#define QM_DNS_SOCKET QM_HOME "/dns/socket"
#define QM_DNS_ITEMS_MAX 32          /* the daemon never sends more records */
#define QM_DNS_HOST_MAX 254          /* dotted, no final dot */
#define QM_DNS_TEXT_MAX 255          /* a Z or D reason, kept printable */
#define QM_DNS_ANSWER_MAX 16384      /* an answer's payload */
#define QM_DNS_FRAME_MAX (QM_DNS_ANSWER_MAX + 7)

enum qm_dns_type { QM_DNS_MX = 1, QM_DNS_A, QM_DNS_AAAA };

struct qm_dns_mx {
  unsigned pref;
  char host[QM_DNS_HOST_MAX + 1];    /* "." is the null MX of RFC 7505 */
};

struct qm_dns_answer {
  char status;    /* 'K' records, 'E' none of that type, 'X' no such domain (both
                     permanent), 'Z' temporary failure, 'D' request refused */
  unsigned long ttl;
  unsigned n;
  struct qm_dns_mx mx[QM_DNS_ITEMS_MAX];     /* MX, by ascending preference */
  char ip[QM_DNS_ITEMS_MAX][16];             /* A (first 4 bytes) or AAAA */
  char text[QM_DNS_TEXT_MAX + 1];            /* Z and D */
};

typedef struct qm_dnsclient_s {
  int fd;
  size_t len;                                /* bytes in buf */
  char buf[QM_DNS_FRAME_MAX];
} qm_dnsclient;

/* Pure codec. qm_dnsclient_frame: one netstring at buf with payload at most max:
 * >0 found (payload at *off, *plen bytes; frame *used bytes), 0 need more, -1
 * invalid. qm_dnsclient_request: the frame asking name for type into out; its
 * length, or 0 if name is empty, too long or holds a space or control byte.
 * qm_dnsclient_parse: an answer payload for type; 1 ok, -1 malformed. */
int qm_dnsclient_frame(char const *buf, size_t len, size_t max,
                       size_t *off, size_t *plen, size_t *used);
size_t qm_dnsclient_request(char *out, size_t max, enum qm_dns_type type, char const *name);
int qm_dnsclient_parse(struct qm_dns_answer *a, enum qm_dns_type type,
                       char const *s, size_t len);

/* Connection. Each returns 1, or 0 with errno set (ETIMEDOUT at the deadline,
 * EPROTO for a malformed answer); after a 0 from ask or stats, close and reopen. */
int qm_dnsclient_open(qm_dnsclient *c, char const *path, tain const *deadline);
int qm_dnsclient_ask(qm_dnsclient *c, struct qm_dns_answer *a, enum qm_dns_type type,
                     char const *name, tain const *deadline);
/* The daemon's counters: a NUL-terminated "S key=value ..." line in out. */
int qm_dnsclient_stats(qm_dnsclient *c, char *out, size_t max, tain const *deadline);
void qm_dnsclient_close(qm_dnsclient *c);

#endif
