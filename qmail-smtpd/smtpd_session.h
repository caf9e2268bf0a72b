/* The SMTP server session as a pure state machine: bytes from the client in, reply
 * lines out through a callback, lookups and the queue behind callbacks. It trusts
 * nothing from the client and holds at most one command line and one envelope in
 * memory; message bytes go straight through to the queue callback. It never does
 * I/O of its own, never exits, and never reads a clock except through ops->now. */
#ifndef SMTPD_SESSION_H
#define SMTPD_SESSION_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <skalibs/stralloc.h>

#include "qm_addr.h"
#include "qm_qq.h"
#include "smtpd_auth.h"

#define SMTPD_LINE_MAX 2048       /* command line with its CRLF (RFC 5321 asks >= 512) */
#define SMTPD_DISCARD_MAX 16384   /* an overlong line is skipped up to this, then drop */
#define SMTPD_ERRORS_MAX 10       /* syntax errors and unknown commands before 421 */
#define SMTPD_HELO_MAX 255        /* HELO/EHLO argument */
#define SMTPD_RCPT_DEFAULT 1000   /* control/maxrcpt when absent */
#define SMTPD_RCPT_MIN 100        /* RFC 5321 4.5.3.1.8: at least 100 must be accepted */
#define SMTPD_RCPT_MAX 100000     /* a maxrcpt above this is taken as this */
#define SMTPD_HOPS_MAX 100        /* Received + Delivered-To lines that mean a loop */
#define SMTPD_FIELDNAME_MAX 16    /* enough of a header field name to tell those two */
#define SMTPD_CHUNK 8192          /* message bytes handed to the queue at once */
#define SMTPD_REPLY_MAX 1024      /* one reply line */
#define SMTPD_EHLO_EXTRA_MAX 8    /* extension lines a later layer may add */
#define SMTPD_TLSFIELD_MAX 64     /* TLS protocol or cipher name as reported */
#define SMTPD_AUTH_FAILS_MAX 3    /* failed AUTH attempts before 421 */

typedef struct smtpd_session_s smtpd_session;

typedef struct smtpd_ops_s {
  void *ctx;
  /* Client-bound bytes (whole reply lines with CRLF); the caller buffers them and
   * flushes before it waits for input (PIPELINING). 1 ok, 0 the client is gone. */
  int (*reply)(void *ctx, char const *s, size_t len);
  /* One log line without newline (already sanitized). May be null. */
  void (*log)(void *ctx, char const *line);
  time_t (*now)(void *ctx);
  /* Is mail for this domain (lowercase) accepted from a non-relay client?
   * 1 yes, 0 no, -1 temporary failure. */
  int (*rcpthost)(void *ctx, char const *domain);
  /* Is the address (as given) listed in badmailfrom / badrcptto? 1 yes, 0 no, -1 error. */
  int (*badmailfrom)(void *ctx, char const *addr);
  int (*badrcptto)(void *ctx, char const *addr);
  /* Would a local address be delivered? 1 yes (or not ours to say), 0 no such
   * mailbox, -1 temporary failure. May be null: everything passes. */
  int (*rcptcheck)(void *ctx, char const *addr);
  /* The queue. start: 1 running, 0 could not start. put: 1 ok, 0 the queue failed
   * (the session keeps reading and reports the outcome of finish). finish fills st
   * and *qp (queue process id, for the reply). abort kills and reaps. */
  int (*qq_start)(void *ctx);
  int (*qq_put)(void *ctx, char const *s, size_t len);
  int (*qq_finish)(void *ctx, char const *sender, char const *const *rcpts, size_t n,
                   qm_qq_status *st, unsigned long *qp);
  void (*qq_abort)(void *ctx);
  /* A verb the session does not know (STARTTLS, AUTH, ...): 1 handled (it replied),
   * 0 unknown. May be null. */
  int (*extcmd)(void *ctx, smtpd_session *s, char const *verb, char const *arg, size_t arglen);
  /* STARTTLS (cfg->tls): "220 Ready" is in the reply buffer. Send it, have the TLS
   * helper switch, fill proto and cipher (SMTPD_TLSFIELD_MAX + 1 bytes each). 1 TLS
   * is up, 0 it failed: the session ends. */
  int (*starttls)(void *ctx, char *proto, char *cipher);
  /* A STARTTLS was refused: send the reply, let the helper release what it holds. */
  void (*tlsplain)(void *ctx);
  /* AUTH: checks user and password (checkpassword). 1 right, 0 wrong, -1 could not
   * check. The session wipes the password after the call. */
  int (*checkpw)(void *ctx, char const *user, char const *pass, size_t passlen);
  /* Submission: may this authenticated user use this envelope sender (as given,
   * "" for <>)? 1 yes, 0 no, -1 temporary failure. */
  int (*senderok)(void *ctx, char const *user, char const *sender);
  /* Is this address one of this host's own? ip holds 4 bytes (family 4) or 16
   * (family 6; an IPv4-mapped address arrives as family 4). 1 yes, 0 no, -1 the
   * host's addresses could not be listed. May be null: no literal is ours. */
  int (*ownip)(void *ctx, unsigned char const *ip, int family);
} smtpd_ops;

