/* The resolver engine of qmail-dns, over libowfat's dns_transmit. The transport
 * already drops answers with a wrong id or question and retries other servers;
 * every packet it hands over is parsed again here with the bounded parser, which
 * also checks the id, so nothing in an answer is used unchecked. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "qdns_lookup.h"

static char const v6any[16];

static void fail(struct qdns_lookup *l, char const *what, char const *detail)
{
  size_t n = 0, w;
  l->value[n++] = 'Z';
  w = strlen(what);
  memcpy(l->value + n, what, w);
  n += w;
  if (detail) {
    w = strlen(detail);
    if (w > 200) w = 200;
    l->value[n++] = ':';
    l->value[n++] = ' ';
    memcpy(l->value + n, detail, w);
    n += w;
  }
  l->vlen = n;
  l->temporary = 1;
  l->finalttl = 0;
  dns_transmit_free(&l->tx);
}

static int ask(struct qdns_lookup *l)
{
  char qt[2];
  qt[0] = (char)(l->qtype >> 8);
  qt[1] = (char)(l->qtype & 0xff);
  l->queries++;
  /* recursive: the servers are caches (or, in tests, authoritative for the zone) */
  if (dns_transmit_start(&l->tx, l->servers, 1, (char const *)l->qname, qt, v6any) < 0) {
    fail(l, "unable to send a DNS query", strerror(errno));
    return 0;
  }
  return 1;
}

int qdns_lookup_start(struct qdns_lookup *l, char const *servers, unsigned nservers,
                      unsigned qtype,
                      unsigned char const *qname, unsigned timeout, struct taia const *now)
{
  memset(&l->tx, 0, sizeof l->tx);
  l->qtype = qtype;
  memcpy(l->qname, qname, qdns_name_wirelen(qname, QDNS_NAME_WIRE_MAX));
  l->hops = 0;
  l->ttl = 0;
  l->havettl = 0;
  l->servers = servers;
  l->nservers = nservers ? nservers : 1;
  l->refusals = 0;
  l->queries = 0;
  l->vlen = 0;
  l->temporary = 0;
  taia_uint(&l->deadline, timeout);
  taia_add(&l->deadline, &l->deadline, now);
  return ask(l);
}

void qdns_lookup_io(struct qdns_lookup *l, iopause_fd *x, struct taia *deadline)
{
  dns_transmit_io(&l->tx, x, deadline);
  if (taia_less(&l->deadline, deadline)) *deadline = l->deadline;
}

static int finish(struct qdns_lookup *l, struct qdns_answer const *a)
{
  uint32_t ttl = a->ttl;
  if (l->havettl && l->ttl < ttl) ttl = l->ttl;
  l->vlen = qdns_proto_items(l->value, sizeof l->value, a, l->qtype);
  if (!l->vlen) { fail(l, "answer too large", 0); return 1; }
  l->temporary = 0;
  l->finalttl = ttl;
  dns_transmit_free(&l->tx);
  return 1;
}

int qdns_lookup_step(struct qdns_lookup *l, iopause_fd const *x, struct taia const *now)
{
  struct qdns_answer a;
  unsigned char id[2];
  int haveid = 0, r;

  if (l->tx.query) {
    /* the id of the query on the wire now: the transport frees the query once it
     * hands over an answer, and the parser checks the id again */
    memcpy(id, l->tx.query + 2, 2);
    haveid = 1;
  }
  /* dns_transmit drops a SERVFAIL or REFUSED answer and waits for its next try,
   * so a server that says it cannot answer would cost the whole timeout. Look at
   * the datagram first: once every server has said so, fail at once and say why. */
  if (haveid && x->revents && !l->tx.tcpstate && l->tx.s1) {
    unsigned char peek[513];
    ssize_t n = recv(l->tx.s1 - 1, peek, sizeof peek, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && errno == ECONNREFUSED) {
      /* nothing listens there (the peek consumed the error; the transport then
       * moves on to its next try by itself) */
      if (++l->refusals >= l->nservers) {
        fail(l, "no DNS server is listening", 0);
        return 1;
      }
    } else if (n > 0 && n < (ssize_t)sizeof peek &&
        qdns_pkt_parse(&a, peek, (size_t)n, id, l->qname, l->qtype, QDNS_CNAME_MAX) > 0 &&
        (a.result == QDNS_SERVFAIL || a.result == QDNS_REFUSED) &&
        ++l->refusals >= l->nservers) {
      fail(l, a.result == QDNS_SERVFAIL ? "DNS server failure (SERVFAIL)"
                                        : "DNS server refused the query", 0);
      return 1;
    }
  }
  r = dns_transmit_get(&l->tx, x, now);
  if (r < 0) {
    fail(l, "no DNS server answered", errno == EAGAIN ? 0 : strerror(errno));
    return 1;
  }
  if (r == 0) {
    if (taia_less(&l->deadline, now)) { fail(l, "DNS query timed out", 0); return 1; }
    return 0;
  }
  if (qdns_pkt_parse(&a, (unsigned char const *)l->tx.packet, l->tx.packetlen,
                     haveid ? id : 0, l->qname, l->qtype, QDNS_CNAME_MAX - l->hops) < 0) {
    if (a.bad == QDNS_BAD_CNAME) fail(l, "CNAME chain too long", 0);
    else fail(l, "unusable DNS answer", qdns_pkt_badstr(a.bad));
    return 1;
  }
  switch (a.result) {
  case QDNS_SERVFAIL: fail(l, "DNS server failure", 0); return 1;
  case QDNS_REFUSED: fail(l, "DNS server refused the query", 0); return 1;
  case QDNS_FOLLOW:
    l->hops += a.cnames;
    if (!l->havettl || a.ttl < l->ttl) l->ttl = a.ttl;
    l->havettl = 1;
    if (l->hops >= QDNS_CNAME_MAX) { fail(l, "CNAME chain too long", 0); return 1; }
    memcpy(l->qname, a.target, qdns_name_wirelen(a.target, QDNS_NAME_WIRE_MAX));
    return ask(l) ? 0 : 1;
  default:
    return finish(l, &a);
  }
}

void qdns_lookup_free(struct qdns_lookup *l)
{
  dns_transmit_free(&l->tx);
}
