/* qmail-send's log lines, in qmail's words (doc/qmail-log.5) so that qmailanalog-
 * style tools keep working. Each function appends one whole line, newline included,
 * to a stralloc; variable text goes through send_log_safe. Returns 1, or 0 on ENOMEM. */
#ifndef SEND_LOG_H
#define SEND_LOG_H

#include <stddef.h>
#include <stdint.h>
#include <skalibs/stralloc.h>

#define SEND_LOG_FIELD_MAX 1000    /* longest variable field written; the rest is cut */

/* qmail's sanitizing: newline -> '/', space, controls, '%' and bytes > 126 -> '_'. */
int send_log_safe(stralloc *sa, char const *s, size_t len);

int send_log_new(stralloc *sa, uint64_t id);
int send_log_end(stralloc *sa, uint64_t id);
/* info msg N: bytes B from <sender> qp P uid U */
int send_log_info(stralloc *sa, uint64_t id, uint64_t bytes, char const *sender, size_t slen,
                  char const *qp, char const *uid);
/* starting delivery D: msg N to local|remote rcpt */
int send_log_starting(stralloc *sa, uint64_t d, uint64_t id, int remote, char const *rcpt,
                      size_t rlen);
/* delivery D: success|deferral|failure: text, or report mangled; report is the
 * spawner's text with its letter first. */
int send_log_delivery(stralloc *sa, uint64_t d, char const *report, size_t len);
int send_log_status(stralloc *sa, unsigned int l, unsigned int lmax, unsigned int r,
                    unsigned int rmax, int exitasap);
int send_log_bounce(stralloc *sa, uint64_t id, uint64_t qp);
/* A fixed line with one variable part: head, then safe(var), then tail. */
int send_log_line3(stralloc *sa, char const *head, char const *var, size_t vlen,
                   char const *tail);

#endif
