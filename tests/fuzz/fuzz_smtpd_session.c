/* libFuzzer harness for the SMTP session: the first byte picks the chunk size, the
 * queue's answer and the STARTTLS/submission settings, the rest is the client's
 * bytes (a fake TLS helper and checkpassword answer STARTTLS and AUTH). The session must never crash,
 * must send only CRLF-ended replies of bounded length, must never touch a queue
 * that is not running, and must leave none running at the end. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../qmail-smtpd/smtpd_access.h"
#include "../../qmail-smtpd/smtpd_session.h"

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size);

typedef struct { int running; char kind; size_t queued; } fctx;

static int f_reply(void *c, char const *s, size_t len)
{
  (void)c;
  if (len < 2 || len > SMTPD_REPLY_MAX + 2 || s[len - 2] != '\r' || s[len - 1] != '\n') abort();
  if (memchr(s, '\n', len - 1) || memchr(s, 0, len)) abort();
  return 1;
}
static time_t f_now(void *c) { (void)c; return 1700000000; }
static int f_host(void *c, char const *d) { (void)c; return !strcmp(d, "example.org") ? 1 : d[0] == 't' ? -1 : 0; }
static int f_bad(void *c, char const *a) { (void)c; return a[0] == 'b'; }
static int f_check(void *c, char const *a) { (void)c; return a[0] != 'n'; }
static int f_start(void *c) { fctx *f = c; if (f->running || f->kind == 'S') return 0; f->running = 1; return 1; }
static int f_put(void *c, char const *s, size_t len)
{
  fctx *f = c;
  (void)s;
  if (!f->running) abort();
  f->queued += len;
  return f->kind != 'P';
}
static int f_finish(void *c, char const *sender, char const *const *rcpts, size_t n,
                    qm_qq_status *st, unsigned long *qp)
{
  fctx *f = c;
  size_t i;
  if (!f->running || !n) abort();
  if (strlen(sender) > QM_ADDR_PATH_MAX) abort();
  for (i = 0; i < n; i++) if (strlen(rcpts[i]) > QM_ADDR_PATH_MAX + 8) abort();
  f->running = 0;
  *qp = 1;
  qm_qq_status_from_exit(st, f->kind == 'D' ? 31 : f->kind == 'Z' ? 53 : 0, 0, 0);
  return st->kind == 'K';
}
static void f_abort(void *c) { fctx *f = c; if (!f->running) abort(); f->running = 0; }
static int f_tls(void *c, char *proto, char *cipher)
{
  fctx *f = c;
  memcpy(proto, "TLSv1.3", 8);
  memcpy(cipher, "TLS_AES_128_GCM_SHA256", 23);
  return f->kind != 'S';
}
static void f_plain(void *c) { (void)c; }
static int f_pw(void *c, char const *user, char const *pass, size_t passlen)
{
  (void)c;
  if (!*user || strlen(user) > SMTPD_AUTH_USER_MAX || !passlen || passlen > SMTPD_AUTH_PASS_MAX
      || strlen(pass) != passlen) abort();
  return user[0] == 'j' ? 1 : user[0] == 't' ? -1 : 0;
}
static int f_ownip(void *c, unsigned char const *ip, int family)
{
  (void)c;
  if (family != 4 && family != 6) abort();
  return ip[family == 4 ? 3 : 15] == 7 ? 1 : ip[0] == 198 ? -1 : 0;
}
static int f_sender(void *c, char const *user, char const *sender) { (void)c; return user[0] == sender[0]; }

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size)
{
  static smtpd_session s;
  static char const kinds[] = "KDZSP";
  smtpd_config cfg;
  smtpd_ops ops = { 0, f_reply, 0, f_now, f_host, f_bad, f_bad, f_check,
                    f_start, f_put, f_finish, f_abort, 0, f_tls, f_plain, f_pw, f_sender, f_ownip };
  fctx f = { 0, 'K', 0 };
  size_t chunk, i;
  if (!size) return 0;
  chunk = (size_t)(data[0] & 31) + 1;
  f.kind = kinds[(data[0] >> 5) % 5];
  memset(&cfg, 0, sizeof cfg);
  cfg.greeting = cfg.localhost = "mx.example.org";
  cfg.remoteip = "192.0.2.1";
  cfg.databytes = 4096;
  cfg.relayclient = (data[0] & 0x80) ? "" : 0;
  cfg.tls = 1;
  cfg.submission = (data[0] & 2) != 0;
  cfg.tlsrequired = (data[0] & 4) != 0;
  cfg.localiphost = (data[0] & 8) ? "lih.example.org" : 0;
  ops.ctx = &f;
  if (!smtpd_session_start(&s, &cfg, &ops)) abort();
  for (i = 1; i < size; i += chunk) {
    size_t n = size - i < chunk ? size - i : chunk;
    if (!smtpd_session_input(&s, (char const *)data + i, n)) break;
    if (s.linelen > SMTPD_LINE_MAX || s.nrcpt > SMTPD_RCPT_MAX) abort();
  }
  smtpd_session_end(&s, data[0] & 1);
  smtpd_session_free(&s);
  if (f.running) abort();
  return 0;
}
