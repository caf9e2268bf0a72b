/* The SMTP server dialogue (RFC 5321 with PIPELINING, 8BITMIME, SIZE,
 * ENHANCEDSTATUSCODES, SMTPUTF8, STARTTLS (RFC 3207) and AUTH PLAIN/LOGIN (RFC
 * 4954) on submission) as a state machine over client bytes. Trusts no
 * client byte: lines are capped at SMTPD_LINE_MAX, controls and NUL are refused, a
 * message ends only at CRLF.CRLF and any bare CR or LF in it gets a 5xx after the
 * end. Must never queue a message before its final dot or report 250 unless the
 * queue said so. */
#include <arpa/inet.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <skalibs/stralloc.h>

#include "qm_addr.h"
#include "qm_qq.h"
#include "qm_size.h"
#include "smtpd_session.h"

enum { D_BOL, D_DOT, D_DOTCR, D_MID, D_CR };
enum { A_NONE, A_PLAIN, A_LOGIN_USER, A_LOGIN_PASS };

/* --- replies -------------------------------------------------------------------- */

int smtpd_session_reply(smtpd_session *s, char const *line)
{
  char buf[SMTPD_REPLY_MAX + 2];
  size_t n = strlen(line);
  if (s->phase == SMTPD_CLOSED) return 0;
  if (n > SMTPD_REPLY_MAX) n = SMTPD_REPLY_MAX;
  memcpy(buf, line, n);
  buf[n++] = '\r';
  buf[n++] = '\n';
  if (!s->ops->reply(s->ops->ctx, buf, n)) {
    s->phase = SMTPD_CLOSED;
    return 0;
  }
  return 1;
}

/* Joins up to four pieces into one reply line, cut at SMTPD_REPLY_MAX. */
static int reply4(smtpd_session *s, char const *a, char const *b, char const *c, char const *d)
{
  char buf[SMTPD_REPLY_MAX + 1];
  char const *parts[4] = { a, b, c, d };
  size_t n = 0, i;
  for (i = 0; i < 4; i++) {
    size_t k;
    if (!parts[i]) continue;
    k = strlen(parts[i]);
    if (k > SMTPD_REPLY_MAX - n) k = SMTPD_REPLY_MAX - n;
    memcpy(buf + n, parts[i], k);
    n += k;
  }
  buf[n] = 0;
  return smtpd_session_reply(s, buf);
}

static void logline(smtpd_session *s, char const *line)
{
  if (s->ops->log) s->ops->log(s->ops->ctx, line);
}

/* Network text for logs: printable ASCII but space, capped. */
static size_t logsafe(char *out, size_t max, char const *in)
{
  size_t n = 0;
  for (; *in && n < max; in++) {
    unsigned char c = (unsigned char)*in;
    out[n++] = (c > 32 && c < 127) ? (char)c : '_';
  }
  out[n] = 0;
  return n;
}

/* --- pure helpers --------------------------------------------------------------- */

size_t smtpd_sanitize(char *out, size_t max, char const *in)
{
  size_t n = 0;
  for (; *in && n < max; in++) {
    unsigned char c = (unsigned char)*in;
    int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || (c && strchr(".@%+/=:-[]", c));
    out[n++] = ok ? (char)c : '?';
  }
  out[n] = 0;
  return n;
}

int smtpd_ip_parse(unsigned char ip[16], char const *s, size_t len)
{
  static unsigned char const mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
  char buf[QM_ADDR_LITERAL_MAX + 1];
  if (len > 5 && !strncasecmp(s, "IPv6:", 5)) {
    if (len - 5 > QM_ADDR_LITERAL_MAX || memchr(s, 0, len)) return 0;
    memcpy(buf, s + 5, len - 5);
    buf[len - 5] = 0;
    if (inet_pton(AF_INET6, buf, ip) != 1) return 0;
    /* ::ffff:a.b.c.d is the IPv4 host under another name */
    if (memcmp(ip, mapped, 12)) return 6;
    memmove(ip, ip + 12, 4);
    return 4;
  }
  /* the address parser's own dotted quad (inet_pton would refuse the leading
   * zeros it lets through): both must agree on what a literal is */
  return qm_addr_ipv4(s, len, ip) ? 4 : 0;
}

static size_t put_uint(char *out, unsigned long v, unsigned width)
{
  char tmp[24];
  size_t n = 0, i;
  do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v);
  while (n < width) tmp[n++] = '0';
  for (i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
  return n;
}

size_t smtpd_date(char *out, time_t t)
{
  static char const months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
  struct tm tm;
  size_t n = 0;
  if (!gmtime_r(&t, &tm)) { memset(&tm, 0, sizeof tm); tm.tm_mday = 1; tm.tm_year = 70; }
  n += put_uint(out + n, (unsigned long)tm.tm_mday, 1);
  out[n++] = ' ';
  memcpy(out + n, months + 3 * tm.tm_mon, 3); n += 3;
  out[n++] = ' ';
  n += put_uint(out + n, (unsigned long)tm.tm_year + 1900, 4);
  out[n++] = ' ';
  n += put_uint(out + n, (unsigned long)tm.tm_hour, 2);
  out[n++] = ':';
  n += put_uint(out + n, (unsigned long)tm.tm_min, 2);
  out[n++] = ':';
  n += put_uint(out + n, (unsigned long)tm.tm_sec, 2);
  memcpy(out + n, " -0000", 6); n += 6;
  out[n] = 0;
  return n;
}

static size_t cat(char *out, size_t n, size_t max, char const *s)
{
  size_t k = strlen(s);
  if (k > max - 1 - n) k = max - 1 - n;
  memcpy(out + n, s, k);
  out[n + k] = 0;
  return n + k;
}

