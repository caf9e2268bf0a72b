/* What qmail-inject does to a message, as pure decisions over its header fields,
 * arguments and configuration. Trusts nothing in the header or arguments: address
 * lists go through the bounded parser, counts and the rewritten header have limits,
 * and values from the environment are stripped of control characters before they
 * reach a header. Never writes anything itself. */
#include <string.h>

#include <skalibs/types.h>

#include "qm_control.h"
#include "qm_date.h"
#include "qm_size.h"
#include "inject_msg.h"

/* the fields qmail-inject knows, one bit each in seen */
enum {
  H_TO, H_CC, H_BCC, H_APPARENTLYTO, H_RTO, H_RCC, H_RBCC, H_RETURNPATH,
  H_SENDER, H_FROM, H_REPLYTO, H_RETURNRECEIPTTO, H_ERRORSTO,
  H_RSENDER, H_RFROM, H_RREPLYTO, H_DATE, H_MESSAGEID, H_RDATE, H_RMESSAGEID,
  H_MFT, H_CONTENTLENGTH, H_NUM
};

/* what to do with a field */
#define A_KEEP 0
#define A_TOCC 1        /* recipients, and To/Cc for Mail-Followup-To */
#define A_HR 2          /* recipients of a plain message */
#define A_HRR 3         /* recipients of a resent message */
#define A_RP 4          /* the envelope sender */
#define A_SENDER 5      /* completed only */

static struct { char const *name; int id; int action; int drop; } const known[] = {
  { "to", H_TO, A_TOCC, 0 },
  { "cc", H_CC, A_TOCC, 0 },
  { "bcc", H_BCC, A_HR, 1 },
  { "apparently-to", H_APPARENTLYTO, A_HR, 0 },
  { "resent-to", H_RTO, A_HRR, 0 },
  { "resent-cc", H_RCC, A_HRR, 0 },
  { "resent-bcc", H_RBCC, A_HRR, 1 },
  { "return-path", H_RETURNPATH, A_RP, 1 },
  { "sender", H_SENDER, A_SENDER, 0 },
  { "from", H_FROM, A_SENDER, 0 },
  { "reply-to", H_REPLYTO, A_SENDER, 0 },
  { "return-receipt-to", H_RETURNRECEIPTTO, A_SENDER, 0 },
  { "errors-to", H_ERRORSTO, A_SENDER, 0 },
  { "resent-sender", H_RSENDER, A_SENDER, 0 },
  { "resent-from", H_RFROM, A_SENDER, 0 },
  { "resent-reply-to", H_RREPLYTO, A_SENDER, 0 },
  { "date", H_DATE, A_KEEP, 0 },
  { "message-id", H_MESSAGEID, A_KEEP, 0 },
  { "resent-date", H_RDATE, A_KEEP, 0 },
  { "resent-message-id", H_RMESSAGEID, A_KEEP, 0 },
  { "mail-followup-to", H_MFT, A_KEEP, 0 },
  { "content-length", H_CONTENTLENGTH, A_KEEP, 1 },
};

#define BIT(h) (1UL << (h))
#define RESENT_BITS (BIT(H_RSENDER) | BIT(H_RFROM) | BIT(H_RREPLYTO) | BIT(H_RTO) \
                     | BIT(H_RCC) | BIT(H_RBCC) | BIT(H_RDATE) | BIT(H_RMESSAGEID))

void inject_msg_init(inject_msg *m, inject_cfg const *cfg)
{
  memset(m, 0, sizeof *m);
  m->cfg = cfg;
}

void inject_msg_free(inject_msg *m)
{
  inject_alist_free(&m->al);
  stralloc_free(&m->scratch);
  stralloc_free(&m->saved);
  stralloc_free(&m->args);
  stralloc_free(&m->hr);
  stralloc_free(&m->hrr);
  stralloc_free(&m->tocc);
  stralloc_free(&m->rp);
  stralloc_free(&m->bad_hr);
  stralloc_free(&m->bad_hrr);
  stralloc_free(&m->sender);
  stralloc_free(&m->rcpts);
  stralloc_free(&m->errtext);
}

