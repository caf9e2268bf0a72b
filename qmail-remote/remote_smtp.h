/* The SMTP client dialogue on one connection: greeting, EHLO (HELO fallback), one
 * transaction carrying every recipient (pipelined when the server offers it), the
 * body, QUIT; or, on a reused connection, the transaction alone, and no QUIT when
 * the connection is to be kept. All I/O goes through callbacks, so tests drive it
 * with scripted peers.
 * It writes the reports (remote_report.h) and never trusts a byte of the peer's. */
#ifndef REMOTE_SMTP_H
#define REMOTE_SMTP_H

#include <stddef.h>
#include <sys/types.h>
#include <skalibs/stralloc.h>

#include "remote_reply.h"
#include "remote_tls.h"

#define REMOTE_SMTP_ADDR_MAX 1000    /* bytes of one path, quoting included */
#define REMOTE_SMTP_RCPT_MAX 1000    /* recipients of one transaction */
#define REMOTE_SMTP_INBUF 4096

typedef struct remote_io {
  void *ctx;
  /* >0 bytes read, 0 end of stream, -1 error or timeout */
  ssize_t (*read)(void *ctx, char *buf, size_t len);
  /* 1 every byte written, 0 error or timeout */
  int (*write)(void *ctx, char const *buf, size_t len);
  /* the message body: >0 bytes, 0 end, -1 error */
  ssize_t (*body)(void *ctx, char *buf, size_t len);
} remote_io;

enum remote_smtp_result {
  REMOTE_SMTP_DONE,      /* reports written to out */
  REMOTE_SMTP_NEXT,      /* nothing sent; try the next address (reason in next) */
  REMOTE_SMTP_STALE,     /* a reused connection failed before any recipient was
                            taken: nothing delivered, out as it was; connect afresh */
  REMOTE_SMTP_NOMEM
};

typedef struct remote_smtp {
  remote_io io;
  char const *ip;          /* the peer as text, for the reports */
  char const *helohost;
  char const *sender;
  char const *const *rcpt;
  size_t nrcpt;
  unsigned long long size; /* message size to declare with SIZE; 0 = unknown */
  stralloc *out;           /* the reports, on DONE */
  stralloc *next;          /* a 'Z' report saying why this address failed, on NEXT */
  /* TLS (remote_tls.h): the policy, whether qmail-tlsd serves us, the server name
   * for SNI and the check ("" none), and the hand-over: after the 220 to STARTTLS,
   * starttls() gives the connection to the helper and, on success, points io at
   * the plaintext side and fills tlsnote; on failure it puts the reason in tlswhy
   * (the connection is gone either way the handshake went wrong). */
  remote_tlsdest const *tls;
  int tlshelper;
  char const *tlsname;
  int (*starttls)(struct remote_smtp *s);
  char tlsnote[REMOTE_TLS_NOTE_MAX];   /* "" while plaintext */
  char tlswhy[REMOTE_TLS_NOTE_MAX];
  int tlsfailed;           /* NEXT because STARTTLS failed: see remote_tls_fallback */
  /* Reuse (remote_conn.h). reused: the connection comes from an earlier
   * transaction: no greeting, EHLO or STARTTLS; caps and sizemax are what that
   * session learnt. keep: after a final reply to the body on a healthy plaintext
   * session, leave the connection open for the next transaction instead of QUIT;
   * kept says it was. */
  int reused;
  int keep;
  int kept;
  unsigned long sizemax;
  /* filled in while talking, for logs and tests */
  unsigned int caps;
  int pipelined;
  char inbuf[REMOTE_SMTP_INBUF];
  size_t inpos, inlen;
} remote_smtp;

enum remote_smtp_result remote_smtp_run(remote_smtp *s);

/* The path for MAIL/RCPT: "<addr>", its local part quoted when it is not a dot-atom.
 * 1 ok, 0 the address holds a control byte or is too long (it must not be sent). */
int remote_smtp_path(stralloc *sa, char const *addr);

#endif