size_t smtpd_received(char *out, size_t max, smtpd_config const *cfg, char const *helo,
                      char const *proto, char const *tls, char const *authuser, time_t t)
{
  char host[SMTPD_HELO_MAX + 1], h[SMTPD_HELO_MAX + 1], info[SMTPD_HELO_MAX + 1];
  char ip[SMTPD_HELO_MAX + 1], by[SMTPD_HELO_MAX + 1], date[40];
  size_t n = 0;
  if (!max) return 0;
  out[0] = 0;
  smtpd_sanitize(host, SMTPD_HELO_MAX, cfg->remotehost ? cfg->remotehost : "unknown");
  smtpd_sanitize(h, SMTPD_HELO_MAX, helo);
  smtpd_sanitize(ip, SMTPD_HELO_MAX, cfg->remoteip ? cfg->remoteip : "unknown");
  smtpd_sanitize(by, SMTPD_HELO_MAX, cfg->localhost ? cfg->localhost : "unknown");
  smtpd_date(date, t);
  n = cat(out, n, max, "Received: from ");
  n = cat(out, n, max, host);
  if (strcasecmp(helo, cfg->remotehost ? cfg->remotehost : "unknown")) {
    n = cat(out, n, max, " (HELO ");
    n = cat(out, n, max, h);
    n = cat(out, n, max, ")");
  }
  n = cat(out, n, max, " (");
  if (cfg->remoteinfo) {
    smtpd_sanitize(info, SMTPD_HELO_MAX, cfg->remoteinfo);
    n = cat(out, n, max, info);
    n = cat(out, n, max, "@");
  }
  n = cat(out, n, max, ip);
  n = cat(out, n, max, ")\n  by ");
  n = cat(out, n, max, by);
  n = cat(out, n, max, " with ");
  n = cat(out, n, max, proto);
  if (tls) {
    char tl[2 * SMTPD_TLSFIELD_MAX + 2];
    size_t k;
    /* OpenSSL names use '_' and '-'; nothing may end the comment early */
    for (k = 0; tls[k] && k < sizeof tl - 1; k++) {
      unsigned char c = (unsigned char)tls[k];
      tl[k] = (c >= 32 && c < 127 && c != '(' && c != ')' && c != '\\') ? (char)c : '?';
    }
    tl[k] = 0;
    n = cat(out, n, max, " (");
    n = cat(out, n, max, tl);
    n = cat(out, n, max, ")");
  }
  if (authuser) {
    char u[SMTPD_AUTH_USER_MAX + 1];
    smtpd_sanitize(u, SMTPD_AUTH_USER_MAX, authuser);
    n = cat(out, n, max, " (authenticated as ");
    n = cat(out, n, max, u);
    n = cat(out, n, max, ")");
  }
  n = cat(out, n, max, "; ");
  n = cat(out, n, max, date);
  n = cat(out, n, max, "\n");
  return n;
}

/* --- transaction ---------------------------------------------------------------- */

static void reset_transaction(smtpd_session *s)
{
  s->mail = 0;
  s->utf8 = 0;
  s->sender[0] = 0;
  s->rcpts.len = 0;
  s->nrcpt = 0;
}

/* Counts a syntax error; after too many, says so and ends the session. */
static int syntax_error(smtpd_session *s, char const *line)
{
  if (!smtpd_session_reply(s, line)) return 0;
  if (++s->errors >= SMTPD_ERRORS_MAX) {
    smtpd_session_reply(s, "421 4.7.0 too many errors, closing connection");
    logline(s, "drop reason=errors");
    s->phase = SMTPD_CLOSED;
    return 0;
  }
  return 1;
}

int smtpd_session_start(smtpd_session *s, smtpd_config const *cfg, smtpd_ops const *ops)
{
  memset(s, 0, sizeof *s);
  s->cfg = cfg;
  s->ops = ops;
  s->phase = SMTPD_CMD;
  s->maxrcpt = cfg->maxrcpt;
  if (s->maxrcpt < SMTPD_RCPT_MIN) s->maxrcpt = SMTPD_RCPT_MIN;
  if (s->maxrcpt > SMTPD_RCPT_MAX) s->maxrcpt = SMTPD_RCPT_MAX;
  s->rcpts = (stralloc)STRALLOC_ZERO;
  return reply4(s, "220 ", cfg->greeting, " ESMTP", 0);
}

void smtpd_session_free(smtpd_session *s)
{
  smtpd_auth_wipe(&s->cred, sizeof s->cred);
  stralloc_free(&s->rcpts);
}

void smtpd_session_end(smtpd_session *s, int timeout)
{
  int whole = timeout == SMTPD_END_SESSIONTIME;
  if (s->qq) {
    s->ops->qq_abort(s->ops->ctx);
    s->qq = 0;
    logline(s, !timeout ? "abort reason=eof-in-data"
               : whole ? "abort reason=session-time-in-data" : "abort reason=timeout-in-data");
  }
  if (timeout && s->phase != SMTPD_CLOSED) {
    smtpd_session_reply(s, whole ? "421 4.4.2 session time limit reached, closing connection"
                                 : "421 4.4.2 timeout, closing connection");
    logline(s, whole ? "drop reason=session-time" : "drop reason=timeout");
  }
  s->phase = SMTPD_CLOSED;
}

/* --- commands ------------------------------------------------------------------- */

static int is_verb(char const *verb, size_t len, char const *want)
{
  return strlen(want) == len && !strncasecmp(verb, want, len);
}

/* A HELO/EHLO argument: a domain-ish name (letters, digits, '-', '.', '_': many
 * hosts use '_') or a valid address literal. */
static int helo_ok(char const *arg, size_t len)
{
  size_t i;
  if (!len || len > SMTPD_HELO_MAX) return 0;
  if (arg[0] == '[') {
    char buf[SMTPD_HELO_MAX + 8];
    qm_addr a;
    size_t used;
    memcpy(buf, "<a@", 3);
    memcpy(buf + 3, arg, len);
    buf[3 + len] = '>';
    return qm_addr_parse(&a, 0, buf, len + 4, &used) == 1 && used == len + 4 && a.literal;
  }
  for (i = 0; i < len; i++) {
    char c = arg[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '-' || c == '.' || c == '_')) return 0;
  }
  return 1;
}