static int fail(inject_msg *m, int err, char const *about, size_t len)
{
  m->err = err;
  m->errtext.len = 0;
  if (!stralloc_catb(&m->errtext, about, len) || !stralloc_0(&m->errtext))
    m->err = INJECT_E_NOMEM;
  return 0;
}

static int nomem(inject_msg *m)
{
  return fail(m, INJECT_E_NOMEM, "", 0);
}

/* An address in envelope form from a string, completed, into out (NUL-terminated). */
static int complete_arg(inject_msg *m, stralloc *out, char const *s, size_t len)
{
  int r = inject_addr_fromarg(&m->addr, s, len);
  if (r < 0) return fail(m, INJECT_E_ADDRLONG, s, len);
  if (!r) return fail(m, INJECT_E_ADDR, s, len);
  if (!inject_addr_complete(&m->addr, m->cfg->rw)
      || inject_addr_envlen(&m->addr) > INJECT_ADDR_MAX)
    return fail(m, INJECT_E_ADDRLONG, s, len);
  if (!inject_addr_envelope(out, &m->addr) || !stralloc_0(out)) return nomem(m);
  return 1;
}

int inject_msg_sender_arg(inject_msg *m, char const *arg)
{
  m->sender.len = 0;
  if (!complete_arg(m, &m->sender, arg, strlen(arg))) return 0;
  m->have_sender = 1;
  return 1;
}

int inject_msg_rcpt_arg(inject_msg *m, char const *arg)
{
  size_t len = strlen(arg), before = m->args.len;
  if (m->nargs >= INJECT_RCPT_MAX) return fail(m, INJECT_E_TOOMANY, "", 0);
  if (!complete_arg(m, &m->args, arg, len)) return 0;
  if (m->args.len == before + 1) {      /* only the NUL: an empty address */
    m->args.len = before;
    return fail(m, INJECT_E_ADDR, arg, len);
  }
  m->nargs++;
  return 1;
}

static int lookup(qm_header_field const *f)
{
  size_t i;
  for (i = 0; i < sizeof known / sizeof known[0]; i++)
    if (qm_header_is(f, known[i].name)) return (int)i;
  return -1;
}

static int save(inject_msg *m, char const *s, size_t len)
{
  size_t n;
  if (!qm_size_add(&n, m->saved.len, len) || n > INJECT_HEAD_OUT_MAX)
    return fail(m, INJECT_E_HEADLONG, "", 0);
  if (!stralloc_catb(&m->saved, s, len)) return nomem(m);
  return 1;
}

