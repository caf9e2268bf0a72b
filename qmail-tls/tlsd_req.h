/* tlsd_req: the request qmail-tlsc sends to a qmail-tlsd -D daemon for one
 * connection: the served program's arguments, its environment and its resource
 * limits (see PROTOCOL). The parser trusts none of the bytes: every count and length
 * has a limit checked before use, it never allocates and never reads past its input. */
#ifndef TLSD_REQ_H
#define TLSD_REQ_H

#include <stddef.h>
#include <sys/resource.h>

#define TLSD_REQ_VERSION "1"
#define TLSD_REQ_MAX 131072       /* a whole request on the wire, bytes */
#define TLSD_REQ_FIELD_MAX 32768  /* one argument or environment entry */
#define TLSD_REQ_ARGS_MAX 64      /* the served program and its arguments */
#define TLSD_REQ_ENV_MAX 1024     /* environment entries */
#define TLSD_REQ_LENDIGITS 5      /* enough for TLSD_REQ_FIELD_MAX */
#define TLSD_REQ_NLIMITS 10       /* the resource limits carried, see tlsd_req_limits */

struct tlsd_req_limit { char const *name; int resource; };
extern struct tlsd_req_limit const tlsd_req_limits[TLSD_REQ_NLIMITS];

enum {
  TLSD_REQ_OK = 0,
  TLSD_REQ_ETAG,        /* unknown field tag */
  TLSD_REQ_ELEN,        /* bad or overlong length */
  TLSD_REQ_EFRAME,      /* a field does not end in ',' */
  TLSD_REQ_ENUL,        /* a NUL byte inside a field */
  TLSD_REQ_EVERSION,    /* first field is not the version this side speaks */
  TLSD_REQ_EARGS,       /* too many arguments, or an empty program name */
  TLSD_REQ_EENV,        /* too many entries, or one without NAME= */
  TLSD_REQ_ELIMIT,      /* a malformed, unknown or repeated resource limit */
  TLSD_REQ_ETOOBIG,     /* the request is longer than TLSD_REQ_MAX */
  TLSD_REQ_ENOPROG,     /* the end came before any argument */
  TLSD_REQ_EEND,        /* the end field is not empty */
};

typedef struct {
  /* the result: strings in buf, NUL-terminated; argv and envp end in a null pointer */
  char *argv[TLSD_REQ_ARGS_MAX + 1];
  unsigned int argc;
  char *envp[TLSD_REQ_ENV_MAX + 1];
  unsigned int envc;
  int limset[TLSD_REQ_NLIMITS];
  struct rlimit lim[TLSD_REQ_NLIMITS];
  /* the parser's state */
  int state, err;
  char tag;
  size_t len, got, total, start;
  unsigned int digits, fields;
  char buf[TLSD_REQ_MAX];
  size_t used;
} tlsd_req;

void tlsd_req_init(tlsd_req *q);

/* Feeds s[0..n). Returns 1 when the request is complete (*took says how many bytes
 * of s it used: any byte after them is the caller's to refuse), 0 when it needs
 * more, -1 when it is invalid (q->err says why; the request is dead). */
int tlsd_req_feed(tlsd_req *q, char const *s, size_t n, size_t *took);

char const *tlsd_req_strerror(int err);

/* Writes one field (TAG LEN ':' DATA ',') into out[0..max) at *pos; 0 if it would
 * not fit or len is over TLSD_REQ_FIELD_MAX. */
int tlsd_req_put(char *out, size_t max, size_t *pos, char tag, char const *s, size_t len);

/* The text of a limit field: "NAME CUR MAX", '-' for infinity. Needs 64 bytes. */
size_t tlsd_req_fmtlimit(char *out, unsigned int i, struct rlimit const *r);

#endif
