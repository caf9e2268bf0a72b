/* tlsd_req: the request of qmail-tlsc to qmail-tlsd -D, written and parsed. A request
 * is a run of fields TAG LEN ':' DATA ',' (netstrings with a one-byte tag): first
 * "v" with the version, then "a" arguments, "e" environment entries and "r" resource
 * limits in any order, then an empty "." field. Trusts no byte it is fed. */
#include <string.h>

#include "tlsd_req.h"

enum { ST_TAG, ST_LEN, ST_DATA, ST_COMMA, ST_DONE, ST_DEAD };

struct tlsd_req_limit const tlsd_req_limits[TLSD_REQ_NLIMITS] = {
  { "as", RLIMIT_AS }, { "core", RLIMIT_CORE }, { "cpu", RLIMIT_CPU },
  { "data", RLIMIT_DATA }, { "fsize", RLIMIT_FSIZE }, { "memlock", RLIMIT_MEMLOCK },
  { "nofile", RLIMIT_NOFILE }, { "nproc", RLIMIT_NPROC }, { "rss", RLIMIT_RSS },
  { "stack", RLIMIT_STACK },
};

void tlsd_req_init(tlsd_req *q)
{
  q->argc = q->envc = 0;
  q->argv[0] = 0;
  q->envp[0] = 0;
  memset(q->limset, 0, sizeof q->limset);
  q->state = ST_TAG;
  q->err = TLSD_REQ_OK;
  q->tag = 0;
  q->len = q->got = q->total = q->start = q->used = 0;
  q->digits = q->fields = 0;
}

static int dead(tlsd_req *q, int err)
{
  q->state = ST_DEAD;
  q->err = err;
  return -1;
}

/* One decimal value or '-' (infinity) from s[0..n); 0 if malformed or too big. */
static int limval(char const *s, size_t n, rlim_t *v)
{
  rlim_t x = 0;
  size_t i;
  if (n == 1 && s[0] == '-') { *v = RLIM_INFINITY; return 1; }
  if (!n || n > 20 || (s[0] == '0' && n > 1)) return 0;
  for (i = 0; i < n; i++) {
    rlim_t d;
    if (s[i] < '0' || s[i] > '9') return 0;
    d = (rlim_t)(s[i] - '0');
    if (x > ((rlim_t)-1 - d) / 10) return 0;
    x = x * 10 + d;
  }
  if (x == RLIM_INFINITY) return 0;
  *v = x;
  return 1;
}

/* "NAME CUR MAX" */
static int limit(tlsd_req *q, char const *s, size_t n)
{
  char const *sp1 = memchr(s, ' ', n), *sp2;
  unsigned int i;
  struct rlimit r;
  if (!sp1) return 0;
  sp2 = memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - s));
  if (!sp2) return 0;
  for (i = 0; i < TLSD_REQ_NLIMITS; i++) {
    char const *name = tlsd_req_limits[i].name;
    if ((size_t)(sp1 - s) == strlen(name) && !memcmp(s, name, (size_t)(sp1 - s))) break;
  }
  if (i == TLSD_REQ_NLIMITS || q->limset[i]) return 0;
  if (!limval(sp1 + 1, (size_t)(sp2 - sp1 - 1), &r.rlim_cur)
      || !limval(sp2 + 1, n - (size_t)(sp2 + 1 - s), &r.rlim_max)) return 0;
  if (r.rlim_max != RLIM_INFINITY && (r.rlim_cur == RLIM_INFINITY || r.rlim_cur > r.rlim_max)) return 0;
  q->limset[i] = 1;
  q->lim[i] = r;
  return 1;
}

/* A field is complete: its data is q->buf[q->start..q->start+q->len), NUL after. */
static int field(tlsd_req *q)
{
  char *s = q->buf + q->start;
  if (!q->fields++) {
    if (q->tag != 'v' || q->len != sizeof TLSD_REQ_VERSION - 1 || memcmp(s, TLSD_REQ_VERSION, q->len))
      return dead(q, TLSD_REQ_EVERSION);
    q->used = q->start;
    return 0;
  }
  switch (q->tag) {
    case 'a':
      if (q->argc == TLSD_REQ_ARGS_MAX || (!q->argc && !q->len)) return dead(q, TLSD_REQ_EARGS);
      q->argv[q->argc++] = s;
      q->argv[q->argc] = 0;
      return 0;
    case 'e': {
      char const *eq = memchr(s, '=', q->len);
      if (q->envc == TLSD_REQ_ENV_MAX || !eq || eq == s) return dead(q, TLSD_REQ_EENV);
      q->envp[q->envc++] = s;
      q->envp[q->envc] = 0;
      return 0;
    }
    case 'r':
      if (!limit(q, s, q->len)) return dead(q, TLSD_REQ_ELIMIT);
      q->used = q->start;
      return 0;
    case '.':
      if (!q->argc) return dead(q, TLSD_REQ_ENOPROG);
      q->state = ST_DONE;
      return 1;
    default:
      return dead(q, TLSD_REQ_EVERSION);  /* 'v' again */
  }
}

