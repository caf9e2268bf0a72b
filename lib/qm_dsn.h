/* Bounce and delay notices as RFC 3464 multipart/report messages: a readable part,
 * a message/delivery-status part and the original's headers (or a copy cut at
 * bouncemaxbytes). Pure: the original comes in through a read callback and the
 * notice goes out through a write callback, so the caller streams queue/mess.
 * Every byte that came from outside (addresses, remote replies, the original) is
 * treated as hostile: the output never has a line over 998 bytes, a CR, a control
 * byte in a header, or a line that could end the MIME structure early. */
#ifndef QM_DSN_H
#define QM_DSN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include <skalibs/buffer.h>

#define QM_DSN_RCPT_MAX 100000     /* recipients in one notice */
#define QM_DSN_ADDR_MAX 900        /* an address as written, after encoding */
#define QM_DSN_HOST_MAX 255        /* Reporting-MTA, Remote-MTA */
#define QM_DSN_DIAG_MAX 1000       /* Diagnostic-Code text kept, after cleaning */
#define QM_DSN_HEADER_MAX 65536    /* header of the original read ahead */
#define QM_DSN_LINE_MAX 998        /* RFC 5322 hard limit, without the LF */
#define QM_DSN_HUMAN_LIST_MAX 50   /* recipients spelled out in the readable part */
#define QM_DSN_STATUS_MAX 16       /* "5.123.123" and a NUL fit */
#define QM_DSN_SIZE_UNKNOWN UINT64_MAX

enum qm_dsn_kind {
  QM_DSN_FAILURE = 1,   /* to the sender: these recipients failed for good */
  QM_DSN_DELAY,         /* to the sender: still trying */
  QM_DSN_DOUBLE         /* to doublebounceto: a bounce to the sender failed */
};

enum qm_dsn_action { QM_DSN_FAILED = 1, QM_DSN_DELAYED };

typedef struct qm_dsn_rcpt_s {
  char const *addr;        /* final recipient, as in the envelope (may be 8-bit) */
  size_t addrlen;
  int action;              /* QM_DSN_FAILED or QM_DSN_DELAYED */
  char const *status;      /* "5.1.1", or 0: taken from diag, else 5.0.0 / 4.0.0 */
  char const *remote_mta;  /* host name or IP of the server that answered, or 0 */
  char const *diag;        /* the delivery report text, or 0 */
  size_t diaglen;
} qm_dsn_rcpt;

typedef struct qm_dsn_s {
  int kind;                /* enum qm_dsn_kind */
  char const *mta;         /* bouncehost: Reporting-MTA and the Message-ID's host */
  char const *from;        /* bouncefrom@bouncehost */
  char const *to;          /* who gets the notice (sender, or doublebounceto) */
  char const *sender;      /* the original's envelope sender, "" for <> */
  time_t arrival;          /* when the original was queued */
  time_t now;              /* Date:, and the delay the readable part states */
  time_t retry_until;      /* delay notices: when the queue gives up (birth+lifetime) */
  uint64_t id;             /* the original's queue id: Message-ID, boundary */
  uint64_t salt;           /* anything the caller has that varies (pid, random) */
  uint64_t orig_size;      /* bytes of the original, or QM_DSN_SIZE_UNKNOWN */
  size_t maxbytes;         /* body bytes returned; 0: headers only */
  qm_dsn_rcpt const *rcpt;
  size_t nrcpt;
} qm_dsn;

/* Writes s[0..n); returns 1, or 0 with errno set. */
typedef int qm_dsn_put_fn(void *ctx, char const *s, size_t n);
/* Reads up to n bytes of the original into s; returns the count, 0 at its end,
 * -1 with errno set. */
typedef ssize_t qm_dsn_get_fn(void *ctx, char *s, size_t n);

/* Writes the whole notice. get may be 0 for "no original" (empty copy).
 * Returns 1, or 0 with errno: EINVAL for a description that cannot make a valid
 * notice (no recipient, no To, too many recipients, unknown kind or action),
 * ENOMEM, or what a callback set. After 0 the output is incomplete: discard it. */
int qm_dsn_write(qm_dsn const *d, qm_dsn_put_fn *put, void *putctx,
                 qm_dsn_get_fn *get, void *getctx);
/* The same into a skalibs buffer (not flushed at the end). */
int qm_dsn_write_buffer(qm_dsn const *d, buffer *out, qm_dsn_get_fn *get, void *getctx);
/* A qm_dsn_get_fn reading from a skalibs buffer given as ctx. */
ssize_t qm_dsn_get_buffer(void *ctx, char *s, size_t n);

/* The enhanced status code for a report text: the first "(#c.s.d)" as qmail
 * writes it, else one after an SMTP reply code ("550 5.1.1", "451-4.7.1"); its
 * class must fit the action (failed: 4 or 5, an expired deferral keeps its 4;
 * delayed: 4), else the default 5.0.0 / 4.0.0. out gets at most
 * QM_DSN_STATUS_MAX bytes with a NUL; returns its length. */
size_t qm_dsn_status(char *out, char const *text, size_t len, int action);

/* Whom a notice about a message with this envelope sender goes to. */
enum qm_dsn_route {
  QM_DSN_TO_SENDER = 1,   /* a failure or delay notice to the sender */
  QM_DSN_TO_POSTMASTER,   /* null sender: a double bounce to doublebounceto */
  QM_DSN_DROP             /* a double bounce itself failed: log and drop */
};
/* sender: the envelope sender as queued ("" for <>, "#@[]" for a double bounce).
 * For QM_DSN_TO_SENDER, *rlen gets the length of the address to write to: a VERP
 * sender "pre@host-@[]" bounces to "pre@host". */
int qm_dsn_route(char const *sender, size_t len, size_t *rlen);

/* Whether a delay notice is due now: delaywarning seconds (0: never) have passed
 * since arrival, none was sent yet, and the sender is neither <> nor a double
 * bounce. 1 yes, 0 no. */
int qm_dsn_delay_due(char const *sender, size_t len, time_t arrival, time_t now,
                     unsigned long delaywarning, int already_sent);

#endif
