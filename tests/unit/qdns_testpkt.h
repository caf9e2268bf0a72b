/* A small DNS packet builder for the qmail-dns unit tests and fuzz seeds: header,
 * names (plain or with a compression pointer), records. Test code only. */
#ifndef QDNS_TESTPKT_H
#define QDNS_TESTPKT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct tp { unsigned char b[70000]; size_t n; };

static inline void tp_u8(struct tp *p, unsigned v) { p->b[p->n++] = (unsigned char)v; }
static inline void tp_u16(struct tp *p, unsigned v) { tp_u8(p, v >> 8); tp_u8(p, v & 255); }
static inline void tp_u32(struct tp *p, uint32_t v) { tp_u16(p, v >> 16); tp_u16(p, v & 0xffff); }
static inline void tp_bytes(struct tp *p, void const *s, size_t n)
{
  memcpy(p->b + p->n, s, n);
  p->n += n;
}

/* labels of a dotted name; a final 0 unless ptr is nonzero, then a pointer to ptr */
static inline void tp_name(struct tp *p, char const *dotted, unsigned ptr)
{
  char const *s = dotted;
  while (*s) {
    char const *e = strchr(s, '.');
    size_t n = e ? (size_t)(e - s) : strlen(s);
    tp_u8(p, (unsigned)n);
    tp_bytes(p, s, n);
    s += n;
    if (*s == '.') s++;
  }
  if (ptr) tp_u16(p, 0xc000 | ptr); else tp_u8(p, 0);
}

static inline void tp_header(struct tp *p, unsigned id, unsigned flags, unsigned qd,
                             unsigned an, unsigned ns, unsigned ar)
{
  p->n = 0;
  tp_u16(p, id); tp_u16(p, flags); tp_u16(p, qd); tp_u16(p, an); tp_u16(p, ns); tp_u16(p, ar);
}

/* the question at offset 12 */
static inline void tp_question(struct tp *p, char const *name, unsigned type)
{
  tp_name(p, name, 0);
  tp_u16(p, type);
  tp_u16(p, 1);
}

/* a record header: owner already written; type, class IN, ttl, rdlength */
static inline void tp_rr(struct tp *p, unsigned type, uint32_t ttl, unsigned rdlen)
{
  tp_u16(p, type); tp_u16(p, 1); tp_u32(p, ttl); tp_u16(p, rdlen);
}

#define TP_RESPONSE 0x8180   /* QR, RD, RA, rcode 0 */

#endif
