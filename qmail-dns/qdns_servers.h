/* The list of DNS servers qmail-dns asks, in the layout libowfat's dns_transmit
 * wants: 16 slots of 16 bytes (IPv6, or IPv4-mapped IPv6), unused slots all zero.
 * Reads text an administrator wrote (control/dnsservers, /etc/resolv.conf); lines
 * it does not understand are skipped, never half-used. */
#ifndef QDNS_SERVERS_H
#define QDNS_SERVERS_H

#include <stddef.h>

#define QDNS_SERVERS_MAX 16
#define QDNS_SERVERS_BYTES (16 * QDNS_SERVERS_MAX)
#define QDNS_SERVERS_LINE_MAX 1024   /* longer lines are skipped */

/* Parses text (len bytes). resolvconf: lines "nameserver ADDR" as in
 * resolv.conf(5); otherwise one address per line, '#' comments. Fills out with up
 * to QDNS_SERVERS_MAX addresses in order and returns how many. A zone suffix
 * ("fe80::1%eth0") is not supported and such a line is skipped. */
unsigned qdns_servers_parse(char out[QDNS_SERVERS_BYTES], char const *text, size_t len,
                            int resolvconf);

#endif
