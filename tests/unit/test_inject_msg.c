/* inject_msg: whole headers through qm_header and qmail-inject's decisions, as a
 * table of (configuration, arguments, header) and the exact header, envelope
 * sender and recipients that must come out, or the error. Each header is fed whole
 * and one byte at a time. Then the limits on recipients and on the header. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <skalibs/stralloc.h>

#include "qm_header.h"
#include "../../qmail-inject/inject_msg.h"

#define D "Date: 3 Jan 2024 09:05:07 -0000\n"
#define M "Message-ID: <20240103090507.000000005.4711.qmail@id.example>\n"
#define RD "Resent-" D
#define RM "Resent-" M
#define F "From: alice@dh.example\n"
#define C "Cc: recipient list not shown: ;\n"

static inject_rw rw;

struct mcase {
  char const *name;
  unsigned flags;
  int hr;                       /* header recipients wanted */
  char const *user, *host, *fullname, *suser, *shost, *mft;
  char const *fsender;
  char const *args[3];
  char const *in;
  int err;
  char const *errtext;
  char const *head, *sender, *rcpts;
};

static struct mcase const cases[] = {
  { "minimal", 0, 1, 0, 0, 0, 0, 0, 0, 0, { 0 }, "Subject: x\n\n", 0, 0,
    D M F C "Subject: x\n", "alice@dh.example", "" },
  { "no header", 0, 1, 0, 0, 0, 0, 0, 0, 0, { 0 }, "hi\n", 0, 0,
    D M F C, "alice@dh.example", "" },
  { "args only", 0, 0, 0, 0, 0, 0, 0, 0, 0, { "bob", "c@d.e" }, "To: t@x.y\n\n", 0, 0,
    D M F "To: t@x.y\n", "alice@dh.example", "bob@dh.example|c@d.e" },
  { "header recipients", 0, 1, 0, 0, 0, 0, 0, 0, 0, { 0 },
    "To: a\nCc: b@x.y\nBcc: c@x.y\nApparently-To: d@x.y\nSubject: s\n\n", 0, 0,
    D M F "To: a@dh.example\nCc: b@x.y\nApparently-To: d@x.y\nSubject: s\n", "alice@dh.example",
    "a@dh.example|b@x.y|c@x.y|d@x.y" },
  { "args and header", 0, 1, 0, 0, 0, 0, 0, 0, 0, { "z@z.z" }, "To: a@x.y\n", 0, 0,
    D M F "To: a@x.y\n", "alice@dh.example", "z@z.z|a@x.y" },
  { "resent", 0, 1, 0, 0, 0, 0, 0, 0, 0, { 0 },
    "From: x@y.z\nTo: a@y.z\nResent-To: r@y.z\nResent-Bcc: s@y.z\n\n", 0, 0,
    RD RM "Resent-" F "From: x@y.z\nTo: a@y.z\nResent-To: r@y.z\n", "alice@dh.example",
    "r@y.z|s@y.z" },
  { "resent without to", 0, 1, 0, 0, 0, 0, 0, 0, 0, { 0 }, "Resent-From: x@y.z\nTo: a@y.z\n", 0, 0,
    RD RM "Resent-" C "Resent-From: x@y.z\nTo: a@y.z\n", "alice@dh.example", "" },
  { "resent complete", 0, 1, 0, 0, 0, 0, 0, 0, 0, { 0 },
    "Resent-Date: whenever\nResent-Message-ID: <x@y>\nResent-From: x@y.z\nResent-Cc: c@y.z\n", 0, 0,
    "Resent-Date: whenever\nResent-Message-ID: <x@y>\nResent-From: x@y.z\nResent-Cc: c@y.z\n",
    "alice@dh.example", "c@y.z" },
  { "return-path", 0, 1, 0, 0, 0, 0, 0, 0, 0, { 0 }, "Return-Path: <rp@y.z>\nTo: a@y.z\n\n", 0, 0,
    D M F "To: a@y.z\n", "rp@y.z", "a@y.z" },
  { "return-path and -f", 0, 1, 0, 0, 0, 0, 0, 0, "f@y.z", { 0 }, "Return-Path: <rp@y.z>\nTo: a@y.z\n",
    0, 0, D M F "To: a@y.z\n", "f@y.z", "a@y.z" },
  { "return-path ignored (s)", INJECT_F_DELRP, 1, 0, 0, 0, 0, 0, 0, 0, { 0 },
    "Return-Path: <rp@y.z>\nTo: a@y.z\n", 0, 0, D M F "To: a@y.z\n", "alice@dh.example", "a@y.z" },
  { "return-path null", 0, 1, 0, 0, 0, 0, 0, 0, 0, { 0 }, "Return-Path: <>\nTo: a@y.z\n", 0, 0,
    D M F "To: a@y.z\n", "", "a@y.z" },
  { "return-path completed", 0, 1, 0, 0, 0, 0, 0, 0, 0, { 0 }, "Return-Path: rp\nTo: a@y.z\n", 0, 0,
    D M F "To: a@y.z\n", "rp@dh.example", "a@y.z" },
  { "two return-paths", 0, 1, 0, 0, 0, 0, 0, 0, 0, { 0 },
    "Return-Path: <one@y.z>\nReturn-Path: <two@y.z>\nTo: a@y.z\n", 0, 0,
    D M F "To: a@y.z\n", "one@y.z", "a@y.z" },
  { "verp r", INJECT_F_VERPRCPT, 1, 0, 0, 0, 0, 0, 0, 0, { 0 }, "To: a@y.z\n", 0, 0,
    D M F "To: a@y.z\n", "alice-@dh.example-@[]", "a@y.z" },
  { "verp r return-path", INJECT_F_VERPRCPT, 1, 0, 0, 0, 0, 0, 0, 0, { 0 },
    "Return-Path: <rp@y.z>\nTo: a@y.z\n", 0, 0, D M F "To: a@y.z\n", "rp@y.z-@[]", "a@y.z" },
  { "verp r -f", INJECT_F_VERPRCPT, 1, 0, 0, 0, 0, 0, 0, "f@y.z", { 0 }, "To: a@y.z\n", 0, 0,
    D M F "To: a@y.z\n", "f@y.z", "a@y.z" },
  { "verp m", INJECT_F_VERPMSG, 1, 0, 0, 0, 0, 0, 0, 0, { 0 }, "To: a@y.z\n", 0, 0,
    D M F "To: a@y.z\n", "alice-1704272707.4711@dh.example", "a@y.z" },
  { "verp m r", INJECT_F_VERPMSG | INJECT_F_VERPRCPT, 1, 0, 0, 0, 0, 0, 0, 0, { 0 }, "To: a@y.z\n",
    0, 0, D M F "To: a@y.z\n", "alice-1704272707.4711-@dh.example-@[]", "a@y.z" },
  { "sender user and host", 0, 1, 0, 0, 0, "bounces", "lists.example", 0, 0, { 0 }, "To: a@y.z\n",
    0, 0, D M F "To: a@y.z\n", "bounces@lists.example", "a@y.z" },
  { "mail host", 0, 1, 0, "mail.example", 0, 0, "mail.example", 0, 0, { 0 }, "To: a@y.z\n", 0, 0,
    D M "From: alice@mail.example\nTo: a@y.z\n", "alice@mail.example", "a@y.z" },
  { "dotless mail host", 0, 1, 0, "mail", 0, 0, "mail", 0, 0, { 0 }, "To: a@y.z\n", 0, 0,
    D M "From: alice@mail.dd.example\nTo: a@y.z\n", "alice@mail.dd.example", "a@y.z" },
  { "name", 0, 1, 0, 0, "Alice Liddell", 0, 0, 0, 0, { 0 }, "To: a@y.z\n", 0, 0,
    D M "From: \"Alice Liddell\" <alice@dh.example>\nTo: a@y.z\n", "alice@dh.example", "a@y.z" },
  { "name as comment", INJECT_F_NAMECOMMENT, 1, 0, 0, "Alice Liddell", 0, 0, 0, 0, { 0 },
    "To: a@y.z\n", 0, 0, D M "From: alice@dh.example (Alice Liddell)\nTo: a@y.z\n",
    "alice@dh.example", "a@y.z" },
  { "hostile name", 0, 1, 0, 0, "A\nBcc: x@evil\"(\\", 0, 0, 0, 0, { 0 }, "To: a@y.z\n", 0, 0,
    D M "From: \"A Bcc: x@evil\\\"(\\\\\" <alice@dh.example>\nTo: a@y.z\n", "alice@dh.example", "a@y.z" },
  { "hostile name as comment", INJECT_F_NAMECOMMENT, 1, 0, 0, "A\r\nB\"()", 0, 0, 0, 0, { 0 },
    "To: a@y.z\n", 0, 0, D M "From: alice@dh.example (A  B\"\\(\\))\nTo: a@y.z\n",
    "alice@dh.example", "a@y.z" },
  { "user needing quotes", 0, 1, "joe smith", 0, 0, "joe smith", 0, 0, 0, { 0 }, "To: a@y.z\n", 0, 0,
    D M "From: \"joe smith\"@dh.example\nTo: a@y.z\n", "joe smith@dh.example", "a@y.z" },
  { "hostile user", 0, 1, "a\nb", 0, 0, "a\nb", 0, 0, 0, { 0 }, "To: a@y.z\n",
    INJECT_E_ENVADDR, "a\nb", 0, 0, 0 },
  { "from completed", 0, 1, 0, 0, 0, 0, 0, 0, 0, { 0 }, "From: joe\n", 0, 0,
    D M C "From: joe@dh.example\n", "alice@dh.example", "" },
  { "from dropped (f)", INJECT_F_DELFROM, 1, 0, 0, 0, 0, 0, 0, 0, { 0 }, "From: joe@x.y\nTo: a@y.z\n",
    0, 0, D M F "To: a@y.z\n", "alice@dh.example", "a@y.z" },
  { "message-id kept", 0, 1, 0, 0, 0, 0, 0, 0, 0, { 0 }, "Message-ID: <old@x>\nTo: a@y.z\n", 0, 0,
    D F "Message-ID: <old@x>\nTo: a@y.z\n", "alice@dh.example", "a@y.z" },
  { "message-id dropped (i)", INJECT_F_DELMSGID, 1, 0, 0, 0, 0, 0, 0, 0, { 0 },
    "Message-ID: <old@x>\nTo: a@y.z\n", 0, 0, D M F "To: a@y.z\n", "alice@dh.example", "a@y.z" },
  { "date kept", 0, 1, 0, 0, 0, 0, 0, 0, 0, { 0 }, "Date: yesterday\nTo: a@y.z\n", 0, 0,
    M F "Date: yesterday\nTo: a@y.z\n", "alice@dh.example", "a@y.z" },
  { "content-length dropped", 0, 1, 0, 0, 0, 0, 0, 0, 0, { 0 }, "Content-Length: 5\nTo: a@y.z\n",
    0, 0, D M F "To: a@y.z\n", "alice@dh.example", "a@y.z" },
  { "mbox line", 0, 1, 0, 0, 0, 0, 0, 0, 0, { 0 }, "From joe Mon Jan 1\nTo: a@y.z\n", 0, 0,
    D M F "MBOX-Line: From joe Mon Jan 1\nTo: a@y.z\n", "alice@dh.example", "a@y.z" },
  { "bad from", 0, 1, 0, 0, 0, 0, 0, 0, 0, { 0 }, "From: John Smith\n", INJECT_E_FIELD, "From",
    0, 0, 0 },
  { "bad reply-to", 0, 0, 0, 0, 0, 0, 0, 0, 0, { "a@y.z" }, "Reply-To: <x\n", INJECT_E_FIELD,
    "Reply-To", 0, 0, 0 },
  { "bad to, header recipients", 0, 1, 0, 0, 0, 0, 0, 0, 0, { 0 }, "TO: John Smith\n",
    INJECT_E_FIELD, "TO", 0, 0, 0 },
  { "bad to, argument recipients", 0, 0, 0, 0, 0, 0, 0, 0, 0, { "a@y.z" },
    "To: John Smith\nBcc: (x\n", 0, 0, D M F "To: John Smith\n", "alice@dh.example", "a@y.z" },
  { "bad to in a resent message", 0, 1, 0, 0, 0, 0, 0, 0, 0, { 0 },
    "Resent-To: r@y.z\nTo: John Smith\n", 0, 0,
    RD RM "Resent-" F "Resent-To: r@y.z\nTo: John Smith\n", "alice@dh.example", "r@y.z" },
  { "bad resent-cc", 0, 1, 0, 0, 0, 0, 0, 0, 0, { 0 }, "Resent-Cc: \"x\n", INJECT_E_FIELD,
    "Resent-Cc", 0, 0, 0 },
  { "bad return-path", 0, 1, 0, 0, 0, 0, 0, 0, 0, { 0 }, "Return-Path: <x\nTo: a@y.z\n",
    INJECT_E_FIELD, "Return-Path", 0, 0, 0 },
  { "bad return-path, -f", 0, 1, 0, 0, 0, 0, 0, 0, "f@y.z", { 0 }, "Return-Path: <x\nTo: a@y.z\n",
    0, 0, D M F "To: a@y.z\n", "f@y.z", "a@y.z" },
  { "mail-followup-to", 0, 1, 0, 0, 0, 0, 0, "list@y.z", 0, { 0 }, "To: LIST@y.z\nCc: bob@y.z\n", 0, 0,
    D M F "Mail-Followup-To: LIST@y.z,\n  bob@y.z\nTo: LIST@y.z\nCc: bob@y.z\n", "alice@dh.example",
    "LIST@y.z|bob@y.z" },
  { "mail-followup-to, no list", 0, 1, 0, 0, 0, 0, 0, "list@y.z", 0, { 0 }, "To: a@y.z\n", 0, 0,
    D M F "To: a@y.z\n", "alice@dh.example", "a@y.z" },
  { "mail-followup-to present", 0, 1, 0, 0, 0, 0, 0, "list@y.z", 0, { 0 },
    "Mail-Followup-To: x@y.z\nTo: list@y.z\n", 0, 0,
    D M F "Mail-Followup-To: x@y.z\nTo: list@y.z\n", "alice@dh.example", "list@y.z" },
  { "null and group recipients", 0, 1, 0, 0, 0, 0, 0, 0, 0, { 0 },
    "To: <>, team: a@y.z, b@y.z;\n", 0, 0, D M F "To: <>, team: a@y.z, b@y.z;\n",
    "alice@dh.example", "a@y.z|b@y.z" },
  { "bad argument", 0, 0, 0, 0, 0, 0, 0, 0, 0, { "a b@c d" }, "", INJECT_E_ADDR, "a b@c d", 0, 0, 0 },
  { "empty argument", 0, 0, 0, 0, 0, 0, 0, 0, 0, { "" }, "", INJECT_E_ADDR, "", 0, 0, 0 },
  { "null -f", 0, 0, 0, 0, 0, 0, 0, 0, "<>", { "a@y.z" }, "", 0, 0, D M F C, "", "a@y.z" },
  { "empty -f", 0, 0, 0, 0, 0, 0, 0, 0, "", { "a@y.z" }, "", 0, 0, D M F C, "", "a@y.z" },
  { "short -f", 0, 0, 0, 0, 0, 0, 0, 0, "joe", { "a@y.z" }, "", 0, 0, D M F C, "joe@dh.example", "a@y.z" },
  { "bad -f", 0, 0, 0, 0, 0, 0, 0, 0, "joe@x\001", { "a@y.z" }, "", INJECT_E_ADDR, "joe@x\001", 0, 0, 0 },
  { "names ignore case", 0, 1, 0, 0, 0, 0, 0, 0, 0, { 0 }, "TO: a@y.z\nbcc: b@y.z\n", 0, 0,
    D M F "TO: a@y.z\n", "alice@dh.example", "a@y.z|b@y.z" },
  { "longer name", 0, 1, 0, 0, 0, 0, 0, 0, 0, { 0 }, "To-X: a\nX-To: b\n", 0, 0,
    D M F C "To-X: a\nX-To: b\n", "alice@dh.example", "" },
  { "blank before colon", 0, 1, 0, 0, 0, 0, 0, 0, 0, { 0 }, "To : a\n", 0, 0,
    D M F "To : a@dh.example\n", "alice@dh.example", "a@dh.example" },
  { "folded to", 0, 1, 0, 0, 0, 0, 0, 0, 0, { 0 }, "To: a,\n b\r\n\r\n", 0, 0,
    D M F "To: a@dh.example,\n b@dh.example\n", "alice@dh.example", "a@dh.example|b@dh.example" },
};

