/* Report writer. The texts carry a peer's replies, so every byte is filtered here
 * whatever the caller passes: a report can never hold a NUL (it would split the
 * report) and never a control byte that could forge a log line. Reports are capped
 * at REMOTE_REPORT_TEXT_MAX bytes of text. */
#include <string.h>

#include "remote_report.h"

int remote_report_begin(remote_report *w, char letter)
{
  w->begun = w->sa->len;
  return stralloc_catb(w->sa, &letter, 1);
}

int remote_report_catn(remote_report *w, char const *s, size_t len)
{
  size_t i, room, used = w->sa->len - w->begun;
  if (used >= REMOTE_REPORT_TEXT_MAX) return 1;
  room = REMOTE_REPORT_TEXT_MAX - used;
  if (len > room) len = room;
  if (!stralloc_readyplus(w->sa, len)) return 0;
  for (i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    w->sa->s[w->sa->len++] = (c == '\n' || (c >= 32 && c < 127)) ? (char)c : '?';
  }
  return 1;
}

int remote_report_cat(remote_report *w, char const *s)
{
  return remote_report_catn(w, s, strlen(s));
}

int remote_report_said(remote_report *w, remote_reply const *r)
{
  return remote_report_cat(w, "Remote host said: ")
    && remote_report_catn(w, r->text, r->textlen)
    && remote_report_cat(w, "\n");
}

int remote_report_end(remote_report *w)
{
  return stralloc_0(w->sa);
}

int remote_report_rcpt(remote_report *w, char letter, char const *ip, remote_reply const *r)
{
  if (!remote_report_begin(w, letter)) return 0;
  if (letter != 'r') {
    if (!remote_report_cat(w, ip) || !remote_report_cat(w, " does not like recipient.\n")
      || !remote_report_said(w, r)) return 0;
  }
  return remote_report_end(w);
}
