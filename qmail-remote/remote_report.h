/* qmail-remote's reports on stdout (qmail-remote(8)): one per recipient, 'r'
 * accepted, 'h' refused for good, 's' refused for now; then one for the message,
 * 'K' accepted, 'Z' try later, 'D' give up. Each is a letter, text, '\0'. Text put
 * here is made safe: only printable ASCII and '\n' (a NUL would end the report). */
#ifndef REMOTE_REPORT_H
#define REMOTE_REPORT_H

#include <skalibs/stralloc.h>

#include "remote_reply.h"

#define REMOTE_REPORT_TEXT_MAX 9000   /* qmail-send keeps 10000 bytes of a report */

typedef struct remote_report {
  stralloc *sa;      /* reports are appended here */
  size_t begun;      /* offset of the current report's letter */
} remote_report;

/* Each returns 1, or 0 on ENOMEM. */
int remote_report_begin(remote_report *w, char letter);
int remote_report_cat(remote_report *w, char const *s);          /* sanitized */
int remote_report_catn(remote_report *w, char const *s, size_t len);
int remote_report_said(remote_report *w, remote_reply const *r); /* "Remote host said: ...\n" */
int remote_report_end(remote_report *w);

/* "r\0", or "h<ip> does not like recipient.\nRemote host said: <reply>\n\0". */
int remote_report_rcpt(remote_report *w, char letter, char const *ip, remote_reply const *r);

#endif