int inject_msg_field(void *ctx, qm_header_field const *f)
{
  inject_msg *m = ctx;
  unsigned flags = m->cfg->flags;
  stralloc *list = 0;
  size_t *count = 0, before = 0, n0 = 0;
  int k, id, action, r;
  if (f->mboxline) return save(m, "MBOX-Line: ", 11) && save(m, f->s, f->len);
  k = lookup(f);
  if (k < 0) return save(m, f->s, f->len);
  id = known[k].id;
  action = known[k].action;
  if (id == H_FROM && (flags & INJECT_F_DELFROM)) return 1;
  if (id == H_MESSAGEID && (flags & INJECT_F_DELMSGID)) return 1;
  if (id == H_RETURNPATH && (flags & INJECT_F_DELRP)) return 1;
  m->seen |= BIT(id);
  switch (action) {
  case A_TOCC: case A_HR: list = &m->hr; count = &m->nhr; break;
  case A_HRR: list = &m->hrr; count = &m->nhrr; break;
  case A_RP: list = &m->rp; count = &m->nrp; break;
  case A_SENDER: list = &m->scratch; count = &n0; m->scratch.len = 0; break;
  default: return known[k].drop ? 1 : save(m, f->s, f->len);
  }
  before = list->len;
  n0 = *count;
  r = inject_alist_rewrite(&m->al, f->s + f->value, f->len - f->value, m->cfg->rw, list, count);
  if (r < 0) return nomem(m);
  if (!r) {
    stralloc *bad = action == A_HRR ? &m->bad_hrr : &m->bad_hr;
    switch (action) {
    case A_SENDER:
      return fail(m, INJECT_E_FIELD, f->s, f->namelen);
    case A_RP:
      if (m->have_sender) return 1;   /* -f decides; the field is dropped anyway */
      return fail(m, INJECT_E_FIELD, f->s, f->namelen);
    }
    /* Kept as written; an error only if the header's recipients are wanted. */
    if (!bad->len && (!stralloc_catb(bad, f->s, f->namelen) || !stralloc_0(bad)))
      return nomem(m);
    return known[k].drop ? 1 : save(m, f->s, f->len);
  }
  if (*count > INJECT_RCPT_MAX) return fail(m, INJECT_E_TOOMANY, "", 0);
  if (action == A_TOCC) {
    if (!stralloc_catb(&m->tocc, list->s + before, list->len - before)) return nomem(m);
    m->ntocc += *count - n0;
  }
  if (known[k].drop) return 1;
  return save(m, f->s, f->value) && save(m, m->al.out.s, m->al.out.len);
}

/* The user and host from the environment as an address; control characters could
 * smuggle in header lines and are refused. */
static int env_addr(inject_msg *m, stralloc *out, char const *user, char const *host,
                    int header)
{
  int r;
  m->scratch.len = 0;
  if (!stralloc_cats(&m->scratch, user)) return nomem(m);
  if (host && (!stralloc_catb(&m->scratch, "@", 1) || !stralloc_cats(&m->scratch, host)))
    return nomem(m);
  r = inject_addr_fromarg(&m->addr, m->scratch.s, m->scratch.len);
  if (r <= 0 || !m->addr.n || !inject_addr_complete(&m->addr, m->cfg->rw)
      || inject_addr_envlen(&m->addr) > INJECT_ADDR_MAX)
    return fail(m, INJECT_E_ENVADDR, m->scratch.s, m->scratch.len);
  if (!(header ? inject_addr_header(out, &m->addr) : inject_addr_envelope(out, &m->addr)))
    return nomem(m);
  return 1;
}

/* A display name from the environment, as a quoted string or a comment. */
static int put_name(stralloc *out, char const *name, int comment)
{
  size_t i;
  if (!stralloc_catb(out, comment ? "(" : "\"", 1)) return 0;
  for (i = 0; name[i]; i++) {
    unsigned char c = (unsigned char)name[i];
    if (c < 32 || c == 127) c = ' ';
    if ((c == '\\' || (comment ? (c == '(' || c == ')') : c == '"'))
        && !stralloc_catb(out, "\\", 1)) return 0;
    if (!stralloc_catb(out, (char *)&c, 1)) return 0;
  }
  return stralloc_catb(out, comment ? ")" : "\"", 1);
}

static int default_from(inject_msg *m, stralloc *head)
{
  inject_cfg const *c = m->cfg;
  int comment = (c->flags & INJECT_F_NAMECOMMENT) != 0;
  if (!stralloc_cats(head, "From: ")) return nomem(m);
  if (c->name && !comment && (!put_name(head, c->name, 0) || !stralloc_cats(head, " <")))
    return nomem(m);
  if (!env_addr(m, head, c->user, c->host, 1)) return 0;
  if (c->name && !comment && !stralloc_catb(head, ">", 1)) return nomem(m);
  if (c->name && comment && (!stralloc_catb(head, " ", 1) || !put_name(head, c->name, 1)))
    return nomem(m);
  if (!stralloc_catb(head, "\n", 1)) return nomem(m);
  return 1;
}