/* AUTH is offered on submission, over TLS, until it succeeded. */
static int auth_offered(smtpd_session const *s)
{
  return s->cfg->submission && s->ops->checkpw && s->tls && !s->authuser[0];
}

static int cmd_helo(smtpd_session *s, int esmtp, char const *arg, size_t len)
{
  char buf[64];
  size_t i;
  while (len && arg[len - 1] == ' ') len--;
  if (!helo_ok(arg, len))
    return syntax_error(s, esmtp ? "501 5.5.4 syntax: EHLO hostname" : "501 5.5.4 syntax: HELO hostname");
  memcpy(s->heloname, arg, len);
  s->heloname[len] = 0;
  s->helo = esmtp ? 2 : 1;
  reset_transaction(s);
  if (!esmtp) return reply4(s, "250 ", s->cfg->greeting, 0, 0);
  if (!reply4(s, "250-", s->cfg->greeting, 0, 0)) return 0;
  if (!smtpd_session_reply(s, "250-PIPELINING")) return 0;
  if (!smtpd_session_reply(s, "250-8BITMIME")) return 0;
  buf[put_uint(buf, (unsigned long)s->cfg->databytes, 1)] = 0;
  if (!reply4(s, "250-SIZE ", buf, 0, 0)) return 0;
  if (s->cfg->tls && s->ops->starttls && !s->tls && !smtpd_session_reply(s, "250-STARTTLS")) return 0;
  if (auth_offered(s) && !smtpd_session_reply(s, "250-AUTH PLAIN LOGIN")) return 0;
  for (i = 0; i < SMTPD_EHLO_EXTRA_MAX && s->cfg->ehlo_extra[i]; i++)
    if (!reply4(s, "250-", s->cfg->ehlo_extra[i], 0, 0)) return 0;
  if (!smtpd_session_reply(s, "250-ENHANCEDSTATUSCODES")) return 0;
  return smtpd_session_reply(s, "250 SMTPUTF8");
}

/* Skips "FROM:" or "TO:" (any case) and spaces after it; 0 if missing. */
static char const *after_prefix(char const *arg, size_t len, char const *prefix, size_t *rest)
{
  size_t p = strlen(prefix);
  if (len < p || strncasecmp(arg, prefix, p)) return 0;
  arg += p; len -= p;
  while (len && *arg == ' ') { arg++; len--; }
  *rest = len;
  return arg;
}

static int parse_ulong64(uint64_t *out, char const *s, size_t len)
{
  uint64_t v = 0;
  size_t i;
  if (!len || len > 20) return 0;
  for (i = 0; i < len; i++) {
    unsigned d = (unsigned)(unsigned char)s[i] - '0';
    if (d > 9) return 0;
    if (v > (UINT64_MAX - d) / 10) return 0;
    v = v * 10 + d;
  }
  *out = v;
  return 1;
}

static int addr_error(smtpd_session *s, qm_addr const *a, int rcpt)
{
  switch (a->err) {
  case QM_ADDR_E8BIT:
    return smtpd_session_reply(s, "553 5.6.7 non-ASCII address without SMTPUTF8");
  case QM_ADDR_ETOOLONG:
    return syntax_error(s, "501 5.5.4 path too long");
  case QM_ADDR_ELOCALLONG:
  case QM_ADDR_EDOMAINLONG:
    return syntax_error(s, rcpt ? "501 5.1.3 address too long" : "501 5.1.7 address too long");
  case QM_ADDR_ENOBRACKET:
    return syntax_error(s, rcpt ? "501 5.5.4 syntax: RCPT TO:<address>"
                                : "501 5.5.4 syntax: MAIL FROM:<address>");
  default:
    return syntax_error(s, rcpt ? "501 5.1.3 bad recipient address syntax"
                                : "501 5.1.7 bad sender address syntax");
  }
}

