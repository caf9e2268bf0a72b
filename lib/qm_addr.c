/* RFC 5321 path parsing, one byte at a time, and ESMTP parameter splitting. Trusts
 * no input byte: controls, NUL and (unless allowed) 8-bit bytes are refused where
 * they appear, and no count passes its QM_ADDR_* limit before it is checked. Never
 * writes past qm_addr.addr: each stored byte consumed at least one wire byte, and
 * the wire is capped at QM_ADDR_PATH_MAX. */
#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

#include "qm_addr.h"

enum {
  ST_OPEN,      /* before '<' */
  ST_FIRST,     /* just after '<' */
  ST_RAT,       /* source route: expecting '@' */
  ST_RDOM,      /* source route: in a domain */
  ST_RLIT,      /* source route: in an address literal */
  ST_LSTART,    /* local part: first byte */
  ST_LOCAL,     /* local part: dot-string */
  ST_QUOTED,    /* local part: inside quotes */
  ST_QESC,      /* local part: after a backslash inside quotes */
  ST_QEND,      /* local part: after the closing quote */
  ST_DSTART,    /* domain: first byte */
  ST_DOM,       /* domain: dot-separated labels */
  ST_LIT,       /* domain: inside "[...]" */
  ST_LITEND,    /* domain: after ']' */
  ST_DONE,
  ST_FAILED
};

void qm_addr_init(qm_addr *a, unsigned flags)
{
  memset(a, 0, sizeof *a);
  a->flags = flags;
  a->state = ST_OPEN;
}