static int default_sender(inject_msg *m)
{
  inject_cfg const *c = m->cfg;
  stralloc user = STRALLOC_ZERO;
  char num[ULONG_FMT];
  int ok;
  if (!stralloc_cats(&user, c->suser)) return nomem(m);
  if (c->flags & INJECT_F_VERPMSG) {
    ok = stralloc_catb(&user, "-", 1)
         && stralloc_catb(&user, num, ulong_fmt(num, (unsigned long)c->now))
         && stralloc_catb(&user, ".", 1)
         && stralloc_catb(&user, num, ulong_fmt(num, c->pid));
    if (!ok) { stralloc_free(&user); return nomem(m); }
  }
  if ((c->flags & INJECT_F_VERPRCPT) && !stralloc_catb(&user, "-", 1)) {
    stralloc_free(&user);
    return nomem(m);
  }
  if (!stralloc_0(&user)) { stralloc_free(&user); return nomem(m); }
  m->sender.len = 0;
  ok = env_addr(m, &m->sender, user.s, c->shost, 0);
  stralloc_free(&user);
  if (!ok) return 0;
  if ((c->flags & INJECT_F_VERPRCPT) && !stralloc_cats(&m->sender, "-@[]")) return nomem(m);
  if (!stralloc_0(&m->sender)) return nomem(m);
  return 1;
}

int inject_msgid(stralloc *out, time_t now, unsigned long nsec, unsigned long pid,
                 char const *idhost)
{
  char stamp[QM_DATE_STAMP_MAX], num[ULONG_FMT];
  size_t n;
  n = qm_date_fmtstamp(stamp, now);
  if (!stralloc_catb(out, "<", 1) || !stralloc_catb(out, stamp, n)
      || !stralloc_catb(out, ".", 1)) return 0;
  n = ulong_fmt(num, nsec % 1000000000UL);
  if (!stralloc_catb(out, "000000000", 9 - n) || !stralloc_catb(out, num, n)) return 0;
  return stralloc_catb(out, ".", 1)
      && stralloc_catb(out, num, ulong_fmt(num, pid))
      && stralloc_cats(out, ".qmail@")
      && stralloc_cats(out, idhost)
      && stralloc_catb(out, ">", 1);
}

static int followup_to(inject_msg *m, stralloc *head)
{
  size_t i, k;
  int any = 0;
  if (!m->cfg->mft || (m->seen & BIT(H_MFT))) return 1;
  for (i = 0, k = 0; k < m->ntocc; k++, i += strlen(m->tocc.s + i) + 1)
    if (qm_control_listhas(m->cfg->mft, m->tocc.s + i, strlen(m->tocc.s + i))) any = 1;
  if (!any) return 1;
  if (!stralloc_cats(head, "Mail-Followup-To: ")) return nomem(m);
  for (i = 0, k = 0; k < m->ntocc; k++) {
    size_t len = strlen(m->tocc.s + i);
    if ((k && !stralloc_cats(head, ",\n  "))
        || !inject_quote_envelope(head, m->tocc.s + i, len)) return nomem(m);
    i += len + 1;
  }
  if (!stralloc_catb(head, "\n", 1)) return nomem(m);
  return 1;
}

/* The added fields; prefix is "" or "Resent-". */
static int generated(inject_msg *m, stralloc *head, char const *prefix, int date_seen,
                     int msgid_seen, int from_seen, int rcpt_seen)
{
  inject_cfg const *c = m->cfg;
  char date[QM_DATE_822_MAX];
  if (!date_seen
      && (!stralloc_cats(head, prefix) || !stralloc_cats(head, "Date: ")
          || !stralloc_catb(head, date, qm_date_fmt822(date, c->now))
          || !stralloc_catb(head, "\n", 1))) return nomem(m);
  if (!msgid_seen
      && (!stralloc_cats(head, prefix) || !stralloc_cats(head, "Message-ID: ")
          || !inject_msgid(head, c->now, c->nsec, c->pid, c->idhost)
          || !stralloc_catb(head, "\n", 1))) return nomem(m);
  if (!from_seen && (!stralloc_cats(head, prefix) || !default_from(m, head)))
    return m->err ? 0 : nomem(m);
  if (!rcpt_seen
      && (!stralloc_cats(head, prefix) || !stralloc_cats(head, "Cc: recipient list not shown: ;\n")))
    return nomem(m);
  return 1;
}

