/* Idle SMTP connections kept between deliveries: the one-line description a
 * qmail-remote worker offers its kept connection with, and qmail-rspawn's cache
 * of them (each entry's descriptor is the waiting worker's channel, which stands
 * for its connection). Pure: no I/O, times in milliseconds from the caller. A description comes from a process that talked to an untrusted server:
 * it is parsed with hard limits and refused whole, never half used. */
#ifndef REMOTE_CONN_H
#define REMOTE_CONN_H

#include <stddef.h>
#include <stdint.h>

#define REMOTE_CONN_LINE_MAX 128    /* a description, its newline included */
#define REMOTE_CONN_IP_MAX 45       /* the address as text (IPv6 with IPv4 tail) */
#define REMOTE_CONN_HOST_MAX 255    /* a cache key; a longer host is never cached */
#define REMOTE_CONN_CACHE_MAX 256   /* idle connections in all, whatever the limits say */
#define REMOTE_CONN_CAPS_MASK 0x3fu /* the REMOTE_EHLO_* bits a description may carry */

typedef struct remote_conninfo {
  unsigned char ip[16];             /* IPv4 as ::ffff:a.b.c.d, like remote_plan */
  char ipstr[REMOTE_CONN_IP_MAX + 1];
  unsigned int caps;                /* REMOTE_EHLO_* from the session's EHLO */
  unsigned long sizemax;            /* SIZE's limit; 0 = none given */
  unsigned long uses;               /* transactions the connection has carried */
} remote_conninfo;

/* "ip=IP caps=N size=N uses=N\n" into buf (REMOTE_CONN_LINE_MAX bytes); returns
 * its length with the newline, 0 if info is out of range. */
size_t remote_conn_fmt(char *buf, remote_conninfo const *info);

/* Reads a description (len bytes, without the newline): exactly the four fields
 * in that order, single spaces, decimal numbers without sign or leading zero, an
 * IPv4 or IPv6 address, caps within the mask, uses >= 1. 1 ok (info filled and
 * ipstr made canonical), -1 anything else (info undefined). */
int remote_conn_parse(remote_conninfo *info, char const *s, size_t len);

typedef struct remote_conncache_entry {
  int fd;
  char host[REMOTE_CONN_HOST_MAX + 1];  /* lower case */
  remote_conninfo info;
  uint64_t since;                       /* when it went idle */
} remote_conncache_entry;

typedef struct remote_conncache {
  remote_conncache_entry e[REMOTE_CONN_CACHE_MAX];
  unsigned int n;            /* entries in use: e[0] .. e[n-1], oldest first */
  unsigned int max;          /* idle connections in all */
  unsigned int perhost;      /* idle connections to one host */
  unsigned long maxuses;     /* transactions a connection may carry */
  uint64_t idle;             /* ms a connection may stay idle; 0: nothing is kept */
} remote_conncache;

/* max is cut to REMOTE_CONN_CACHE_MAX, perhost to max. */
void remote_conncache_init(remote_conncache *c, unsigned int max, unsigned int perhost,
  unsigned long maxuses, uint64_t idle);

/* Keeps fd as an idle connection to host (any case). 1 kept; 0 refused, and the
 * caller ends it: reuse off, host empty or too long, the connection has carried
 * maxuses transactions, no room in all or for that host, fd negative or already
 * kept. */
int remote_conncache_put(remote_conncache *c, char const *host, int fd,
  remote_conninfo const *info, uint64_t now);

/* The most recently idle connection to host that has not expired, taken out of
 * the cache (it is never given twice), its description in info; -1 when there
 * is none. */
int remote_conncache_take(remote_conncache *c, char const *host, remote_conninfo *info, uint64_t now);

/* Takes out one connection whose idle time is over and returns it for the caller
 * to end; -1 when none is left. Call until -1. */
int remote_conncache_expire(remote_conncache *c, uint64_t now);

/* Milliseconds until the next connection expires (0: one already has);
 * UINT64_MAX when the cache is empty. */
uint64_t remote_conncache_wait(remote_conncache const *c, uint64_t now);

/* Takes out any connection, for the caller to end; -1 when empty. */
int remote_conncache_drop(remote_conncache *c);

#endif