static void join(stralloc *out, stralloc const *list, size_t n)
{
  size_t i, k;
  for (i = 0, k = 0; k < n; k++) {
    size_t len = strlen(list->s + i);
    if (k) assert_true(stralloc_catb(out, "|", 1));
    assert_true(stralloc_catb(out, list->s + i, len));
    i += len + 1;
  }
  assert_true(stralloc_0(out));
}

static void run_case(struct mcase const *c, int trickle)
{
  inject_cfg cfg;
  inject_msg m;
  qm_header h;
  stralloc head = STRALLOC_ZERO, rcpts = STRALLOC_ZERO, mft = STRALLOC_ZERO;
  size_t i, len = strlen(c->in), used;
  int r = 1;
  memset(&cfg, 0, sizeof cfg);
  cfg.rw = &rw;
  cfg.idhost = "id.example";
  cfg.flags = c->flags;
  cfg.header_rcpts = c->hr;
  cfg.user = c->user ? c->user : "alice";
  cfg.host = c->host;
  cfg.name = c->fullname;
  cfg.suser = c->suser ? c->suser : cfg.user;
  cfg.shost = c->shost;
  if (c->mft) {
    assert_true(stralloc_cats(&mft, c->mft) && stralloc_0(&mft));
    cfg.mft = &mft;
  }
  cfg.now = 1704272707;
  cfg.nsec = 5;
  cfg.pid = 4711;
  inject_msg_init(&m, &cfg);
  if (c->fsender) r = inject_msg_sender_arg(&m, c->fsender);
  for (i = 0; r && i < 3 && c->args[i]; i++) r = inject_msg_rcpt_arg(&m, c->args[i]);
  if (r) {
    qm_header_init(&h, QM_HEADER_MBOXLINE, &inject_msg_field, &m);
    if (trickle) {
      for (i = 0; i < len; i++) {
        int q = qm_header_feed(&h, c->in + i, 1, &used);
        if (q) { r = q > 0; break; }
      }
      if (i == len) r = qm_header_end(&h) > 0;
    } else {
      int q = qm_header_feed(&h, c->in, len, &used);
      r = q > 0 || (q == 0 && qm_header_end(&h) > 0);
    }
    if (!r && h.err != QM_HEADER_E_CALLBACK)
      fail_msg("%s: header error %s", c->name, qm_header_strerr(h.err));
    qm_header_free(&h);
  }
  if (r) r = inject_msg_finish(&m, &head);
  if (c->err) {
    if (r || m.err != c->err)
      fail_msg("%s: got %d err %d (%s), want err %d", c->name, r, m.err,
               inject_msg_strerr(m.err), c->err);
    if (strcmp(m.errtext.s, c->errtext))
      fail_msg("%s: error about \"%s\", want \"%s\"", c->name, m.errtext.s, c->errtext);
  } else {
    if (!r) fail_msg("%s: got error %s: %s", c->name, inject_msg_strerr(m.err),
                     m.errtext.s ? m.errtext.s : "");
    assert_true(stralloc_0(&head));
    if (strcmp(head.s, c->head))
      fail_msg("%s%s: header got\n%s\nwant\n%s", c->name, trickle ? " (trickle)" : "", head.s, c->head);
    if (strcmp(m.sender.s, c->sender))
      fail_msg("%s: sender got \"%s\", want \"%s\"", c->name, m.sender.s, c->sender);
    join(&rcpts, &m.rcpts, m.nrcpts);
    if (strcmp(rcpts.s, c->rcpts))
      fail_msg("%s: recipients got \"%s\", want \"%s\"", c->name, rcpts.s, c->rcpts);
  }
  inject_msg_free(&m);
  stralloc_free(&head);
  stralloc_free(&rcpts);
  stralloc_free(&mft);
}

