/* .qmail lines to instructions. The text is the mailbox owner's; nothing in it is
 * run or opened here. A refusal is all or nothing: no instruction of a refused file
 * is ever carried out. */
#include <string.h>

#include "local_dotqmail.h"

size_t local_dotqmail_trim(char const *s, size_t len)
{
  while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r')) len--;
  return len;
}

enum local_kind local_dotqmail_line(char const *s, size_t len, size_t *arg, size_t *arglen)
{
  *arg = 0;
  *arglen = len;
  if (!len || s[0] == '#') return LOCAL_COMMENT;
  switch (s[0]) {
  case '|':
    *arg = 1; *arglen = len - 1;
    return LOCAL_PROGRAM;
  case '/': case '.':
    return s[len - 1] == '/' ? LOCAL_MAILDIR : LOCAL_MBOX;
  case '&':
    *arg = 1; *arglen = len - 1;
    return LOCAL_FORWARD;
  case '+':
    if (len == 5 && !memcmp(s, "+list", 5)) return LOCAL_FWDONLY;
    return LOCAL_COMMENT;
  default:
    return LOCAL_FORWARD;
  }
}

char const *local_dotqmail_strerr(enum local_dq_err e)
{
  switch (e) {
  case LOCAL_DQ_OK: return "ok";
  case LOCAL_DQ_NUL: return "it contains a NUL byte";
  case LOCAL_DQ_FIRSTEMPTY: return "its first line is empty";
  case LOCAL_DQ_TOOMANY: return "it has too many instructions";
  case LOCAL_DQ_TOOBIG: return "it is too large";
  case LOCAL_DQ_FWDONLY: return "it is forward-only but has a file or program line";
  case LOCAL_DQ_EMPTYFWD: return "it has a forward without an address";
  }
  return "unknown error";
}

int local_dotqmail_parse(local_dotqmail *q, char const *text, size_t len, enum local_dq_err *err)
{
  size_t pos = 0, i;
  q->n = q->files = q->programs = q->forwards = 0;
  if (len > LOCAL_DOTQMAIL_MAX) { *err = LOCAL_DQ_TOOBIG; return -1; }
  if (memchr(text, 0, len)) { *err = LOCAL_DQ_NUL; return -1; }
  while (pos < len) {
    char const *nl = memchr(text + pos, '\n', len - pos);
    size_t end = nl ? (size_t)(nl - text) : len;
    size_t n = local_dotqmail_trim(text + pos, end - pos), arg, arglen;
    enum local_kind k = local_dotqmail_line(text + pos, n, &arg, &arglen);
    /* an empty first line is what an editor leaves while it writes the file */
    if (!pos && !n) { *err = LOCAL_DQ_FIRSTEMPTY; return -1; }
    if (k == LOCAL_FORWARD && !arglen) { *err = LOCAL_DQ_EMPTYFWD; return -1; }
    if (k == LOCAL_FWDONLY) q->fwdonly = 1;
    else if (k != LOCAL_COMMENT) {
      if (q->n >= q->max) { *err = LOCAL_DQ_TOOMANY; return -1; }
      q->in[q->n].kind = k;
      q->in[q->n].off = pos + arg;
      q->in[q->n].len = arglen;
      q->n++;
      if (k == LOCAL_FORWARD) q->forwards++;
      else if (k == LOCAL_PROGRAM) q->programs++;
      else q->files++;
    }
    pos = end + 1;
  }
  /* forward-only holds for the whole file, whichever line said so */
  if (q->fwdonly)
    for (i = 0; i < q->n; i++)
      if (q->in[i].kind != LOCAL_FORWARD) { *err = LOCAL_DQ_FWDONLY; return -1; }
  *err = LOCAL_DQ_OK;
  return 1;
}
