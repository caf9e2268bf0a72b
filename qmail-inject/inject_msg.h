/* The message decisions of qmail-inject, apart from any I/O: which header fields are
 * rewritten, dropped or kept; which fields are added; the recipients (arguments,
 * To/Cc/Bcc/Apparently-To, or the Resent- ones for a resent message); and the
 * envelope sender (-f, Return-Path, or the one built from the environment). */
#ifndef INJECT_MSG_H
#define INJECT_MSG_H

#include <stddef.h>
#include <time.h>
#include <skalibs/stralloc.h>

#include "qm_header.h"
#include "inject_addr.h"
#include "inject_alist.h"

#define INJECT_RCPT_MAX 100000                /* recipients of one message */
#define INJECT_HEAD_OUT_MAX (4UL * 1024 * 1024) /* the header as written, after rewriting */

/* QMAILINJECT letters */
#define INJECT_F_NAMECOMMENT 1    /* c: From: user@host (Name) */
#define INJECT_F_DELFROM 2        /* f: drop the incoming From */
#define INJECT_F_DELMSGID 4       /* i: drop the incoming Message-ID */
#define INJECT_F_DELRP 8          /* s: drop the incoming Return-Path, do not use it */
#define INJECT_F_VERPRCPT 16      /* r: per-recipient VERP */
#define INJECT_F_VERPMSG 32       /* m: per-message VERP */

typedef struct inject_cfg_s {
  inject_rw const *rw;
  char const *idhost;
  unsigned flags;
  int header_rcpts;         /* take recipients from the header (-h, -H, -A without args) */
  char const *user;         /* QMAILUSER, MAILUSER, USER, LOGNAME or "anonymous" */
  char const *host;         /* QMAILHOST, MAILHOST, or 0 (then defaulthost) */
  char const *name;         /* QMAILNAME, MAILNAME, NAME, or 0 */
  char const *suser;        /* QMAILSUSER, else user */
  char const *shost;        /* QMAILSHOST, else host */
  stralloc const *mft;      /* QMAILMFTFILE's entries (qm_control_readlist), or 0 */
  time_t now;
  unsigned long nsec;       /* nanoseconds of now, for Message-ID */
  unsigned long pid;
} inject_cfg;

/* reasons in inject_msg.err */
enum {
  INJECT_E_NONE = 0,
  INJECT_E_NOMEM,           /* temporary */
  INJECT_E_ADDR,            /* an argument is not an address (errtext: it) */
  INJECT_E_ADDRLONG,        /* an argument is too long */
  INJECT_E_FIELD,           /* a field's address list does not parse (errtext: name) */
  INJECT_E_ENVADDR,         /* the environment gives no valid From or sender address */
  INJECT_E_TOOMANY,         /* more than INJECT_RCPT_MAX recipients */
  INJECT_E_HEADLONG,        /* the rewritten header passes INJECT_HEAD_OUT_MAX */
  INJECT_E_NORCPT           /* no recipient at all */
};

typedef struct inject_msg_s {
  inject_cfg const *cfg;
  inject_alist al;
  inject_addr addr;
  stralloc scratch;
  stralloc saved;           /* the incoming fields to pass on, rewritten */
  stralloc args;            /* argument recipients */
  stralloc hr, hrr, tocc, rp;
  size_t nargs, nhr, nhrr, ntocc, nrp;
  stralloc bad_hr, bad_hrr; /* name of the first unparsable (Resent-)recipient field */
  unsigned long seen;       /* a bit per known field */
  stralloc sender;          /* the envelope sender, NUL-terminated once decided */
  int have_sender;
  stralloc rcpts;           /* the recipients, each NUL-terminated, once finished */
  size_t nrcpts;
  int err;
  stralloc errtext;         /* what err is about, NUL-terminated */
} inject_msg;

void inject_msg_init(inject_msg *m, inject_cfg const *cfg);
void inject_msg_free(inject_msg *m);

/* -f: the sender, completed; "" and "<>" are the null sender. 1, or 0 (m->err). */
int inject_msg_sender_arg(inject_msg *m, char const *arg);
/* A recipient argument, completed. 1, or 0 (m->err). */
int inject_msg_rcpt_arg(inject_msg *m, char const *arg);

/* The qm_header callback: takes one incoming field. 1, or 0 (m->err). */
int inject_msg_field(void *m, qm_header_field const *f);

/* After the header: decides sender and recipients (m->sender, m->rcpts) and sets
 * head to the header to write: the added fields, then the incoming ones. 1, or 0
 * (m->err). A message without recipients is left for the caller to judge. */
int inject_msg_finish(inject_msg *m, stralloc *head);

/* Words for m->err. */
char const *inject_msg_strerr(int err);

/* Appends "<stamp.nsec.pid.qmail@idhost>". */
int inject_msgid(stralloc *out, time_t now, unsigned long nsec, unsigned long pid,
                 char const *idhost);

#endif
