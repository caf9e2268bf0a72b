/* mbox delivery: the From_ line, the Return-Path and Delivered-To lines, then the
 * message with every line matching ^>*From  given one more '>' (mboxrd), a final
 * newline if it lacked one, and an empty line. The file is locked with fcntl and
 * flock; a failed write truncates it back to where it was, so a mailbox never keeps
 * half a message. */
#ifndef LOCAL_MBOX_H
#define LOCAL_MBOX_H

#include <stddef.h>
#include <skalibs/stralloc.h>

#include "local_io.h"

#define LOCAL_MBOX_LOCKWAIT 30   /* seconds to wait for the lock */

/* The quoting filter. Fed the message in pieces of any size; writes to put. */
typedef struct local_mboxq_s {
  int scan;        /* at the start of a line, still deciding */
  size_t gt;       /* '>' seen at the start of this line */
  size_t from;     /* bytes of "From " matched after them */
  int any;         /* something was written */
  char last;       /* the last byte written */
} local_mboxq;

void local_mboxq_init(local_mboxq *q);
int local_mboxq_feed(local_mboxq *q, char const *s, size_t len, local_put_fn *put, void *ctx);
/* Ends the message: pending bytes, a missing final newline, the empty line. */
int local_mboxq_end(local_mboxq *q, local_put_fn *put, void *ctx);

/* Delivers the message on msgfd to the mbox file path (created 0600 if missing).
 * 1 done; 0 failed, with the reason in why (a sentence for the delivery report). */
int local_mbox_deliver(char const *path, int msgfd, char const *ufline, char const *rpline,
                       char const *dtline, stralloc *why);

#endif