static int cmd_mail(smtpd_session *s, char const *arg, size_t len)
{
  qm_addr_param p[QM_ADDR_PARAMS_MAX];
  qm_addr a;
  char const *path;
  size_t rest, used;
  int np, i, utf8 = 0, r;
  uint64_t size = 0;
  char logbuf[QM_ADDR_PATH_MAX + 64];
  if (!s->helo) return smtpd_session_reply(s, "503 5.5.1 send HELO or EHLO first");
  if (s->mail) return smtpd_session_reply(s, "503 5.5.1 nested MAIL command");
  if (s->cfg->tlsrequired && !s->tls) {
    logline(s, "reject reason=tls-required");
    return smtpd_session_reply(s, "530 5.7.0 must issue a STARTTLS command first");
  }
  if (s->cfg->submission && !s->authuser[0]) {
    logline(s, "reject reason=auth-required");
    return smtpd_session_reply(s, "530 5.7.0 authentication required");
  }
  path = after_prefix(arg, len, "FROM:", &rest);
  if (!path) return syntax_error(s, "501 5.5.4 syntax: MAIL FROM:<address>");
  if (qm_addr_parse(&a, QM_ADDR_NULL_OK | QM_ADDR_UTF8, path, rest, &used) < 0)
    return addr_error(s, &a, 0);
  np = qm_addr_params(p, QM_ADDR_PARAMS_MAX, path + used, rest - used, 1);
  if (np < 0) return syntax_error(s, "501 5.5.4 bad MAIL parameters");
  for (i = 0; i < np; i++) {
    if (s->helo != 2) return syntax_error(s, "555 5.5.4 MAIL parameters need EHLO");
    if (p[i].keylen == 4 && !strncasecmp(p[i].key, "SIZE", 4)) {
      if (!p[i].value || !parse_ulong64(&size, p[i].value, p[i].valuelen))
        return syntax_error(s, "501 5.5.4 bad SIZE value");
    } else if (p[i].keylen == 4 && !strncasecmp(p[i].key, "BODY", 4)) {
      if (!p[i].value
          || !((p[i].valuelen == 4 && !strncasecmp(p[i].value, "7BIT", 4))
               || (p[i].valuelen == 8 && !strncasecmp(p[i].value, "8BITMIME", 8))))
        return syntax_error(s, "501 5.5.4 bad BODY value");
    } else if (p[i].keylen == 8 && !strncasecmp(p[i].key, "SMTPUTF8", 8)) {
      if (p[i].value) return syntax_error(s, "501 5.5.4 SMTPUTF8 takes no value");
      utf8 = 1;
    } else
      return syntax_error(s, "555 5.5.4 unsupported MAIL parameter");
  }
  for (i = 0; i < np && !utf8; i++) {    /* values are ASCII unless SMTPUTF8 (RFC 6531 3.3) */
    size_t k;
    for (k = 0; p[i].value && k < p[i].valuelen; k++)
      if ((unsigned char)p[i].value[k] >= 0x80) return syntax_error(s, "501 5.5.4 bad MAIL parameters");
  }
  if (a.eightbit && !utf8) return smtpd_session_reply(s, "553 5.6.7 non-ASCII address without SMTPUTF8");
  if (s->cfg->databytes && size > s->cfg->databytes)
    return smtpd_session_reply(s, "552 5.3.4 message size exceeds fixed maximum message size");
  if (a.len) {
    r = s->ops->badmailfrom(s->ops->ctx, a.addr);
    if (r < 0) return smtpd_session_reply(s, "451 4.3.0 unable to read controls");
    if (r > 0) {
      memcpy(logbuf, "reject reason=badmailfrom from=", 31);
      logsafe(logbuf + 31, 200, a.addr);
      logline(s, logbuf);
      return smtpd_session_reply(s, "553 5.7.1 sorry, your envelope sender is in my badmailfrom list");
    }
  }
  if (s->authuser[0] && s->ops->senderok) {
    r = s->ops->senderok(s->ops->ctx, s->authuser, a.addr);
    if (r < 0) return smtpd_session_reply(s, "451 4.3.0 unable to check the sender, try again later");
    if (!r) {
      size_t k;
      memcpy(logbuf, "reject reason=sender-not-owned user=", 36);
      k = 36 + logsafe(logbuf + 36, SMTPD_AUTH_USER_MAX, s->authuser);
      memcpy(logbuf + k, " from=", 6);
      logsafe(logbuf + k + 6, 200, a.addr);
      logline(s, logbuf);
      return smtpd_session_reply(s, "553 5.7.1 sender address not owned by the authenticated user");
    }
  }
  memcpy(s->sender, a.addr, a.len + 1);
  s->mail = 1;
  s->utf8 = utf8;
  s->rcpts.len = 0;
  s->nrcpt = 0;
  return smtpd_session_reply(s, "250 2.1.0 ok");
}

