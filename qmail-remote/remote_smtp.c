/* SMTP client dialogue. The peer is untrusted: every reply goes through the bounded
 * parser and only its sanitized text reaches the reports; addresses we send are
 * checked so that no CR, LF or NUL can smuggle a command. It never writes a body
 * line the encoder did not produce and never waits for QUIT's reply. */
#include <stdlib.h>
#include <string.h>
#include <skalibs/types.h>

#include "remote_smtp.h"
#include "remote_ehlo.h"
#include "remote_body.h"
#include "remote_report.h"

/* Reads one reply; 1 ok, 0 the connection died or the reply was invalid. */
static int getreply(remote_smtp *s, remote_reply *r)
{
  remote_reply_init(r);
  for (;;) {
    size_t used = 0;
    int rc;
    if (s->inpos == s->inlen) {
      ssize_t n = s->io.read(s->io.ctx, s->inbuf, sizeof s->inbuf);
      if (n <= 0) return 0;
      s->inpos = 0;
      s->inlen = (size_t)n;
    }
    rc = remote_reply_feed(r, s->inbuf + s->inpos, s->inlen - s->inpos, &used);
    s->inpos += used;
    if (rc > 0) return 1;
    if (rc < 0) return 0;
  }
}

static int isatext(unsigned char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
    || (c >= 128) || strchr("!#$%&'*+-/=?^_`{|}~", c);
}

static int dotatom(char const *s, size_t len)
{
  size_t i;
  if (!len || s[0] == '.' || s[len - 1] == '.') return 0;
  for (i = 0; i < len; i++) {
    if (s[i] == '.') { if (s[i - 1] == '.') return 0; continue; }
    if (!isatext((unsigned char)s[i])) return 0;
  }
  return 1;
}

int remote_smtp_path(stralloc *sa, char const *addr)
{
  size_t len = strlen(addr), at, i, start = sa->len;
  char const *a = strrchr(addr, '@');
  for (i = 0; i < len; i++) if ((unsigned char)addr[i] < 32 || addr[i] == 127) return 0;
  if (len > REMOTE_SMTP_ADDR_MAX) return 0;
  at = a ? (size_t)(a - addr) : len;
  if (!stralloc_catb(sa, "<", 1)) return 0;
  if (!len) return stralloc_catb(sa, ">", 1);
  if (dotatom(addr, at)) {
    if (!stralloc_catb(sa, addr, at)) return 0;
  } else {
    if (!stralloc_catb(sa, "\"", 1)) return 0;
    for (i = 0; i < at; i++) {
      if ((addr[i] == '"' || addr[i] == '\\') && !stralloc_catb(sa, "\\", 1)) return 0;
      if (!stralloc_catb(sa, addr + i, 1)) return 0;
    }
    if (!stralloc_catb(sa, "\"", 1)) return 0;
  }
  if (!stralloc_catb(sa, addr + at, len - at) || !stralloc_catb(sa, ">", 1)) return 0;
  if (sa->len - start > REMOTE_SMTP_ADDR_MAX + 2) { sa->len = start; return 0; }
  return 1;
}

static int sendsa(remote_smtp *s, stralloc const *sa)
{
  return s->io.write(s->io.ctx, sa->s, sa->len);
}

static int sendstr(remote_smtp *s, char const *str)
{
  return s->io.write(s->io.ctx, str, strlen(str));
}

/* A report "<letter><pre><ip><what>" (no ip when pre is null) plus what the peer said, if it said something. */
static int msgreport(remote_smtp *s, stralloc *to, char letter, char const *pre,
  char const *what, remote_reply const *r)
{
  remote_report w = { to, 0 };
  return remote_report_begin(&w, letter)
    && (!pre || (remote_report_cat(&w, pre) && remote_report_cat(&w, s->ip)))
    && remote_report_cat(&w, what)
    && (!r || remote_report_said(&w, r)) && remote_report_end(&w);
}

static char tempperm(remote_reply const *r)
{
  return r->code >= 500 ? 'D' : 'Z';
}

static enum remote_smtp_result next(remote_smtp *s, char const *what, remote_reply const *r)
{
  s->next->len = 0;
  return msgreport(s, s->next, 'Z', "Connected to ", what, r) ? REMOTE_SMTP_NEXT : REMOTE_SMTP_NOMEM;
}

static enum remote_smtp_result done(remote_smtp *s, char letter, char const *pre,
  char const *what, remote_reply const *r)
{
  if (!s->kept) sendstr(s, "QUIT\r\n");
  return msgreport(s, s->out, letter, pre, what, r) ? REMOTE_SMTP_DONE : REMOTE_SMTP_NOMEM;
}