static void table(void **state)
{
  size_t i;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    run_case(&cases[i], 0);
    run_case(&cases[i], 1);
  }
}

static void msgid(void **state)
{
  stralloc s = STRALLOC_ZERO;
  (void)state;
  assert_true(inject_msgid(&s, 0, 999999999, 1, "h") && stralloc_0(&s));
  assert_string_equal(s.s, "<19700101000000.999999999.1.qmail@h>");
  s.len = 0;
  /* nanoseconds out of range are reduced, never widen the field */
  assert_true(inject_msgid(&s, 1704272707, 1000000007UL, 4294967295UL, "id.example") && stralloc_0(&s));
  assert_string_equal(s.s, "<20240103090507.000000007.4294967295.qmail@id.example>");
  stralloc_free(&s);
}

static void cfg_basic(inject_cfg *cfg, int hr)
{
  memset(cfg, 0, sizeof *cfg);
  cfg->rw = &rw;
  cfg->idhost = "id.example";
  cfg->user = cfg->suser = "alice";
  cfg->header_rcpts = hr;
}

static void too_many(void **state)
{
  inject_cfg cfg;
  inject_msg m;
  size_t i;
  (void)state;
  cfg_basic(&cfg, 0);
  inject_msg_init(&m, &cfg);
  for (i = 0; i < INJECT_RCPT_MAX; i++) assert_int_equal(inject_msg_rcpt_arg(&m, "a@b.c"), 1);
  assert_int_equal(inject_msg_rcpt_arg(&m, "a@b.c"), 0);
  assert_int_equal(m.err, INJECT_E_TOOMANY);
  inject_msg_free(&m);
}

