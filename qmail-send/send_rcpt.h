/* Recipient classification for qmail-send: envnoathost, percenthack, locals and
 * virtualdomains, in qmail's order. Pure: the tables come from control files the
 * caller read; addresses come from the queue (already limited by qmail-queue). */
#ifndef SEND_RCPT_H
#define SEND_RCPT_H

#include <stddef.h>
#include <skalibs/stralloc.h>

/* A case-insensitive lookup table of "key" or "key:value" entries, sorted once so
 * that a large virtualdomains (ISP hosting) costs a binary search per key tried. */
typedef struct send_table_entry_s {
  char const *key;
  size_t keylen;
  char const *val;      /* after the first colon; "" when the line had none */
  size_t vallen;
} send_table_entry;

typedef struct send_table_s {
  send_table_entry *e;
  size_t n;
} send_table;

#define SEND_TABLE_ZERO { 0, 0 }

/* Builds t over a parsed list (entries NUL-separated, as qm_control_parselist gives);
 * t points into list, which must outlive it. split: cut entries at the first colon
 * (virtualdomains) or keep them whole (locals, percenthack). Among duplicate keys
 * the first line wins. Returns 1, or 0 on ENOMEM. */
int send_table_build(send_table *t, stralloc const *list, int split);
void send_table_free(send_table *t);
/* The entry for key, or 0. */
send_table_entry const *send_table_find(send_table const *t, char const *key, size_t len);

typedef struct send_rcpt_ctx_s {
  send_table const *locals;
  send_table const *vdoms;
  send_table const *percenthack;
  char const *envnoathost;
} send_rcpt_ctx;

enum { SEND_CHAN_LOCAL = 0, SEND_CHAN_REMOTE = 1, SEND_NCHAN = 2 };

/* Classifies addr (len bytes, no NUL inside) and stores the address to deliver to
 * in out (replacing its content, not NUL-terminated). *prelen gets the length of
 * the "prepend-" that virtualdomains put in front (0 if none), so bounces can show
 * the address as the sender wrote it. Returns SEND_CHAN_LOCAL or SEND_CHAN_REMOTE,
 * or -1 on ENOMEM. */
int send_rcpt_classify(send_rcpt_ctx const *ctx, char const *addr, size_t len,
                       stralloc *out, size_t *prelen);

/* The address a local recipient had before virtualdomains put "prepend-" in front
 * of it, for bounce texts: *cut gets the length to skip (0: not a rewritten
 * address). A cut is taken only when classifying the rest gives back exactly rcpt,
 * so an address that merely contains a '-' is never shortened. Returns 1, or 0 on
 * ENOMEM. */
int send_rcpt_unprepend(send_rcpt_ctx const *ctx, char const *rcpt, size_t len, size_t *cut);

/* VERP: a sender "pre@host-@[]" becomes "prebox=dom@host" for recipient "box@dom";
 * any other sender is copied. Replaces out's content. Returns 1, or 0 on ENOMEM. */
int send_verp(stralloc *out, char const *sender, size_t slen, char const *rcpt, size_t rlen);

#endif