typedef struct smtpd_config_s {
  char const *greeting;       /* smtpgreeting, else me */
  char const *localhost;      /* "by" in Received: TCPLOCALHOST, TCPLOCALIP, "unknown" */
  char const *remoteip;       /* TCPREMOTEIP or "unknown" */
  char const *remotehost;     /* TCPREMOTEHOST or "unknown" */
  char const *remoteinfo;     /* TCPREMOTEINFO or 0 */
  char const *relayclient;    /* RELAYCLIENT: 0 unset, else appended to every RCPT */
  char const *localiphost;    /* box@[own IP] becomes box@this; 0: literals stay */
  uint64_t databytes;         /* 0: no limit */
  unsigned long maxrcpt;      /* taken into [SMTPD_RCPT_MIN, SMTPD_RCPT_MAX] */
  char const *ehlo_extra[SMTPD_EHLO_EXTRA_MAX];   /* more EHLO keywords, 0-ended */
  int tls;                    /* a TLS helper is in front: STARTTLS can be offered */
  int tlsrequired;            /* MAIL before TLS is refused (530) */
  int submission;             /* AUTH after TLS; MAIL needs AUTH; AUTH users relay */
} smtpd_config;

enum smtpd_phase { SMTPD_CMD, SMTPD_DATA, SMTPD_CLOSED };

struct smtpd_session_s {
  smtpd_config const *cfg;
  smtpd_ops const *ops;
  enum smtpd_phase phase;
  unsigned long maxrcpt;
  unsigned errors;
  /* command line being read */
  char line[SMTPD_LINE_MAX + 1];
  size_t linelen;
  size_t discard;             /* bytes skipped of an overlong line; 0 when not */
  int dropinput;              /* after STARTTLS: the rest of this input is plaintext */
  /* TLS and AUTH */
  int tls;                    /* the session runs over TLS */
  char tlsproto[SMTPD_TLSFIELD_MAX + 1];
  char tlscipher[SMTPD_TLSFIELD_MAX + 1];
  int authstate;              /* 0, or the AUTH response awaited */
  unsigned authfails;
  char authuser[SMTPD_AUTH_USER_MAX + 1];   /* "" until AUTH succeeded */
  smtpd_authcred cred;        /* LOGIN between its two steps; wiped after use */
  /* HELO state */
  int helo;                   /* 0 none, 1 HELO, 2 EHLO */
  char heloname[SMTPD_HELO_MAX + 1];
  /* transaction */
  int mail;
  int utf8;                   /* SMTPUTF8 given on MAIL */
  char sender[QM_ADDR_PATH_MAX + 1];
  stralloc rcpts;             /* each recipient NUL-terminated */
  size_t nrcpt;
  /* DATA */
  int dstate;
  int qq;                     /* the queue is running */
  int qqfailed;               /* a put failed: stop sending, report finish */
  int bad;                    /* bare CR or LF seen */
  int toobig;
  int inheader;
  unsigned hops;
  char field[SMTPD_FIELDNAME_MAX + 1];
  size_t fieldlen;            /* bytes of this header line's name; > MAX: not a hop */
  int fieldstate;             /* 0 reading the name, 1 past it */
  uint64_t bytes;             /* stored message bytes */
  char chunk[SMTPD_CHUNK];
  size_t chunklen;
};

/* Sets the session up (cfg and ops must outlive it) and sends the greeting.
 * Returns 1, or 0 if the reply callback failed. */
int smtpd_session_start(smtpd_session *s, smtpd_config const *cfg, smtpd_ops const *ops);
/* Feeds client bytes. 1: go on reading; 0: the session is over (QUIT, too many
 * errors, client gone): the caller flushes its replies and closes. */
int smtpd_session_input(smtpd_session *s, char const *buf, size_t len);
/* The client closed (timeout 0) or timed out: SMTPD_END_TIMEOUT, one read or write
 * took too long; SMTPD_END_SESSIONTIME, the whole session did (a 421 is sent first
 * in both cases). Kills a running queue so that nothing half-received is queued. */
#define SMTPD_END_TIMEOUT 1
#define SMTPD_END_SESSIONTIME 2
void smtpd_session_end(smtpd_session *s, int timeout);
void smtpd_session_free(smtpd_session *s);
/* The connection runs over TLS from the start (implicit TLS, port 465): call after
 * smtpd_session_start, before input. Values are copied, capped and sanitized. */
void smtpd_session_tls(smtpd_session *s, char const *proto, char const *cipher);
/* Sends one reply line (CRLF added); for ops->extcmd. 1 ok, 0 client gone. */
int smtpd_session_reply(smtpd_session *s, char const *line);

/* Pure helpers, exposed for tests. */
/* The contents of an address literal ("a.b.c.d" or "IPv6:..." in any case, no
 * brackets) to bytes in ip: 4 (4 bytes, also for an IPv4-mapped IPv6 address),
 * 6 (16 bytes), or 0 if it is not a valid address. */
int smtpd_ip_parse(unsigned char ip[16], char const *s, size_t len);
/* Characters outside A-Za-z0-9.@%+/=:-[] become '?', at most max bytes kept. */
size_t smtpd_sanitize(char *out, size_t max, char const *in);
/* "d Mon yyyy hh:mm:ss -0000" for t in UTC; returns the length (< 40). */
size_t smtpd_date(char *out, time_t t);
/* The Received line of qmail's form, with "with <proto>", into out (NUL-ended);
 * returns its length. tls ("PROTO CIPHER") and authuser, when not null, add the
 * comments "(PROTO CIPHER)" and "(authenticated as USER)" after the protocol. */
size_t smtpd_received(char *out, size_t max, smtpd_config const *cfg, char const *helo,
                      char const *proto, char const *tls, char const *authuser, time_t t);

#endif