static int is_alnum(unsigned char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int is_atext(unsigned char c)
{
  return is_alnum(c) || (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

/* The first continuation byte's range for a UTF-8 lead byte, and how many follow;
 * 0 if c cannot start a sequence. */
static unsigned utf8_lead(unsigned char c, unsigned char *lo, unsigned char *hi)
{
  *lo = 0x80; *hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) return 1;
  if (c == 0xe0) { *lo = 0xa0; return 2; }
  if (c == 0xed) { *hi = 0x9f; return 2; }     /* no surrogates */
  if (c >= 0xe1 && c <= 0xef) return 2;
  if (c == 0xf0) { *lo = 0x90; return 3; }
  if (c >= 0xf1 && c <= 0xf3) return 3;
  if (c == 0xf4) { *hi = 0x8f; return 3; }     /* nothing past U+10FFFF */
  return 0;
}

int qm_addr_utf8_valid(char const *s, size_t len)
{
  size_t i = 0;
  while (i < len) {
    unsigned char c = (unsigned char)s[i++], lo, hi;
    unsigned need;
    if (c < 0x80) continue;
    need = utf8_lead(c, &lo, &hi);
    if (!need) return 0;
    while (need--) {
      if (i >= len) return 0;
      c = (unsigned char)s[i++];
      if (c < lo || c > hi) return 0;
      lo = 0x80; hi = 0xbf;
    }
  }
  return 1;
}

int qm_addr_ipv4(char const *s, size_t len, unsigned char ip[4])
{
  size_t i = 0;
  int part;
  for (part = 0; part < 4; part++) {
    unsigned v = 0, digits = 0;
    if (part) {
      if (i >= len || s[i] != '.') return 0;
      i++;
    }
    while (i < len && s[i] >= '0' && s[i] <= '9' && digits < 3) {
      v = v * 10 + (unsigned)(s[i] - '0');
      i++; digits++;
    }
    if (!digits || v > 255) return 0;
    if (ip) ip[part] = (unsigned char)v;
  }
  return i == len;
}

/* "[...]" contents: 4 for a dotted quad, 6 for "IPv6:" and an address, else 0. */
static int literal_kind(char const *s, size_t len)
{
  char buf[QM_ADDR_LITERAL_MAX + 1];
  unsigned char bin[16];
  if (qm_addr_ipv4(s, len, 0)) return 4;
  if (len <= 5 || len > QM_ADDR_LITERAL_MAX || strncasecmp(s, "IPv6:", 5)) return 0;
  memcpy(buf, s + 5, len - 5);
  buf[len - 5] = 0;
  return inet_pton(AF_INET6, buf, bin) == 1 ? 6 : 0;
}

static int fail(qm_addr *a, enum qm_addr_err e)
{
  a->err = e;
  a->state = ST_FAILED;
  return -1;
}

static void put(qm_addr *a, unsigned char c)
{
  a->addr[a->len++] = (char)c;
  a->addr[a->len] = 0;
}

/* States whose text may hold UTF-8 when it is allowed. */
static int utf8_state(int st)
{
  return st == ST_LSTART || st == ST_LOCAL || st == ST_QUOTED || st == ST_DSTART
      || st == ST_DOM || st == ST_RDOM;
}

static int local_state(int st)
{
  return st == ST_LSTART || st == ST_LOCAL || st == ST_QUOTED || st == ST_QESC || st == ST_QEND;
}

static int domain_state(int st)
{
  return st == ST_DSTART || st == ST_DOM || st == ST_LIT || st == ST_LITEND;
}

/* One byte. Returns 1 when the path is complete, 0 for more, -1 on error. */
static int step(qm_addr *a, unsigned char c)
{
  if (++a->wire > QM_ADDR_PATH_MAX) return fail(a, QM_ADDR_ETOOLONG);
  if (c < 32 || c == 127) return fail(a, QM_ADDR_ECTRL);
  /* Right after '<' anything but '>' or a route starts the local part. */
  if (a->state == ST_FIRST && c != '>' && c != '@') a->state = ST_LSTART;
  /* The byte that ends a part ('@' or '>') is counted with it, hence the + 1. */
  if (local_state(a->state) && ++a->localwire > QM_ADDR_LOCAL_MAX + 1)
    return fail(a, QM_ADDR_ELOCALLONG);
  if (domain_state(a->state) && ++a->domwire > QM_ADDR_DOMAIN_MAX + 1)
    return fail(a, QM_ADDR_EDOMAINLONG);

  if (a->utf8need) {
    if (c < a->utf8lo || c > a->utf8hi) return fail(a, QM_ADDR_EUTF8);
    a->utf8lo = 0x80; a->utf8hi = 0xbf;
    a->utf8need--;
    if (a->state == ST_RDOM) return 0;
    put(a, c);
    if (a->state == ST_DOM && ++a->label > QM_ADDR_LABEL_MAX) return fail(a, QM_ADDR_EDOMAINLONG);
    return 0;
  }
  if (c >= 0x80) {
    if (!(a->flags & QM_ADDR_UTF8)) return fail(a, QM_ADDR_E8BIT);
    if (!utf8_state(a->state)) return fail(a, QM_ADDR_ESYNTAX);
    a->utf8need = utf8_lead(c, &a->utf8lo, &a->utf8hi);
    if (!a->utf8need) return fail(a, QM_ADDR_EUTF8);
    a->eightbit = 1;
    a->prev = c;
    switch (a->state) {
    case ST_RDOM: a->label++; return 0;
    case ST_LSTART: a->state = ST_LOCAL; break;
    case ST_DSTART: a->state = ST_DOM; a->label = 0; break;
    default: break;
    }
    put(a, c);
    if (a->state == ST_DOM && ++a->label > QM_ADDR_LABEL_MAX) return fail(a, QM_ADDR_EDOMAINLONG);
    return 0;
  }

  switch (a->state) {
  case ST_OPEN:
    if (c != '<') return fail(a, QM_ADDR_ENOBRACKET);
    a->state = ST_FIRST;
    return 0;

  case ST_FIRST:
    if (c == '>') {
      if (!(a->flags & QM_ADDR_NULL_OK)) return fail(a, QM_ADDR_ENULL);
      a->state = ST_DONE;
      return 1;
    }
    a->state = ST_RDOM;   /* c == '@': a source route, kept for nothing */
    a->label = 0;
    return 0;

  case ST_RAT:
    if (c != '@') return fail(a, QM_ADDR_ESYNTAX);
    a->state = ST_RDOM;
    a->label = 0;
    return 0;

  case ST_RDOM:
    if (is_alnum(c) || c == '-' || c == '.') { a->label++; return 0; }
    if (c == '[' && !a->label) { a->state = ST_RLIT; return 0; }
    if (!a->label) return fail(a, QM_ADDR_ESYNTAX);
    if (c == ',') { a->state = ST_RAT; return 0; }
    if (c == ':') { a->state = ST_LSTART; a->localwire = 0; return 0; }
    return fail(a, QM_ADDR_ESYNTAX);

  case ST_RLIT:
    if (c == ']') { a->state = ST_RDOM; a->label = 1; return 0; }
    if (c == '[' || c == '\\' || c == ' ') return fail(a, QM_ADDR_ESYNTAX);
    return 0;

  case ST_LSTART:
    if (c == '"') { a->quoted = 1; a->state = ST_QUOTED; return 0; }
    if (!is_atext(c)) return fail(a, QM_ADDR_ESYNTAX);
    a->state = ST_LOCAL;
    a->prev = c;
    put(a, c);
    return 0;

  case ST_LOCAL:
    if (is_atext(c) || c == '.') {
      if (c == '.' && a->prev == '.') return fail(a, QM_ADDR_ESYNTAX);
      a->prev = c;
      put(a, c);
      return 0;
    }
    if (a->prev == '.') return fail(a, QM_ADDR_ESYNTAX);
    goto local_end;

  case ST_QUOTED:
    if (c == '"') {
      if (!a->len) return fail(a, QM_ADDR_ESYNTAX);  /* "" would be an empty mailbox */
      a->state = ST_QEND;
      return 0;
    }
    if (c == '\\') { a->state = ST_QESC; return 0; }
    put(a, c);
    return 0;

  case ST_QESC:
    a->state = ST_QUOTED;
    put(a, c);
    return 0;

  case ST_QEND:
  local_end:
    if (c == '@') {
      a->at = a->len;
      put(a, c);
      a->state = ST_DSTART;
      a->label = 0;
      return 0;
    }
    if (c != '>') return fail(a, QM_ADDR_ESYNTAX);
    if (!(a->flags & QM_ADDR_NODOMAIN_OK)) return fail(a, QM_ADDR_ENODOMAIN);
    a->at = a->len;
    a->state = ST_DONE;
    return 1;

  case ST_DSTART:
    if (c == '[') {
      put(a, c);
      a->litstart = a->len;
      a->state = ST_LIT;
      return 0;
    }
    if (!is_alnum(c)) return fail(a, c == '>' ? QM_ADDR_ENODOMAIN : QM_ADDR_ESYNTAX);
    a->state = ST_DOM;
    a->label = 1;
    a->prev = c;
    put(a, c);
    return 0;

  case ST_DOM:
    if (is_alnum(c) || c == '-') {
      if (c == '-' && !a->label) return fail(a, QM_ADDR_ESYNTAX);
      if (++a->label > QM_ADDR_LABEL_MAX) return fail(a, QM_ADDR_EDOMAINLONG);
      a->prev = c;
      put(a, c);
      return 0;
    }
    if (c != '.' && c != '>') return fail(a, QM_ADDR_ESYNTAX);
    if (!a->label || a->prev == '-') return fail(a, QM_ADDR_ESYNTAX);
    if (c == '>') { a->state = ST_DONE; return 1; }
    a->label = 0;
    a->prev = c;
    put(a, c);
    return 0;

  case ST_LIT:
    if (c == ']') {
      a->literal = literal_kind(a->addr + a->litstart, a->len - a->litstart);
      if (!a->literal) return fail(a, QM_ADDR_ELITERAL);
      put(a, c);
      a->state = ST_LITEND;
      return 0;
    }
    if (c == '[' || c == '\\' || c == ' ') return fail(a, QM_ADDR_ELITERAL);
    if (a->len - a->litstart >= QM_ADDR_LITERAL_MAX) return fail(a, QM_ADDR_ELITERAL);
    put(a, c);
    return 0;

  case ST_LITEND:
    if (c != '>') return fail(a, QM_ADDR_ESYNTAX);
    a->state = ST_DONE;
    return 1;

  default:
    return fail(a, QM_ADDR_EDONE);
  }
}

int qm_addr_feed(qm_addr *a, char const *s, size_t len)
{
  size_t i;
  if (a->state == ST_FAILED) return -1;
  if (a->state == ST_DONE) { a->err = QM_ADDR_EDONE; return -1; }
  for (i = 0; i < len; i++) {
    int r = step(a, (unsigned char)s[i]);
    if (r < 0) return -1;
    if (r > 0) return (int)(i + 1);   /* i < QM_ADDR_PATH_MAX: step caps the wire */
  }
  return 0;
}

int qm_addr_parse(qm_addr *a, unsigned flags, char const *s, size_t len, size_t *used)
{
  int r;
  qm_addr_init(a, flags);
  r = qm_addr_feed(a, s, len);
  if (!r) { a->err = QM_ADDR_ESYNTAX; a->state = ST_FAILED; return -1; }
  if (r < 0) return -1;
  *used = (size_t)r;
  return 1;
}

char const *qm_addr_strerror(enum qm_addr_err e)
{
  switch (e) {
  case QM_ADDR_OK: return "ok";
  case QM_ADDR_ENOBRACKET: return "path must be in angle brackets";
  case QM_ADDR_ESYNTAX: return "bad address syntax";
  case QM_ADDR_ECTRL: return "control character in address";
  case QM_ADDR_E8BIT: return "non-ASCII address without SMTPUTF8";
  case QM_ADDR_EUTF8: return "malformed UTF-8 in address";
  case QM_ADDR_ETOOLONG: return "path too long";
  case QM_ADDR_ELOCALLONG: return "local part too long";
  case QM_ADDR_EDOMAINLONG: return "domain too long";
  case QM_ADDR_ENULL: return "empty address not allowed here";
  case QM_ADDR_ENODOMAIN: return "address must include a domain";
  case QM_ADDR_ELITERAL: return "bad address literal";
  case QM_ADDR_EDONE: return "text after the path";
  }
  return "unknown error";
}

int qm_addr_params(qm_addr_param *out, size_t max, char const *s, size_t len, int utf8)
{
  size_t i = 0, n = 0;
  if (len && s[0] != ' ') return -1;
  for (;;) {
    size_t k;
    int high = 0;
    while (i < len && s[i] == ' ') i++;
    if (i >= len) return (int)n;
    if (n >= max || n >= QM_ADDR_PARAMS_MAX) return -1;
    k = i;
    if (!is_alnum((unsigned char)s[i])) return -1;
    while (i < len && (is_alnum((unsigned char)s[i]) || s[i] == '-')) i++;
    if (i - k > QM_ADDR_KEYWORD_MAX) return -1;
    out[n].key = s + k;
    out[n].keylen = i - k;
    out[n].value = 0;
    out[n].valuelen = 0;
    if (i < len && s[i] == '=') {
      size_t v = ++i;
      while (i < len && s[i] != ' ') {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80) high = 1;
        else if (c < 33 || c > 126 || c == '=') return -1;
        i++;
      }
      if (i == v) return -1;
      if (high && (!utf8 || !qm_addr_utf8_valid(s + v, i - v))) return -1;
      out[n].value = s + v;
      out[n].valuelen = i - v;
    }
    if (i < len && s[i] != ' ') return -1;
    n++;
  }
}

int qm_addr_xtext_valid(char const *s, size_t len)
{
  size_t i;
  for (i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '+') {
      size_t j;
      if (len - i < 3) return 0;
      for (j = 1; j <= 2; j++) {
        unsigned char h = (unsigned char)s[i + j];
        if (!((h >= '0' && h <= '9') || (h >= 'A' && h <= 'F'))) return 0;
      }
      i += 2;
    } else if (c < 33 || c > 126 || c == '=') return 0;
  }
  return 1;
}
