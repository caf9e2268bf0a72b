/* Request framing and parsing, and answer formatting, for the qmail-dns protocol.
 * Requests come from local clients and are not trusted: a frame is refused as soon
 * as its length prefix says more than the limit. Answers are built from parsed
 * packets whose names were already checked to be host names. */
#include <string.h>
#include <arpa/inet.h>

#include "qdns_proto.h"

int qdns_proto_frame(char const *buf, size_t len, size_t max,
                     size_t *off, size_t *plen, size_t *used)
{
  size_t n = 0, i = 0;
  while (i < len && buf[i] >= '0' && buf[i] <= '9') {
    if (i >= QDNS_FRAME_DIGITS) return -1;
    if (i == 1 && buf[0] == '0') return -1;   /* no leading zeros: one spelling only */
    n = n * 10 + (size_t)(buf[i] - '0');
    i++;
  }
  if (i == len) return i > QDNS_FRAME_DIGITS ? -1 : (n > max ? -1 : 0);
  if (!i || buf[i] != ':' || n > max) return -1;
  i++;
  if (len - i < n + 1) return 0;
  if (buf[i + n] != ',') return -1;
  *off = i;
  *plen = n;
  *used = i + n + 1;
  return 1;
}

static struct { char const *word; enum qdns_qtype type; } const types[] = {
  { "MX", QDNS_Q_MX }, { "A", QDNS_Q_A }, { "AAAA", QDNS_Q_AAAA },
};

int qdns_proto_request(struct qdns_req *r, char const *s, size_t len, char const **why)
{
  *why = "unknown type";
  if (len == 5 && !memcmp(s, "STATS", 5)) {
    r->type = QDNS_Q_STATS;
    r->namelen = 0;
    return 1;
  }
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
    size_t w = strlen(types[i].word);
    if (len <= w || memcmp(s, types[i].word, w) || s[w] != ' ') continue;
    r->type = types[i].type;
    r->namelen = qdns_name_fromtext(r->name, s + w + 1, len - w - 1);
    if (!r->namelen) { *why = "invalid domain name"; return -1; }
    return 1;
  }
  return -1;
}

unsigned qdns_proto_dnstype(enum qdns_qtype t)
{
  switch (t) {
  case QDNS_Q_MX: return QDNS_T_MX;
  case QDNS_Q_A: return QDNS_T_A;
  case QDNS_Q_AAAA: return QDNS_T_AAAA;
  case QDNS_Q_STATS: break;
  }
  return 0;
}

static int put(char *out, size_t max, size_t *w, char const *s, size_t n)
{
  if (n > max - *w) return 0;
  memcpy(out + *w, s, n);
  *w += n;
  return 1;
}

static size_t fmtu(char *s, unsigned long u)
{
  char tmp[24];
  size_t n = 0, i = 0;
  do tmp[n++] = (char)('0' + u % 10); while (u /= 10);
  while (n) s[i++] = tmp[--n];
  return i;
}

size_t qdns_proto_items(char *out, size_t max, struct qdns_answer const *a, unsigned qtype)
{
  size_t w = 0;
  unsigned order[QDNS_RR_MAX];
  char letter;
  switch (a->result) {
  case QDNS_OK: letter = 'K'; break;
  case QDNS_NODATA: letter = 'E'; break;
  case QDNS_NXDOMAIN: letter = 'X'; break;
  default: return 0;
  }
  if (!put(out, max, &w, &letter, 1)) return 0;
  if (a->result != QDNS_OK) return w;
  for (unsigned i = 0; i < a->n && i < QDNS_RR_MAX; i++) {
    unsigned j = i;
    /* insertion sort by preference, stable for equal preferences */
    while (j && a->rr[order[j - 1]].pref > a->rr[i].pref) { order[j] = order[j - 1]; j--; }
    order[j] = i;
  }
  for (unsigned k = 0; k < a->n && k < QDNS_RR_MAX; k++) {
    struct qdns_rr const *r = &a->rr[qtype == QDNS_T_MX ? order[k] : k];
    char text[QDNS_NAME_TEXT_MAX + 1 + 24];
    size_t n = 0;
    if (qtype == QDNS_T_MX) {
      char host[QDNS_NAME_TEXT_MAX + 1];
      size_t h = qdns_name_totext(host, r->data);
      if (!h) continue;
      n = fmtu(text, r->pref);
      text[n++] = ':';
      memcpy(text + n, host, h);
      n += h;
    } else if (qtype == QDNS_T_A && r->len == 4) {
      if (!inet_ntop(AF_INET, r->data, text, sizeof text)) continue;
      n = strlen(text);
    } else if (qtype == QDNS_T_AAAA && r->len == 16) {
      if (!inet_ntop(AF_INET6, r->data, text, sizeof text)) continue;
      n = strlen(text);
    } else continue;
    if (!put(out, max, &w, " ", 1) || !put(out, max, &w, text, n)) return 0;
  }
  return w;
}

size_t qdns_proto_answer(char *out, size_t max, char const *value, size_t vlen, uint32_t ttl)
{
  char num[24], body[24];
  size_t w = 0, b = 0, plen;
  if (!vlen) return 0;
  body[b++] = value[0];
  if (value[0] == 'K' || value[0] == 'E' || value[0] == 'X') b += fmtu(body + b, ttl);
  if (vlen - 1 > QDNS_ANSWER_MAX - b) return 0;
  plen = b + vlen - 1;
  size_t nn = fmtu(num, plen);
  num[nn++] = ':';
  if (!put(out, max, &w, num, nn) || !put(out, max, &w, body, b) ||
      !put(out, max, &w, value + 1, vlen - 1) || !put(out, max, &w, ",", 1))
    return 0;
  return w;
}

size_t qdns_proto_fail(char *out, size_t max, char status, char const *text)
{
  char v[256];
  size_t n = strlen(text);
  if (n > sizeof v - 1) n = sizeof v - 1;
  v[0] = status;
  memcpy(v + 1, text, n);
  return qdns_proto_answer(out, max, v, n + 1, 0);
}
