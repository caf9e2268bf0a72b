/* The bounded DNS answer parser. Every byte it reads comes from the network; each
 * read is preceded by a check against the packet end, names are rebuilt into a
 * 255-byte buffer with compression pointers that must point strictly backwards,
 * and the records kept are capped. It never allocates and never trusts a count. */
#include <string.h>

#include "qdns_pkt.h"

struct rrhdr {
  unsigned char owner[QDNS_NAME_WIRE_MAX];
  unsigned type, cls;
  uint32_t ttl;
  size_t rdpos, rdlen;
};

static unsigned get16(unsigned char const *p)
{
  return ((unsigned)p[0] << 8) | p[1];
}

static uint32_t get32(unsigned char const *p)
{
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* RFC 2181 8: a TTL with the top bit set means zero; past the cap it is the cap. */
static uint32_t sanettl(uint32_t t)
{
  if (t & 0x80000000UL) return 0;
  return t > QDNS_TTL_CAP ? QDNS_TTL_CAP : t;
}

int qdns_pkt_getname(unsigned char const *pkt, size_t len, size_t pos,
                     unsigned char out[QDNS_NAME_WIRE_MAX], size_t *next)
{
  size_t w = 0, p = pos, segstart = pos;
  unsigned hops = 0;
  int jumped = 0;
  for (;;) {
    unsigned c;
    if (p >= len) return -1;
    c = pkt[p];
    if (c >= 0xc0) {
      size_t t;
      if (p + 1 >= len) return -1;
      t = ((size_t)(c & 0x3f) << 8) | pkt[p + 1];
      if (!jumped) *next = p + 2;
      /* Each jump must land before the start of the stretch it came from, so the
       * targets strictly decrease and no loop can form. */
      if (t >= segstart || ++hops > QDNS_PTR_MAX) return -1;
      segstart = p = t;
      jumped = 1;
      continue;
    }
    if (c > QDNS_LABEL_MAX) return -1;   /* 0x40 and 0x80: extended label types */
    if (!c) {
      out[w++] = 0;   /* the checks below always leave room for this byte */
      if (!jumped) *next = p + 1;
      return 1;
    }
    if (c > len - p - 1) return -1;                 /* the label passes the end */
    if (w + 1 + c + 1 > QDNS_NAME_WIRE_MAX) return -1;  /* label and final zero */
    out[w++] = (unsigned char)c;
    memcpy(out + w, pkt + p + 1, c);
    w += c;
    p += 1 + c;
  }
}

/* One resource record header at *pos; leaves *pos after its data. */
static int getrr(unsigned char const *pkt, size_t len, size_t *pos, struct rrhdr *h)
{
  size_t p;
  if (qdns_pkt_getname(pkt, len, *pos, h->owner, &p) < 0) return -1;
  if (len - p < 10) return -1;
  h->type = get16(pkt + p);
  h->cls = get16(pkt + p + 2);
  h->ttl = sanettl(get32(pkt + p + 4));
  h->rdlen = get16(pkt + p + 8);
  h->rdpos = p + 10;
  if (h->rdlen > len - h->rdpos) return -1;
  *pos = h->rdpos + h->rdlen;
  return 1;
}

/* A name that must fill the record data exactly (CNAME target, MX exchange). */
static int rdname(unsigned char const *pkt, struct rrhdr const *h, size_t off,
                  unsigned char out[QDNS_NAME_WIRE_MAX])
{
  size_t end = h->rdpos + h->rdlen, next;
  /* A pointer inside the data may point anywhere earlier in the packet, but the
   * in-place part of the name may not run past the record. */
  if (qdns_pkt_getname(pkt, end, h->rdpos + off, out, &next) < 0) return -1;
  return next == end ? 1 : -1;
}

static void minttl(struct qdns_answer *a, uint32_t t, int first)
{
  if (first || t < a->ttl) a->ttl = t;
}

static int bad(struct qdns_answer *a, enum qdns_bad why)
{
  a->bad = why;
  a->n = 0;
  return -1;
}

/* Walks count records from *pos, checking that each is well formed. */
static int walk(unsigned char const *pkt, size_t len, size_t *pos, unsigned count)
{
  struct rrhdr h;
  for (unsigned i = 0; i < count; i++)
    if (getrr(pkt, len, pos, &h) < 0) return -1;
  return 1;
}

/* The negative-caching TTL of RFC 2308 5: the smaller of the SOA record's own TTL
 * and its MINIMUM field; 0 (do not cache) without an SOA. */
static int negttl(struct qdns_answer *a, unsigned char const *pkt, size_t len, size_t pos,
                  unsigned count)
{
  struct rrhdr h;
  unsigned char name[QDNS_NAME_WIRE_MAX];
  a->ttl = 0;
  for (unsigned i = 0; i < count; i++) {
    if (getrr(pkt, len, &pos, &h) < 0) return -1;
    if (h.type != QDNS_T_SOA || h.cls != QDNS_C_IN) continue;
    size_t p, end = h.rdpos + h.rdlen;
    if (qdns_pkt_getname(pkt, end, h.rdpos, name, &p) < 0) return -1;
    if (qdns_pkt_getname(pkt, end, p, name, &p) < 0) return -1;
    if (end - p != 20) return -1;
    uint32_t m = sanettl(get32(pkt + p + 16));
    a->ttl = m < h.ttl ? m : h.ttl;
    return 1;
  }
  return 1;
}

int qdns_pkt_parse(struct qdns_answer *a, unsigned char const *pkt, size_t len,
                   unsigned char const *id, unsigned char const *qname, unsigned qtype,
                   unsigned cname_budget)
{
  unsigned char name[QDNS_NAME_WIRE_MAX];
  unsigned an, ns, rcode;
  size_t pos, ansstart, authstart;
  struct rrhdr h;
  int havettl = 0;

  a->n = 0;
  a->cnames = 0;
  a->ttl = 0;
  a->bad = QDNS_BAD_NONE;
  if (len < 12 || len > QDNS_PKT_MAX) return bad(a, QDNS_BAD_SHORT);
  if (id && (pkt[0] != id[0] || pkt[1] != id[1])) return bad(a, QDNS_BAD_ID);
  if (!(pkt[2] & 0x80) || (pkt[2] & 0x78)) return bad(a, QDNS_BAD_NOTANSWER);
  if (pkt[2] & 0x02) return bad(a, QDNS_BAD_TRUNC);
  rcode = pkt[3] & 0x0f;
  an = get16(pkt + 6);
  ns = get16(pkt + 8);
  if (get16(pkt + 4) != 1) return bad(a, QDNS_BAD_QUESTION);
  if (qdns_pkt_getname(pkt, len, 12, name, &pos) < 0) return bad(a, QDNS_BAD_NAME);
  if (len - pos < 4) return bad(a, QDNS_BAD_SHORT);
  if (!qdns_name_equal(name, qname) || get16(pkt + pos) != qtype ||
      get16(pkt + pos + 2) != QDNS_C_IN)
    return bad(a, QDNS_BAD_QUESTION);
  pos += 4;
  memcpy(a->target, qname, qdns_name_wirelen(qname, QDNS_NAME_WIRE_MAX));

  if (rcode == 2) { a->result = QDNS_SERVFAIL; return 1; }
  if (rcode != 0 && rcode != 3) { a->result = QDNS_REFUSED; return 1; }

  /* Every answer record must be well formed, even the ones we do not keep. */
  if (an > QDNS_SECTION_MAX || ns > QDNS_SECTION_MAX) return bad(a, QDNS_BAD_SHORT);
  ansstart = pos;
  if (walk(pkt, len, &pos, an) < 0) return bad(a, QDNS_BAD_SHORT);
  authstart = pos;

  /* Follow the CNAME chain from the question, in whatever order the records come. */
  if (qtype != QDNS_T_CNAME) {
    int moved = 1;
    while (moved) {
      moved = 0;
      pos = ansstart;
      for (unsigned i = 0; i < an; i++) {
        getrr(pkt, len, &pos, &h);   /* cannot fail: walked above */
        if (h.type != QDNS_T_CNAME || h.cls != QDNS_C_IN) continue;
        if (!qdns_name_equal(h.owner, a->target)) continue;
        if (rdname(pkt, &h, 0, name) < 0) return bad(a, QDNS_BAD_NAME);
        if (++a->cnames > cname_budget) return bad(a, QDNS_BAD_CNAME);
        memcpy(a->target, name, qdns_name_wirelen(name, QDNS_NAME_WIRE_MAX));
        minttl(a, h.ttl, !havettl);
        havettl = 1;
        moved = 1;
        break;
      }
    }
  }

  if (rcode == 3) {
    a->result = QDNS_NXDOMAIN;
    if (negttl(a, pkt, len, authstart, ns) < 0) return bad(a, QDNS_BAD_RDATA);
    return 1;
  }

  pos = ansstart;
  for (unsigned i = 0; i < an; i++) {
    struct qdns_rr *r = &a->rr[a->n];
    getrr(pkt, len, &pos, &h);
    if (h.type != qtype || h.cls != QDNS_C_IN || !qdns_name_equal(h.owner, a->target))
      continue;
    if (qtype == QDNS_T_A || qtype == QDNS_T_AAAA) {
      size_t want = qtype == QDNS_T_A ? 4 : 16;
      if (h.rdlen != want) return bad(a, QDNS_BAD_RDATA);
      if (a->n >= QDNS_RR_MAX) continue;
      memcpy(r->data, pkt + h.rdpos, want);
      r->len = (unsigned char)want;
      r->pref = 0;
    } else if (qtype == QDNS_T_MX) {
      char text[QDNS_NAME_TEXT_MAX + 1];
      if (h.rdlen < 3) return bad(a, QDNS_BAD_RDATA);
      if (rdname(pkt, &h, 2, name) < 0) return bad(a, QDNS_BAD_RDATA);
      if (a->n >= QDNS_RR_MAX) continue;
      /* An exchange that is no host name could never be connected to, and must not
       * reach the text protocol: drop that record alone. */
      if (!qdns_name_totext(text, name)) continue;
      r->pref = (uint16_t)get16(pkt + h.rdpos);
      r->len = (unsigned char)qdns_name_wirelen(name, QDNS_NAME_WIRE_MAX);
      memcpy(r->data, name, r->len);
    } else continue;
    a->n++;
    minttl(a, h.ttl, !havettl);
    havettl = 1;
  }
  if (a->n) { a->result = QDNS_OK; return 1; }
  if (a->cnames) { a->result = QDNS_FOLLOW; return 1; }
  a->result = QDNS_NODATA;
  if (negttl(a, pkt, len, authstart, ns) < 0) return bad(a, QDNS_BAD_RDATA);
  return 1;
}

char const *qdns_pkt_badstr(enum qdns_bad b)
{
  switch (b) {
  case QDNS_BAD_NONE: return "no error";
  case QDNS_BAD_SHORT: return "truncated or oversized packet";
  case QDNS_BAD_ID: return "wrong id";
  case QDNS_BAD_NOTANSWER: return "not a response";
  case QDNS_BAD_TRUNC: return "truncated response";
  case QDNS_BAD_QUESTION: return "wrong question";
  case QDNS_BAD_NAME: return "malformed name";
  case QDNS_BAD_RDATA: return "malformed record data";
  case QDNS_BAD_CNAME: return "CNAME chain too long";
  }
  return "unknown";
}