static enum remote_smtp_result died(remote_smtp *s)
{
  return done(s, 'Z', "Connected to ", " but connection died. (#4.4.2)\n", 0);
}

static int hello(remote_smtp *s, char const *verb, remote_reply *r)
{
  stralloc cmd = STRALLOC_ZERO;
  int ok = stralloc_cats(&cmd, verb) && stralloc_cats(&cmd, s->helohost)
    && stralloc_cats(&cmd, "\r\n") && sendsa(s, &cmd) && getreply(s, r);
  stralloc_free(&cmd);
  return ok;
}

/* Sends the body and the final dot. 1 sent; 0 a report was written instead (or
 * the connection died, res says which); res set unless 1. The last piece of the
 * body goes out in one write with the dot: a dot written alone after it would
 * wait for the peer's delayed ACK of the body (Nagle), some 40 ms a message. */
static int body(remote_smtp *s, enum remote_smtp_result *res)
{
  remote_body enc;
  char in[4096], out[remote_body_outmax(4096) + REMOTE_BODY_FINISH_MAX];
  size_t n = 0, f;
  remote_body_init(&enc);
  for (;;) {
    ssize_t r = s->io.body(s->io.ctx, in, sizeof in);
    if (r < 0) {
      /* no final dot: the peer must drop what it got */
      *res = done(s, 'Z', 0, "Unable to read message. (#4.3.0)\n", 0);
      return 0;
    }
    if (!r) break;
    if (n && !s->io.write(s->io.ctx, out, n)) { *res = died(s); return 0; }
    n = remote_body_encode(&enc, in, (size_t)r, out);
  }
  f = remote_body_finish(&enc, out + n);
  if (!f) {
    *res = done(s, 'D', 0, "SMTP cannot transfer messages with partial final lines. (#5.6.2)\n", 0);
    return 0;
  }
  if (!s->io.write(s->io.ctx, out, n + f)) { *res = died(s); return 0; }
  return 1;
}

/* Does the EHLO, or HELO when EHLO is refused; e gets the capabilities. 1 ok, 0 a
 * NEXT report is in s->next, -1 out of memory. */
static int greet(remote_smtp *s, remote_ehlo *e)
{
  remote_reply r;
  if (!hello(s, "EHLO ", &r)) return next(s, " but connection died. (#4.4.2)\n", 0) == REMOTE_SMTP_NEXT ? 0 : -1;
  if (r.code == 250) {
    remote_ehlo_parse(e, r.text, r.textlen);
    return 1;
  }
  if (!hello(s, "HELO ", &r)) return next(s, " but connection died. (#4.4.2)\n", 0) == REMOTE_SMTP_NEXT ? 0 : -1;
  if (r.code != 250) {
    sendstr(s, "QUIT\r\n");
    return next(s, " but my name was rejected.\n", &r) == REMOTE_SMTP_NEXT ? 0 : -1;
  }
  e->caps = 0;
  e->sizemax = 0;
  return 1;
}

/* STARTTLS as the policy says, then EHLO again on the encrypted session (RFC 3207
 * 4.2: nothing learnt before counts). 1 go on, 0 NEXT (s->next), -1 no memory. */
static int starttls(remote_smtp *s, remote_ehlo *e)
{
  remote_reply r;
  remote_tlsdest const *d = s->tls;
  enum remote_tls_policy p = d ? d->policy : REMOTE_TLS_OPPORTUNISTIC;
  char const *why = 0;
  switch (remote_tls_decide(p, s->tlshelper && s->starttls, !!(e->caps & REMOTE_EHLO_STARTTLS),
                            s->tlsname && s->tlsname[0])) {
    case REMOTE_TLS_PLAIN: return 1;
    case REMOTE_TLS_REFUSE:
      sendstr(s, "QUIT\r\n");
      why = !(e->caps & REMOTE_EHLO_STARTTLS)
        ? " but it does not offer STARTTLS, which tlsdestinations requires. (#4.7.5)\n"
        : !(s->tlsname && s->tlsname[0])
        ? " but there is no host name to check its certificate against. (#4.7.5)\n"
        : " but TLS is required and qmail-tlsd is not running. (#4.7.5)\n";
      return next(s, why, 0) == REMOTE_SMTP_NEXT ? 0 : -1;
    case REMOTE_TLS_START: break;
  }
  if (!sendstr(s, "STARTTLS\r\n") || !getreply(s, &r))
    return next(s, " but connection died. (#4.4.2)\n", 0) == REMOTE_SMTP_NEXT ? 0 : -1;
  if (r.code != 220) {
    if (remote_tls_fallback(p)) return 1;   /* still a plaintext session; RFC 3207 lets it go on */
    sendstr(s, "QUIT\r\n");
    s->tlsfailed = 1;
    return next(s, " but STARTTLS was refused. (#4.7.5)\n", &r) == REMOTE_SMTP_NEXT ? 0 : -1;
  }
  /* whatever came after the 220 was sent in clear by someone: never read as TLS data */
  s->inpos = s->inlen = 0;
  if (!s->starttls(s)) {
    stralloc w = STRALLOC_ZERO;
    int ok;
    s->tlsfailed = 1;
    ok = stralloc_cats(&w, " but TLS failed: ") && stralloc_cats(&w, s->tlswhy)
      && stralloc_cats(&w, ". (#4.7.5)\n") && stralloc_0(&w)
      && next(s, w.s, 0) == REMOTE_SMTP_NEXT;
    stralloc_free(&w);
    return ok ? 0 : -1;
  }
  return greet(s, e);
}