static void lower(char *out, char const *in, size_t len)
{
  size_t i;
  for (i = 0; i < len; i++) {
    char c = in[i];
    out[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
  }
  out[len] = 0;
}

static int cmd_rcpt(smtpd_session *s, char const *arg, size_t len)
{
  qm_addr_param p[QM_ADDR_PARAMS_MAX];
  qm_addr a;
  char const *path;
  char addr[QM_ADDR_PATH_MAX + 1];
  char domain[QM_ADDR_PATH_MAX + 1];
  size_t rest, used, alen;
  int np, r, postmaster = 0;
  if (!s->mail) return smtpd_session_reply(s, "503 5.5.1 MAIL first");
  path = after_prefix(arg, len, "TO:", &rest);
  if (!path) return syntax_error(s, "501 5.5.4 syntax: RCPT TO:<address>");
  if (qm_addr_parse(&a, QM_ADDR_NODOMAIN_OK | (s->utf8 ? QM_ADDR_UTF8 : 0u), path, rest, &used) < 0)
    return addr_error(s, &a, 1);
  if (a.at == a.len) {          /* RFC 5321 4.1.1.3: only <postmaster> goes without domain */
    if (strcasecmp(a.addr, "postmaster")) return syntax_error(s, "501 5.1.3 address must include a domain");
    postmaster = 1;
  }
  np = qm_addr_params(p, QM_ADDR_PARAMS_MAX, path + used, rest - used, s->utf8);
  if (np < 0) return syntax_error(s, "501 5.5.4 bad RCPT parameters");
  if (np > 0) return syntax_error(s, "555 5.5.4 unsupported RCPT parameter");
  if (s->nrcpt >= s->maxrcpt) return smtpd_session_reply(s, "452 4.5.3 too many recipients");
  if (a.literal && s->cfg->localiphost && s->ops->ownip) {
    /* box@[one of our addresses] is local mail under the name localiphost, so
     * that the lists, rcpthosts and the delivery see the same domain as for
     * box@localiphost; an address that is not ours stays a literal */
    unsigned char ip[16];
    int fam = smtpd_ip_parse(ip, a.addr + a.at + 2, a.len - a.at - 3);
    r = fam ? s->ops->ownip(s->ops->ctx, ip, fam) : 0;
    if (r < 0) return smtpd_session_reply(s, "451 4.3.0 unable to figure out my IP addresses");
    if (r > 0) {
      size_t k = strlen(s->cfg->localiphost);
      if (k > QM_ADDR_PATH_MAX - a.at - 1) return syntax_error(s, "501 5.1.3 address too long");
      memcpy(a.addr + a.at + 1, s->cfg->localiphost, k + 1);
      a.len = a.at + 1 + k;
      a.literal = 0;
    }
  }
  r = s->ops->badrcptto(s->ops->ctx, a.addr);
  if (r < 0) return smtpd_session_reply(s, "451 4.3.0 unable to read controls");
  if (r > 0) {
    logline(s, "reject reason=badrcptto");
    return smtpd_session_reply(s, "553 5.7.1 sorry, that address is in my badrcptto list");
  }
  memcpy(addr, a.addr, a.len + 1);
  alen = a.len;
  if (s->authuser[0] && !s->cfg->relayclient) {
    /* an authenticated user relays like a RELAYCLIENT without a suffix */
  } else if (s->cfg->relayclient) {
    size_t k = strlen(s->cfg->relayclient);
    if (k > QM_ADDR_PATH_MAX - alen) return syntax_error(s, "501 5.1.3 address too long");
    memcpy(addr + alen, s->cfg->relayclient, k + 1);
    alen += k;
  } else if (!postmaster) {
    lower(domain, a.addr + a.at + 1, a.len - a.at - 1);
    r = s->ops->rcpthost(s->ops->ctx, domain);
    if (r < 0) return smtpd_session_reply(s, "451 4.3.0 unable to read controls");
    if (!r) {
      logline(s, "reject reason=rcpthosts");
      return smtpd_session_reply(s, "553 5.7.1 sorry, that domain isn't in my list of allowed rcpthosts");
    }
    if (s->ops->rcptcheck) {
      r = s->ops->rcptcheck(s->ops->ctx, a.addr);
      if (r < 0) return smtpd_session_reply(s, "451 4.3.0 unable to check recipient, try again later");
      if (!r) {
        logline(s, "reject reason=nomailbox");
        return smtpd_session_reply(s, "550 5.1.1 sorry, no mailbox here by that name");
      }
    }
  }
  if (!stralloc_catb(&s->rcpts, addr, alen + 1)) {
    smtpd_session_reply(s, "421 4.3.0 out of memory");
    s->phase = SMTPD_CLOSED;
    return 0;
  }
  s->nrcpt++;
  return smtpd_session_reply(s, "250 2.1.5 ok");
}

static int cmd_data(smtpd_session *s, size_t arglen)
{
  char rec[1536], pbuf[16], tls[2 * SMTPD_TLSFIELD_MAX + 2];
  size_t n;
  char const *proto;
  if (arglen) return syntax_error(s, "501 5.5.4 DATA takes no argument");
  if (!s->mail) return smtpd_session_reply(s, "503 5.5.1 MAIL first");
  if (!s->nrcpt) return smtpd_session_reply(s, "503 5.5.1 RCPT first");
  if (!s->ops->qq_start(s->ops->ctx)) {
    logline(s, "defer reason=qq-start");
    return smtpd_session_reply(s, "451 4.3.0 qqt failure");
  }
  s->qq = 1;
  s->qqfailed = 0;
  s->bad = s->toobig = 0;
  s->inheader = 1;
  s->hops = 0;
  s->fieldlen = 0;
  s->fieldstate = 0;
  s->bytes = 0;
  s->chunklen = 0;
  s->dstate = D_BOL;
  proto = s->helo != 2 ? "SMTP" : s->utf8 ? "UTF8SMTP" : "ESMTP";
  if (s->helo == 2) {   /* RFC 3848 and 6531: S for TLS, A for AUTH */
    size_t k = strlen(proto);
    memcpy(pbuf, proto, k);
    if (s->tls) pbuf[k++] = 'S';
    if (s->authuser[0]) pbuf[k++] = 'A';
    pbuf[k] = 0;
    proto = pbuf;
  }
  if (s->tls) {
    size_t k = strlen(s->tlsproto);
    memcpy(tls, s->tlsproto, k);
    tls[k] = ' ';
    memcpy(tls + k + 1, s->tlscipher, strlen(s->tlscipher) + 1);
  }
  n = smtpd_received(rec, sizeof rec, s->cfg, s->heloname, proto, s->tls ? tls : 0,
                     s->authuser[0] ? s->authuser : 0, s->ops->now(s->ops->ctx));
  if (!s->ops->qq_put(s->ops->ctx, rec, n)) s->qqfailed = 1;
  s->phase = SMTPD_DATA;
  return smtpd_session_reply(s, "354 go ahead, end with <CRLF>.<CRLF>");
}

/* --- STARTTLS and AUTH ----------------------------------------------------------- */

static void copy_field(char *out, char const *in)
{
  size_t n = 0;
  for (; in && *in && n < SMTPD_TLSFIELD_MAX; in++) {
    unsigned char c = (unsigned char)*in;
    out[n++] = (c > 32 && c < 127) ? (char)c : '_';
  }
  out[n] = 0;
}

void smtpd_session_tls(smtpd_session *s, char const *proto, char const *cipher)
{
  s->tls = 1;
  copy_field(s->tlsproto, proto);
  copy_field(s->tlscipher, cipher);
}

static int starttls_refused(smtpd_session *s, int syntax, char const *line)
{
  int r = syntax ? syntax_error(s, line) : smtpd_session_reply(s, line);
  if (s->ops->tlsplain) s->ops->tlsplain(s->ops->ctx);
  return r;
}

static int cmd_starttls(smtpd_session *s, size_t arglen)
{
  char proto[SMTPD_TLSFIELD_MAX + 1], cipher[SMTPD_TLSFIELD_MAX + 1];
  char line[2 * SMTPD_TLSFIELD_MAX + 32];
  size_t n;
  if (s->tls) return starttls_refused(s, 0, "503 5.5.1 TLS already active");
  if (arglen) return starttls_refused(s, 1, "501 5.5.4 STARTTLS takes no argument");
  if (!smtpd_session_reply(s, "220 2.0.0 Ready to start TLS")) return 0;
  proto[0] = cipher[0] = 0;
  if (!s->ops->starttls(s->ops->ctx, proto, cipher)) {
    logline(s, "drop reason=tls-failed");
    s->phase = SMTPD_CLOSED;
    return 0;
  }
  proto[SMTPD_TLSFIELD_MAX] = cipher[SMTPD_TLSFIELD_MAX] = 0;
  smtpd_session_tls(s, proto, cipher);
  /* RFC 3207 4.2: forget everything learnt in plaintext; the client starts over */
  s->helo = 0;
  s->heloname[0] = 0;
  reset_transaction(s);
  s->dropinput = 1;
  n = 0;
  n = cat(line, n, sizeof line, "tls proto=");
  n = cat(line, n, sizeof line, s->tlsproto);
  n = cat(line, n, sizeof line, " cipher=");
  cat(line, n, sizeof line, s->tlscipher);
  logline(s, line);
  return 1;
}

static void auth_log(smtpd_session *s, char const *what, char const *user)
{
  char line[SMTPD_AUTH_USER_MAX + 64];
  size_t n = cat(line, 0, sizeof line, what);
  n = cat(line, n, sizeof line, " user=");
  logsafe(line + n, SMTPD_AUTH_USER_MAX, user);
  logline(s, line);
}

static void auth_clear(smtpd_session *s)
{
  smtpd_auth_wipe(&s->cred, sizeof s->cred);
  s->authstate = A_NONE;
}

/* The credentials are complete: ask, wipe, answer. */
static int auth_check(smtpd_session *s)
{
  int r = s->ops->checkpw(s->ops->ctx, s->cred.user, s->cred.pass, s->cred.passlen);
  char user[SMTPD_AUTH_USER_MAX + 1];
  memcpy(user, s->cred.user, s->cred.userlen + 1);
  auth_clear(s);
  if (r > 0) {
    memcpy(s->authuser, user, strlen(user) + 1);
    auth_log(s, "auth ok", user);
    return smtpd_session_reply(s, "235 2.7.0 authentication successful");
  }
  if (r < 0) {
    auth_log(s, "auth defer", user);
    return smtpd_session_reply(s, "454 4.7.0 temporary authentication failure");
  }
  auth_log(s, "auth fail", user);
  if (!smtpd_session_reply(s, "535 5.7.8 authentication credentials invalid")) return 0;
  if (++s->authfails >= SMTPD_AUTH_FAILS_MAX) {
    smtpd_session_reply(s, "421 4.7.0 too many authentication failures, closing connection");
    logline(s, "drop reason=auth-failures");
    s->phase = SMTPD_CLOSED;
    return 0;
  }
  return 1;
}

/* One base64 response for the exchange in state. */
static int auth_step(smtpd_session *s, int state, char const *b64, size_t len)
{
  unsigned char buf[SMTPD_AUTH_RESP_MAX];
  size_t n = 0;
  int r = 1;
  s->authstate = A_NONE;
  if (len == 1 && b64[0] == '*') {
    auth_clear(s);
    return smtpd_session_reply(s, "501 5.0.0 authentication cancelled");
  }
  if (!(len == 1 && b64[0] == '=')      /* "=": an empty initial response */
      && (len > SMTPD_AUTH_B64_MAX || smtpd_b64_decode(buf, sizeof buf, &n, b64, len) < 0)) {
    auth_clear(s);
    return syntax_error(s, "501 5.5.2 cannot decode the response");
  }
  switch (state) {
  case A_PLAIN:
    r = smtpd_auth_plain(&s->cred, buf, n);
    break;
  case A_LOGIN_USER:
    if (smtpd_auth_user_ok((char const *)buf, n)) {
      memcpy(s->cred.user, buf, n);
      s->cred.user[n] = 0;
      s->cred.userlen = n;
      s->authstate = A_LOGIN_PASS;
      return smtpd_session_reply(s, "334 UGFzc3dvcmQ6");     /* "Password:" */
    }
    r = -1;
    break;
  default:
    r = smtpd_auth_setpass(&s->cred, buf, n);
  }
  smtpd_auth_wipe(buf, sizeof buf);
  if (r < 0) {
    auth_clear(s);
    return syntax_error(s, "501 5.5.2 malformed credentials");
  }
  return auth_check(s);
}

static int cmd_auth(smtpd_session *s, char const *arg, size_t len)
{
  size_t mlen = 0;
  char const *init = 0;
  size_t ilen = 0;
  if (!s->tls) return smtpd_session_reply(s, "538 5.7.11 encryption required: send STARTTLS first");
  if (s->helo != 2) return smtpd_session_reply(s, "503 5.5.1 send EHLO first");
  if (s->authuser[0]) return smtpd_session_reply(s, "503 5.5.1 already authenticated");
  if (s->mail) return smtpd_session_reply(s, "503 5.5.1 AUTH not permitted during a mail transaction");
  while (mlen < len && arg[mlen] != ' ') mlen++;
  if (mlen < len) { init = arg + mlen + 1; ilen = len - mlen - 1; }
  if (mlen == 5 && !strncasecmp(arg, "PLAIN", 5)) {
    if (init) return auth_step(s, A_PLAIN, init, ilen);
    s->authstate = A_PLAIN;
    return smtpd_session_reply(s, "334 ");
  }
  if (mlen == 5 && !strncasecmp(arg, "LOGIN", 5)) {
    if (init) return auth_step(s, A_LOGIN_USER, init, ilen);
    s->authstate = A_LOGIN_USER;
    return smtpd_session_reply(s, "334 VXNlcm5hbWU6");        /* "Username:" */
  }
  if (!mlen) return syntax_error(s, "501 5.5.4 syntax: AUTH mechanism [initial-response]");
  return smtpd_session_reply(s, "504 5.5.4 unrecognized authentication type");
}

static int command(smtpd_session *s, char *line, size_t len)
{
  char const *verb = line, *arg;
  size_t vlen = 0, alen;
  while (vlen < len && line[vlen] != ' ') vlen++;
  arg = line + vlen;
  alen = len - vlen;
  if (alen) { arg++; alen--; }
  if (is_verb(verb, vlen, "EHLO")) return cmd_helo(s, 1, arg, alen);
  if (is_verb(verb, vlen, "HELO")) return cmd_helo(s, 0, arg, alen);
  if (is_verb(verb, vlen, "MAIL")) return cmd_mail(s, arg, alen);
  if (is_verb(verb, vlen, "RCPT")) return cmd_rcpt(s, arg, alen);
  if (is_verb(verb, vlen, "DATA")) return cmd_data(s, alen);
  if (is_verb(verb, vlen, "RSET")) {
    if (alen) return syntax_error(s, "501 5.5.4 RSET takes no argument");
    reset_transaction(s);
    return smtpd_session_reply(s, "250 2.0.0 flushed");
  }
  if (is_verb(verb, vlen, "NOOP")) return smtpd_session_reply(s, "250 2.0.0 ok");
  if (is_verb(verb, vlen, "VRFY")) return smtpd_session_reply(s, "252 2.0.0 send some mail, I'll try my best");
  if (is_verb(verb, vlen, "HELP")) {
    if (!smtpd_session_reply(s, "214-2.0.0 This is qmail-smtpd; commands: HELO EHLO MAIL RCPT DATA")) return 0;
    return smtpd_session_reply(s, "214 2.0.0 RSET NOOP VRFY HELP QUIT; see RFC 5321");
  }
  if (is_verb(verb, vlen, "STARTTLS") && s->cfg->tls && s->ops->starttls) return cmd_starttls(s, alen);
  if (is_verb(verb, vlen, "AUTH") && s->cfg->submission && s->ops->checkpw) return cmd_auth(s, arg, alen);
  if (is_verb(verb, vlen, "QUIT")) {
    reply4(s, "221 2.0.0 ", s->cfg->greeting, 0, 0);
    s->phase = SMTPD_CLOSED;
    return 0;
  }
  if (s->ops->extcmd) {
    char v[16];
    if (vlen < sizeof v) {
      memcpy(v, verb, vlen);
      v[vlen] = 0;
      if (s->ops->extcmd(s->ops->ctx, s, v, arg, alen)) return s->phase != SMTPD_CLOSED;
    }
  }
  return syntax_error(s, "500 5.5.2 unrecognized command");
}

/* One complete line (without its LF). */
static int line_done(smtpd_session *s)
{
  size_t len = s->linelen, i;
  s->linelen = 0;
  if (len && s->line[len - 1] == '\r') len--;
  if (s->authstate || (len >= 5 && !strncasecmp(s->line, "AUTH ", 5))) {
    /* the line carries credentials: answer it, then leave no copy behind */
    int r;
    if (s->authstate) r = auth_step(s, s->authstate, s->line, len);
    else {
      for (i = 0; i < len; i++)
        if ((unsigned char)s->line[i] < 32 || s->line[i] == 127) break;
      s->line[len] = 0;
      r = i < len ? syntax_error(s, "500 5.5.2 bad characters in command") : command(s, s->line, len);
    }
    smtpd_auth_wipe(s->line, sizeof s->line);
    return r;
  }
  for (i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s->line[i];
    if (c < 32 || c == 127) return syntax_error(s, "500 5.5.2 bad characters in command");
  }
  if (!len) return syntax_error(s, "500 5.5.2 empty command");
  s->line[len] = 0;
  return command(s, s->line, len);
}

/* --- DATA ----------------------------------------------------------------------- */

static void discard_queue(smtpd_session *s)
{
  if (s->qq) {
    s->ops->qq_abort(s->ops->ctx);
    s->qq = 0;
  }
  s->chunklen = 0;
}

static void chunk_flush(smtpd_session *s)
{
  if (s->chunklen && s->qq && !s->qqfailed)
    if (!s->ops->qq_put(s->ops->ctx, s->chunk, s->chunklen)) s->qqfailed = 1;
  s->chunklen = 0;
}

static void header_byte(smtpd_session *s, unsigned char c)
{
  if (c == '\n') {
    if (!s->fieldstate && !s->fieldlen) s->inheader = 0;   /* the empty line */
    s->fieldstate = 0;
    s->fieldlen = 0;
    return;
  }
  if (s->fieldstate) return;
  if (c == ':') {
    size_t n = s->fieldlen;
    while (n && (s->field[n - 1] == ' ' || s->field[n - 1] == '\t')) n--;
    if ((n == 8 && !memcmp(s->field, "received", 8)) || (n == 12 && !memcmp(s->field, "delivered-to", 12)))
      if (++s->hops >= SMTPD_HOPS_MAX) discard_queue(s);
    s->fieldstate = 1;
    return;
  }
  if (s->fieldlen >= SMTPD_FIELDNAME_MAX) { s->fieldstate = 1; return; }
  s->field[s->fieldlen++] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : (char)c;
}

static void store(smtpd_session *s, unsigned char c)
{
  if (s->inheader) header_byte(s, c);
  if (s->bytes < UINT64_MAX) s->bytes++;
  if (s->cfg->databytes && s->bytes > s->cfg->databytes && !s->toobig) {
    s->toobig = 1;
    discard_queue(s);
  }
  if (!s->qq || s->qqfailed) return;
  s->chunk[s->chunklen++] = (char)c;
  if (s->chunklen == sizeof s->chunk) chunk_flush(s);
}

static void mark_bad(smtpd_session *s)
{
  if (!s->bad) {
    s->bad = 1;
    discard_queue(s);
  }
}

/* Reply with the queue's text, its "(#x.y.z)" code moved to the front. */
static int reply_status(smtpd_session *s, qm_qq_status const *st)
{
  char code[16];
  char const *p = strstr(st->text, "(#");
  size_t n = 0;
  if (p && (p[2] == '4' || p[2] == '5')) {
    p += 2;
    while (n < 10 && p[n] && p[n] != ')') n++;
    memcpy(code, p, n);
  }
  if (!n || code[0] != (st->kind == 'D' ? '5' : '4')) {
    memcpy(code, st->kind == 'D' ? "5.3.0" : "4.3.0", 5);
    n = 5;
  }
  code[n] = 0;
  return reply4(s, st->kind == 'D' ? "554 " : "451 ", code, " ", st->text);
}

static int data_end(smtpd_session *s)
{
  char line[QM_ADDR_PATH_MAX + 160], num[24], num2[24];
  size_t n;
  int r;
  s->phase = SMTPD_CMD;
  chunk_flush(s);
  if (s->bad || s->toobig || s->hops >= SMTPD_HOPS_MAX) {
    discard_queue(s);
    reset_transaction(s);
    if (s->bad) {
      logline(s, "reject reason=bare-cr-or-lf");
      return smtpd_session_reply(s, "554 5.6.0 message contains bare CR or LF; see RFC 5321 2.3.8");
    }
    if (s->toobig) {
      logline(s, "reject reason=databytes");
      return smtpd_session_reply(s, "552 5.3.4 sorry, that message size exceeds my databytes limit");
    }
    logline(s, "reject reason=hops");
    return smtpd_session_reply(s, "554 5.4.6 too many hops, this message is looping");
  }
  {
    char const **rcpts;
    qm_qq_status st;
    unsigned long qp = 0;
    size_t i, off = 0;
    stralloc list = STRALLOC_ZERO;
    /* An array of pointers into s->rcpts; its size is bounded by maxrcpt. */
    size_t need;
    if (!qm_size_mul(&need, s->nrcpt, sizeof(char *)) || !stralloc_ready(&list, need)) {
      discard_queue(s);
      reset_transaction(s);
      return smtpd_session_reply(s, "451 4.3.0 out of memory");
    }
    rcpts = (char const **)(void *)list.s;
    for (i = 0; i < s->nrcpt; i++) {
      rcpts[i] = s->rcpts.s + off;
      off += strlen(s->rcpts.s + off) + 1;
    }
    s->qq = 0;
    r = s->ops->qq_finish(s->ops->ctx, s->sender, rcpts, s->nrcpt, &st, &qp);
    stralloc_free(&list);
    num[put_uint(num, qp, 1)] = 0;
    num2[put_uint(num2, (unsigned long)s->ops->now(s->ops->ctx), 1)] = 0;
    if (r) {
      char sb[QM_ADDR_PATH_MAX + 1], nb[24], bb[24];
      logsafe(sb, 200, s->sender);
      nb[put_uint(nb, (unsigned long)s->nrcpt, 1)] = 0;
      bb[put_uint(bb, (unsigned long)s->bytes, 1)] = 0;
      n = 0;
      n = cat(line, n, sizeof line, "accept qp=");
      n = cat(line, n, sizeof line, num);
      n = cat(line, n, sizeof line, " from=<");
      n = cat(line, n, sizeof line, sb);
      n = cat(line, n, sizeof line, "> rcpts=");
      n = cat(line, n, sizeof line, nb);
      n = cat(line, n, sizeof line, " bytes=");
      n = cat(line, n, sizeof line, bb);
      logline(s, line);
      reset_transaction(s);
      return reply4(s, "250 2.0.0 ok ", num2, " qp ", num);
    }
    n = 0;
    n = cat(line, n, sizeof line, st.kind == 'D' ? "reject reason=queue text=" : "defer reason=queue text=");
    logsafe(line + n, 200, st.text);
    logline(s, line);
    reset_transaction(s);
    return reply_status(s, &st);
  }
}

/* Consumes message bytes; returns how many it used (it stops after the final dot). */
static size_t data_input(smtpd_session *s, char const *buf, size_t len, int *ended)
{
  size_t i;
  *ended = 0;
  for (i = 0; i < len; i++) {
    unsigned char c;
    if (s->dstate == D_MID && (s->bad || s->toobig || s->hops >= SMTPD_HOPS_MAX)) {
      /* The answer is settled and nothing is stored: only a CR can matter now, so
       * skip to the next one at memchr speed (a 4 GB flood costs seconds). */
      char const *cr = memchr(buf + i, '\r', len - i);
      if (!cr) return len;
      i = (size_t)(cr - buf);
    }
    c = (unsigned char)buf[i];
    switch (s->dstate) {
    case D_BOL:
      if (c == '.') { s->dstate = D_DOT; continue; }
      break;
    case D_DOT:
      if (c == '\r') { s->dstate = D_DOTCR; continue; }
      break;                      /* the stuffed dot is dropped */
    case D_DOTCR:
      if (c == '\n') { *ended = 1; return i + 1; }
      mark_bad(s);                /* ".\r" and then not LF: a bare CR */
      store(s, '\r');
      break;
    case D_CR:
      if (c == '\n') { store(s, '\n'); s->dstate = D_BOL; continue; }
      mark_bad(s);
      store(s, '\r');
      if (c == '\r') continue;
      break;
    default:
      break;
    }
    /* the middle of a line */
    if (c == '\r') { s->dstate = D_CR; continue; }
    if (c == '\n') mark_bad(s);   /* a bare LF never starts a line: no smuggling */
    store(s, c);
    s->dstate = D_MID;
  }
  return len;
}

int smtpd_session_input(smtpd_session *s, char const *buf, size_t len)
{
  size_t i = 0;
  while (i < len) {
    if (s->phase == SMTPD_CLOSED) return 0;
    if (s->phase == SMTPD_DATA) {
      int ended;
      i += data_input(s, buf + i, len - i, &ended);
      if (ended && !data_end(s)) return 0;
      continue;
    }
    /* command phase: collect a line */
    {
      char const *nl = memchr(buf + i, '\n', len - i);
      size_t take = nl ? (size_t)(nl - (buf + i)) : len - i;
      if (s->discard) {
        if (!qm_size_add_capped(&s->discard, take, SMTPD_DISCARD_MAX)) {
          smtpd_session_reply(s, "421 4.7.0 line far too long, closing connection");
          logline(s, "drop reason=line-length");
          s->phase = SMTPD_CLOSED;
          return 0;
        }
        i += take;
        if (nl) { i++; s->discard = 0; }
        continue;
      }
      if (take > SMTPD_LINE_MAX - s->linelen) {
        /* too long: answer now, skip the rest of it (bounded) */
        s->discard = 1;
        s->linelen = 0;
        if (!syntax_error(s, "500 5.5.2 line too long")) return 0;
        continue;
      }
      memcpy(s->line + s->linelen, buf + i, take);
      s->linelen += take;
      i += take;
      if (nl) {
        i++;
        if (!line_done(s)) return 0;
        if (s->dropinput) {
          /* TLS began after this line: what followed it in the same read was sent
           * in plaintext before the handshake (CVE-2011-0411) and is not ours */
          s->dropinput = 0;
          return s->phase != SMTPD_CLOSED;
        }
      }
    }
  }
  return s->phase != SMTPD_CLOSED;
}