static void head_limit(void **state)
{
  /* Reply-To fields of short addresses that completion makes twenty times longer */
  inject_cfg cfg;
  inject_msg m;
  inject_rw big;
  stralloc f = STRALLOC_ZERO;
  qm_header_field hf;
  size_t i, fields = 0;
  int r = 1;
  (void)state;
  assert_int_equal(inject_rw_init(&big, "a-rather-long-default-host.example.org", "x", "y"), 1);
  cfg_basic(&cfg, 0);
  cfg.rw = &big;
  inject_msg_init(&m, &cfg);
  assert_true(stralloc_cats(&f, "Reply-To: "));
  for (i = 0; i < 30000; i++) assert_true(stralloc_cats(&f, "a,"));
  assert_true(stralloc_cats(&f, "a\n"));
  hf.s = f.s; hf.len = f.len; hf.namelen = 8; hf.value = 9; hf.mboxline = 0;
  while (r && fields < 10) { r = inject_msg_field(&m, &hf); fields++; }
  assert_int_equal(r, 0);
  assert_int_equal(m.err, INJECT_E_HEADLONG);
  assert_true(fields > 2);
  assert_true(m.saved.len <= INJECT_HEAD_OUT_MAX);
  inject_msg_free(&m);
  inject_rw_free(&big);
  stralloc_free(&f);
}

static int setup(void **state)
{
  (void)state;
  return inject_rw_init(&rw, "dh.example", "dd.example", "pd.example") == 1 ? 0 : -1;
}

static int teardown(void **state)
{
  (void)state;
  inject_rw_free(&rw);
  return 0;
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(table),
    cmocka_unit_test(msgid),
    cmocka_unit_test(too_many),
    cmocka_unit_test(head_limit),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