static int add_rcpts(inject_msg *m, stralloc const *list, size_t n)
{
  size_t i, k;
  for (i = 0, k = 0; k < n; k++) {
    size_t len = strlen(list->s + i);
    if (len) {          /* <> in a header is no recipient */
      if (m->nrcpts >= INJECT_RCPT_MAX) return fail(m, INJECT_E_TOOMANY, "", 0);
      if (!stralloc_catb(&m->rcpts, list->s + i, len + 1)) return nomem(m);
      m->nrcpts++;
    }
    i += len + 1;
  }
  return 1;
}

int inject_msg_finish(inject_msg *m, stralloc *head)
{
  inject_cfg const *c = m->cfg;
  unsigned long s = m->seen;
  int resent = (s & RESENT_BITS) != 0;
  head->len = 0;
  /* recipients */
  m->rcpts.len = 0;
  m->nrcpts = 0;
  if (!add_rcpts(m, &m->args, m->nargs)) return 0;
  if (c->header_rcpts) {
    stralloc const *bad = resent ? &m->bad_hrr : &m->bad_hr;
    if (bad->len) return fail(m, INJECT_E_FIELD, bad->s, bad->len - 1);
    if (!add_rcpts(m, resent ? &m->hrr : &m->hr, resent ? m->nhrr : m->nhr)) return 0;
  }
  /* sender: -f, else the first address of Return-Path, else the environment's */
  if (!m->have_sender && m->nrp) {
    size_t len = strlen(m->rp.s);
    m->sender.len = 0;
    if (!stralloc_catb(&m->sender, m->rp.s, len)) return nomem(m);
    if (len && (c->flags & INJECT_F_VERPRCPT) && !stralloc_cats(&m->sender, "-@[]"))
      return nomem(m);
    if (!stralloc_0(&m->sender)) return nomem(m);
    m->have_sender = 1;
  }
  if (!m->have_sender && !default_sender(m)) return 0;
  /* added fields, then the incoming ones */
  if (resent) {
    if (!generated(m, head, "Resent-", (s & BIT(H_RDATE)) != 0, (s & BIT(H_RMESSAGEID)) != 0,
                   (s & BIT(H_RFROM)) != 0, (s & (BIT(H_RTO) | BIT(H_RCC))) != 0)) return 0;
  } else {
    if (!generated(m, head, "", (s & BIT(H_DATE)) != 0, (s & BIT(H_MESSAGEID)) != 0,
                   (s & BIT(H_FROM)) != 0, (s & (BIT(H_TO) | BIT(H_CC))) != 0)) return 0;
    if (!followup_to(m, head)) return 0;
  }
  if (!stralloc_catb(head, m->saved.s, m->saved.len)) return nomem(m);
  return 1;
}

char const *inject_msg_strerr(int err)
{
  switch (err) {
  case INJECT_E_NOMEM: return "out of memory";
  case INJECT_E_ADDR: return "unable to parse address";
  case INJECT_E_ADDRLONG: return "address too long";
  case INJECT_E_FIELD: return "unable to parse the addresses in header field";
  case INJECT_E_ENVADDR: return "unable to make an address from the environment";
  case INJECT_E_TOOMANY: return "too many recipients";
  case INJECT_E_HEADLONG: return "header too long after rewriting";
  case INJECT_E_NORCPT: return "no recipients";
  }
  return "no error";
}