int tlsd_req_feed(tlsd_req *q, char const *s, size_t n, size_t *took)
{
  size_t i = 0;
  *took = 0;
  if (q->state == ST_DEAD) return -1;
  if (q->state == ST_DONE) return 1;
  while (i < n) {
    char c = s[i];
    if (q->state == ST_DATA) {
      /* copy as much of the field's data as there is */
      size_t k = n - i, want = q->len - q->got;
      if (k > want) k = want;
      if (q->total + k > TLSD_REQ_MAX) return dead(q, TLSD_REQ_ETOOBIG);
      if (memchr(s + i, 0, k)) return dead(q, TLSD_REQ_ENUL);
      memcpy(q->buf + q->used, s + i, k);
      q->used += k; q->got += k; q->total += k; i += k;
      if (q->got == q->len) q->state = ST_COMMA;
      continue;
    }
    if (++q->total > TLSD_REQ_MAX) return dead(q, TLSD_REQ_ETOOBIG);
    i++;
    switch (q->state) {
      case ST_TAG:
        if (c != 'v' && c != 'a' && c != 'e' && c != 'r' && c != '.') return dead(q, TLSD_REQ_ETAG);
        q->tag = c; q->len = 0; q->digits = 0;
        q->state = ST_LEN;
        break;
      case ST_LEN:
        if (c == ':') {
          if (!q->digits) return dead(q, TLSD_REQ_ELEN);
          if (q->tag == '.' && q->len) return dead(q, TLSD_REQ_EEND);
          q->start = q->used; q->got = 0;
          q->state = q->len ? ST_DATA : ST_COMMA;
          break;
        }
        if (c < '0' || c > '9' || q->digits == TLSD_REQ_LENDIGITS || (q->digits && !q->len))
          return dead(q, TLSD_REQ_ELEN);
        q->len = q->len * 10 + (size_t)(c - '0');
        q->digits++;
        if (q->len > TLSD_REQ_FIELD_MAX) return dead(q, TLSD_REQ_ELEN);
        break;
      case ST_COMMA: {
        int r;
        if (c != ',') return dead(q, TLSD_REQ_EFRAME);
        q->buf[q->used++] = 0;
        q->state = ST_TAG;
        r = field(q);
        if (r < 0) return -1;
        if (r > 0) { *took = i; return 1; }
        break;
      }
      default:
        return dead(q, TLSD_REQ_ETAG);
    }
  }
  *took = i;
  return 0;
}

char const *tlsd_req_strerror(int err)
{
  switch (err) {
    case TLSD_REQ_OK: return "no error";
    case TLSD_REQ_ETAG: return "unknown field";
    case TLSD_REQ_ELEN: return "bad field length";
    case TLSD_REQ_EFRAME: return "field not terminated";
    case TLSD_REQ_ENUL: return "NUL byte in a field";
    case TLSD_REQ_EVERSION: return "wrong request version";
    case TLSD_REQ_EARGS: return "bad or too many arguments";
    case TLSD_REQ_EENV: return "bad or too many environment entries";
    case TLSD_REQ_ELIMIT: return "bad resource limit";
    case TLSD_REQ_ETOOBIG: return "request too long";
    case TLSD_REQ_ENOPROG: return "no program";
    case TLSD_REQ_EEND: return "bad end field";
  }
  return "unknown error";
}

int tlsd_req_put(char *out, size_t max, size_t *pos, char tag, char const *s, size_t len)
{
  char num[TLSD_REQ_LENDIGITS];
  size_t nd = 0, v = len, need, p = *pos;
  if (len > TLSD_REQ_FIELD_MAX) return 0;
  do { num[nd++] = (char)('0' + v % 10); v /= 10; } while (v);
  need = 1 + nd + 1 + len + 1;
  if (p > max || max - p < need) return 0;
  out[p++] = tag;
  while (nd) out[p++] = num[--nd];
  out[p++] = ':';
  if (len) memcpy(out + p, s, len);
  p += len;
  out[p++] = ',';
  *pos = p;
  return 1;
}

static size_t fmtval(char *out, rlim_t v)
{
  char t[20];
  size_t n = 0, k = 0;
  if (v == RLIM_INFINITY) { out[0] = '-'; return 1; }
  do { t[n++] = (char)('0' + v % 10); v /= 10; } while (v);
  while (n) out[k++] = t[--n];
  return k;
}

size_t tlsd_req_fmtlimit(char *out, unsigned int i, struct rlimit const *r)
{
  size_t n = strlen(tlsd_req_limits[i].name);
  memcpy(out, tlsd_req_limits[i].name, n);
  out[n++] = ' ';
  n += fmtval(out + n, r->rlim_cur);
  out[n++] = ' ';
  n += fmtval(out + n, r->rlim_max);
  return n;
}