/* On a reused connection, before any recipient was taken: the connection died, or
 * the server says it is closing (421) or that it is not between transactions
 * (503). Such an answer is about the stale connection, not about the message. */
static int stale(remote_smtp const *s, size_t accepted, remote_reply const *r)
{
  return s->reused && !accepted && (!r || r->code == 421 || r->code == 503);
}

enum remote_smtp_result remote_smtp_run(remote_smtp *s)
{
  remote_reply r;
  remote_ehlo e;
  stralloc cmd = STRALLOC_ZERO;
  size_t i, accepted = 0, sent = 0, outmark = s->out->len;
  unsigned char *sentflag = 0;
  enum remote_smtp_result res;
  char fmt[ULONG_FMT + 1];

  s->inpos = s->inlen = 0;
  s->pipelined = 0;
  s->tlsnote[0] = 0;
  s->tlswhy[0] = 0;
  s->tlsfailed = 0;
  s->kept = 0;
  if (s->reused) {
    /* RFC 5321 4.1.4: after the final reply the session is ready for MAIL; no
     * RSET, no second EHLO (the capabilities are the session's, unchanged) */
    e.caps = s->caps;
    e.sizemax = s->sizemax;
    goto transaction;
  }
  s->caps = 0;
  if (!getreply(s, &r)) return next(s, " but greeting failed.\n", 0);
  if (r.code < 200 || r.code >= 300) { sendstr(s, "QUIT\r\n"); return next(s, " but greeting failed.\n", &r); }
  switch (greet(s, &e)) {
    case 1: break;
    case 0: return REMOTE_SMTP_NEXT;
    default: return REMOTE_SMTP_NOMEM;
  }
  switch (starttls(s, &e)) {
    case 1: break;
    case 0: return REMOTE_SMTP_NEXT;
    default: return REMOTE_SMTP_NOMEM;
  }
  s->caps = e.caps;
  s->sizemax = e.sizemax;
transaction:
  if ((e.caps & REMOTE_EHLO_SIZE) && e.sizemax && s->size > e.sizemax)
    return done(s, 'D', "Connected to ", " but the message is larger than it accepts. (#5.3.4)\n", 0);

  if (!stralloc_cats(&cmd, "MAIL FROM:")) goto nomem;
  if (!remote_smtp_path(&cmd, s->sender)) {
    stralloc_free(&cmd);
    return done(s, 'D', 0, "Sorry, the envelope sender cannot be sent over SMTP. (#5.1.7)\n", 0);
  }
  if ((e.caps & REMOTE_EHLO_SIZE) && s->size) {
    fmt[ulong_fmt(fmt, (unsigned long)s->size)] = 0;
    if (!stralloc_cats(&cmd, " SIZE=") || !stralloc_cats(&cmd, fmt)) goto nomem;
  }
  if ((e.caps & REMOTE_EHLO_8BITMIME) && !stralloc_cats(&cmd, " BODY=8BITMIME")) goto nomem;
  if (!stralloc_cats(&cmd, "\r\n")) goto nomem;
  s->pipelined = !!(e.caps & REMOTE_EHLO_PIPELINING);

  sentflag = calloc(s->nrcpt ? s->nrcpt : 1, 1);
  if (!sentflag) goto nomem;
  if (s->pipelined) {
    /* MAIL, every RCPT and DATA in one write (RFC 2920); replies come in order */
    for (i = 0; i < s->nrcpt && i < REMOTE_SMTP_RCPT_MAX; i++) {
      size_t mark = cmd.len;
      if (!stralloc_cats(&cmd, "RCPT TO:")) goto nomem;
      if (!remote_smtp_path(&cmd, s->rcpt[i])) { cmd.len = mark; continue; }
      if (!stralloc_cats(&cmd, "\r\n")) goto nomem;
      sentflag[i] = 1;
      sent++;
    }
    if (sent && !stralloc_cats(&cmd, "DATA\r\n")) goto nomem;
    if (!sendsa(s, &cmd) || !getreply(s, &r)) goto died;
    if (stale(s, 0, &r)) goto stale;
    if (r.code < 200 || r.code >= 300) {
      /* drain the replies to what was pipelined after MAIL, then give up */
      for (i = 0; i < sent + (sent ? 1 : 0); i++) {
        remote_reply x;
        if (!getreply(s, &x)) break;
      }
      res = done(s, tempperm(&r), "Connected to ", " but sender was rejected.\n", &r);
      goto out;
    }
  } else {
    if (!sendsa(s, &cmd) || !getreply(s, &r)) goto died;
    if (stale(s, 0, &r)) goto stale;
    if (r.code < 200 || r.code >= 300) {
      res = done(s, tempperm(&r), "Connected to ", " but sender was rejected.\n", &r);
      goto out;
    }
  }

  for (i = 0; i < s->nrcpt; i++) {
    remote_report w = { s->out, 0 };
    if (!sentflag[i]) {
      if (s->pipelined || i >= REMOTE_SMTP_RCPT_MAX || !(cmd.len = 0, stralloc_cats(&cmd, "RCPT TO:"))
        || !remote_smtp_path(&cmd, s->rcpt[i])) {
        char letter = (i >= REMOTE_SMTP_RCPT_MAX) ? 's' : 'h';
        if (!remote_report_begin(&w, letter)
          || !remote_report_cat(&w, letter == 's'
               ? "Too many recipients in one delivery; trying later. (#4.5.3)\n"
               : "Sorry, the address cannot be sent over SMTP. (#5.1.3)\n")
          || !remote_report_end(&w)) goto nomem;
        continue;
      }
      if (!stralloc_cats(&cmd, "\r\n")) goto nomem;
      if (!sendsa(s, &cmd)) goto died;
    }
    if (!getreply(s, &r)) goto died;
    if (stale(s, accepted, &r)) goto stale;
    if (r.code >= 200 && r.code < 300) {
      accepted++;
      if (!remote_report_rcpt(&w, 'r', s->ip, &r)) goto nomem;
    } else if (!remote_report_rcpt(&w, r.code >= 500 ? 'h' : 's', s->ip, &r)) goto nomem;
  }

  if (!s->pipelined && accepted && !sendstr(s, "DATA\r\n")) goto died;
  if (s->pipelined ? sent > 0 : accepted > 0) {
    if (!getreply(s, &r)) goto died;
    if (r.code == 354 && !accepted) {
      /* RFC 2920: a 354 with no recipient gets an empty message ended at once */
      if (!sendstr(s, ".\r\n") || !getreply(s, &r)) goto died;
    } else if (accepted && r.code != 354) {
      res = done(s, tempperm(&r), "Connected to ", " but the DATA command failed.\n", &r);
      goto out;
    } else if (accepted) {
      if (!body(s, &res)) goto out;
      goto final;
    }
  }
  res = done(s, 'D', "Giving up on ", ".\n", 0);
  goto out;

final:
  if (!getreply(s, &r)) {
    res = done(s, 'Z', "Connected to ", " but connection died. Possible duplicate! (#4.4.2)\n", 0);
    goto out;
  }
  /* the transaction is over either way: a clean plaintext session, with nothing
   * more from the server than this reply, can carry the next one */
  if (s->keep && !s->tlsnote[0] && s->inpos == s->inlen && r.code >= 200 && r.code < 600 && r.code != 421)
    s->kept = 1;
  if (r.code >= 200 && r.code < 300) {
    char what[REMOTE_TLS_NOTE_MAX + 40];
    size_t n = 0, l = strlen(s->tlsnote);
    char const *a = s->tlsnote[0] ? " accepted message. Encrypted: "
      : s->reused ? " accepted message. Not encrypted. (connection reused)\n" : " accepted message. Not encrypted.\n";
    memcpy(what, a, strlen(a)); n = strlen(a);
    if (l) { memcpy(what + n, s->tlsnote, l); n += l; memcpy(what + n, ".\n", 2); n += 2; }
    what[n] = 0;
    res = done(s, 'K', "", what, &r);
  }
  else res = done(s, tempperm(&r), "", " failed after I sent the message.\n", &r);
  goto out;

died:
  if (stale(s, accepted, 0)) goto stale;
  res = died(s);
  goto out;
stale:
  s->out->len = outmark;
  res = REMOTE_SMTP_STALE;
  goto out;
nomem:
  res = REMOTE_SMTP_NOMEM;
out:
  free(sentflag);
  stralloc_free(&cmd);
  return res;
}
