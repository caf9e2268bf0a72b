/* qm_header: a table of header blocks, each fed whole, one byte at a time and in
 * uneven chunks, that must give the same fields, the same end (empty line, end of
 * input, a line that is not a field, or an error) and the same body bytes. Then the
 * size limits at and one past their values. */
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

/* What one run saw: fields as "name=value" ("M=line" for mbox lines), the body. */
struct seen {
  stralloc fields;
  stralloc body;
  int result;          /* 1 done, -1 error */
  int err, blank, crlf;
  int refuse_at;       /* refuse the n-th field (1-based), 0 never */
  int nfields;
};

static int record(void *ctx, qm_header_field const *f)
{
  struct seen *w = ctx;
  w->nfields++;
  if (w->refuse_at && w->nfields == w->refuse_at) return 0;
  if (f->mboxline) {
    assert_true(stralloc_catb(&w->fields, "M=", 2));
    assert_true(stralloc_catb(&w->fields, f->s, f->len));
  } else {
    assert_true(f->namelen > 0 && f->value > f->namelen && f->s[f->value - 1] == ':');
    assert_true(stralloc_catb(&w->fields, f->s, f->namelen));
    assert_true(stralloc_catb(&w->fields, "=", 1));
    assert_true(stralloc_catb(&w->fields, f->s + f->value, f->len - f->value));
  }
  assert_true(f->len > 0 && f->s[f->len - 1] == '\n');
  return 1;
}

/* Feeds in chunks of chunk bytes (0: whole). */
static void run(struct seen *w, char const *in, size_t len, unsigned flags, size_t chunk)
{
  qm_header h;
  size_t off = 0, used;
  int r = 0;
  qm_header_init(&h, flags, &record, w);
  while (off < len) {
    size_t n = chunk && chunk < len - off ? chunk : len - off;
    r = qm_header_feed(&h, in + off, n, &used);
    if (r < 0) break;
    assert_true(used <= n);
    if (r > 0) {
      assert_true(stralloc_catb(&w->body, h.rest ? h.rest : "", h.restlen));
      assert_true(stralloc_catb(&w->body, in + off + used, len - off - used));
      /* once done, it takes nothing more */
      assert_int_equal(qm_header_feed(&h, "x", 1, &used), 1);
      assert_int_equal(used, 0);
      break;
    }
    assert_int_equal(used, n);
    off += n;
  }
  if (r == 0) {
    r = qm_header_end(&h);
    if (r > 0) assert_true(stralloc_catb(&w->body, h.rest ? h.rest : "", h.restlen));
  }
  w->result = r;
  w->err = h.err;
  w->blank = h.blank;
  w->crlf = h.crlf;
  qm_header_free(&h);
}

struct hcase {
  char const *name;
  char const *in;
  size_t len;            /* 0: strlen(in) */
  unsigned flags;
  int result;            /* 1 done, -1 error */
  int err;
  char const *fields;
  int blank;
  char const *body;
  size_t blen;
};

#define L(s) s, sizeof s - 1
#define B(s) s, sizeof s - 1

static struct hcase const cases[] = {
  { "simple", "Subject: hi\n\nbody\n", 0, 0, 1, 0, "Subject= hi\n", 1, B("body\n") },
  { "crlf", "Subject: hi\r\nTo: a\r\n\r\nbody\r\n", 0, 0, 1, 0,
    "Subject= hi\nTo= a\n", 1, B("body\r\n") },
  { "folded", "Subject: a\n b\n\tc\nX: y\n\nB", 0, 0, 1, 0, "Subject= a\n b\n\tc\nX= y\n", 1, B("B") },
  { "folded crlf", "Subject: a\r\n b\r\n\r\n", 0, 0, 1, 0, "Subject= a\n b\n", 1, B("") },
  { "no body", "Subject: a\nTo: b\n", 0, 0, 1, 0, "Subject= a\nTo= b\n", 0, B("") },
  { "no final newline", "Subject: a", 0, 0, 1, 0, "Subject= a\n", 0, B("") },
  { "fold at eof", "A: b\n c", 0, 0, 1, 0, "A= b\n c\n", 0, B("") },
  { "cr at eof", "A: b\r", 0, 0, 1, 0, "A= b\n", 0, B("") },
  { "empty value", "A:\nB:\n\n", 0, 0, 1, 0, "A=\nB=\n", 1, B("") },
  { "blanks before colon", "Subject  : x\nT\t: y\n\n", 0, 0, 1, 0, "Subject= x\nT= y\n", 1, B("") },
  { "no header at all", "hi\n", 0, 0, 1, 0, "", 0, B("hi\n") },
  { "no header no newline", "hi", 0, 0, 1, 0, "", 0, B("hi") },
  { "no header crlf", "hi\r\nthere\r\n", 0, 0, 1, 0, "", 0, B("hi\nthere\r\n") },
  { "text after fields", "Subject: x\nhello world\nmore\n", 0, 0, 1, 0, "Subject= x\n", 0,
    B("hello world\nmore\n") },
  { "blank inside name", "Subject: x\nBad Name: y\n", 0, 0, 1, 0, "Subject= x\n", 0, B("Bad Name: y\n") },
  { "empty name", ": x\n", 0, 0, 1, 0, "", 0, B(": x\n") },
  { "continuation first", " x: y\n", 0, 0, 1, 0, "", 0, B(" x: y\n") },
  { "8-bit name", "S\xc3\xbc: x\n", 0, 0, 1, 0, "", 0, B("S\xc3\xbc: x\n") },
  { "8-bit value", "Subject: \xc3\xbc\xff\n\n", 0, 0, 1, 0, "Subject= \xc3\xbc\xff\n", 1, B("") },
  { "control in name", "A\x01: x\n", 0, 0, 1, 0, "", 0, B("A\x01: x\n") },
  { "nul in value", L("Subject: a\0b\n\n"), 0, -1, QM_HEADER_E_NUL, "", 0, B("") },
  { "nul in name", L("A\0: x\n\n"), 0, 1, 0, "", 0, L("A\0: x\n\n") },
  { "strict not a field", "A: b\nhi\n", 0, QM_HEADER_STRICT, -1, QM_HEADER_E_NAME, "A= b\n", 0, B("") },
  { "strict eof in name", "A: b\nhi", 0, QM_HEADER_STRICT, -1, QM_HEADER_E_NAME, "A= b\n", 0, B("") },
  { "strict ok", "A: b\n\nhi", 0, QM_HEADER_STRICT, 1, 0, "A= b\n", 1, B("hi") },
  { "mbox line", "From joe Mon Jan  1 00:00:00 2024\nSubject: x\n\n", 0, QM_HEADER_MBOXLINE, 1, 0,
    "M=From joe Mon Jan  1 00:00:00 2024\nSubject= x\n", 1, B("") },
  { "mbox line folded", "From joe\n x\n\n", 0, QM_HEADER_MBOXLINE, 1, 0, "M=From joe\n x\n", 1, B("") },
  { "mbox line unwanted", "From joe Mon\nSubject: x\n\n", 0, 0, 1, 0, "", 0,
    B("From joe Mon\nSubject: x\n\n") },
  { "From field with mbox flag", "From: joe\n\n", 0, QM_HEADER_MBOXLINE, 1, 0, "From= joe\n", 1, B("") },
  { "lone cr in value", "Subject: a\rb\n\n", 0, 0, 1, 0, "Subject= a\rb\n", 1, B("") },
  { "lone cr at line start", "Subject: a\n\rX\n", 0, 0, 1, 0, "Subject= a\n", 0, B("\rX\n") },
  { "lone cr in name", "Sub\rject: a\n", 0, 0, 1, 0, "", 0, B("Sub\rject: a\n") },
  { "empty input", "", 0, 0, 1, 0, "", 0, B("") },
  { "only lf", "\n", 0, 0, 1, 0, "", 1, B("") },
  { "only crlf", "\r\n", 0, 0, 1, 0, "", 1, B("") },
  { "blank then more", "\n\nA: b\n", 0, 0, 1, 0, "", 1, B("\nA: b\n") },
  { "crlf blank line, lf fields", "A: b\n\r\nbody", 0, 0, 1, 0, "A= b\n", 1, B("body") },
  { "colon in value", "A: b: c\n\n", 0, 0, 1, 0, "A= b: c\n", 1, B("") },
};

static void check_case(struct hcase const *c, size_t chunk)
{
  struct seen w;
  size_t len = c->len ? c->len : strlen(c->in);
  size_t blen = c->blen;
  memset(&w, 0, sizeof w);
  run(&w, c->in, len, c->flags, chunk);
  if (w.result != c->result || (c->result < 0 && w.err != c->err))
    fail_msg("%s (chunk %zu): got result %d err %d, want %d err %d", c->name, chunk,
             w.result, w.err, c->result, c->err);
  if (w.fields.len != strlen(c->fields) || (w.fields.len && memcmp(w.fields.s, c->fields, w.fields.len)))
    fail_msg("%s (chunk %zu): got fields \"%.*s\", want \"%s\"", c->name, chunk,
             (int)w.fields.len, w.fields.s ? w.fields.s : "", c->fields);
  if (c->result > 0) {
    if (w.blank != c->blank)
      fail_msg("%s (chunk %zu): got blank %d, want %d", c->name, chunk, w.blank, c->blank);
    if (w.body.len != blen || (blen && memcmp(w.body.s, c->body, blen)))
      fail_msg("%s (chunk %zu): got body \"%.*s\", want \"%s\"", c->name, chunk,
               (int)w.body.len, w.body.s ? w.body.s : "", c->body);
  }
  stralloc_free(&w.fields);
  stralloc_free(&w.body);
}

static void table(void **state)
{
  size_t i, chunk;
  static size_t const chunks[] = { 0, 1, 2, 3, 7 };
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
    for (chunk = 0; chunk < sizeof chunks / sizeof chunks[0]; chunk++)
      check_case(&cases[i], chunks[chunk]);
}

static void crlf_flag(void **state)
{
  struct seen w;
  (void)state;
  memset(&w, 0, sizeof w);
  run(&w, "A: b\r\n\r\n", 8, 0, 1);
  assert_int_equal(w.crlf, 1);
  stralloc_free(&w.fields); stralloc_free(&w.body);
  memset(&w, 0, sizeof w);
  run(&w, "A: b\n\r\n", 7, 0, 0);
  assert_int_equal(w.crlf, 0);
  stralloc_free(&w.fields); stralloc_free(&w.body);
}

/* A field of exactly n stored bytes ("X: " + filler + LF), then "\n". */
static char *field_of(size_t n, size_t *len)
{
  char *s = malloc(n + 1);
  assert_non_null(s);
  memcpy(s, "X: ", 3);
  memset(s + 3, 'a', n - 4);
  s[n - 1] = '\n';
  s[n] = '\n';
  *len = n + 1;
  return s;
}

static void field_limit(void **state)
{
  struct seen w;
  size_t len;
  char *s;
  (void)state;
  assert_int_equal(QM_HEADER_FIELD_MAX, 64 * 1024);   /* the error text says 64 KiB */
  s = field_of(QM_HEADER_FIELD_MAX, &len);
  memset(&w, 0, sizeof w);
  run(&w, s, len, 0, 0);
  assert_int_equal(w.result, 1);
  assert_int_equal(w.fields.len, QM_HEADER_FIELD_MAX);   /* "X" "=" replaces "X:" */
  stralloc_free(&w.fields); stralloc_free(&w.body);
  free(s);
  s = field_of(QM_HEADER_FIELD_MAX + 1, &len);
  memset(&w, 0, sizeof w);
  run(&w, s, len, 0, 4096);
  assert_int_equal(w.result, -1);
  assert_int_equal(w.err, QM_HEADER_E_FIELD);
  assert_string_equal(qm_header_strerr(w.err), "header field longer than 64 KiB");
  stralloc_free(&w.fields); stralloc_free(&w.body);
  free(s);
  /* a long field made of continuation lines counts as one */
  {
    size_t n = QM_HEADER_FIELD_MAX + 10, i;
    s = malloc(n);
    assert_non_null(s);
    memcpy(s, "X: a\n", 5);
    for (i = 5; i < n; i++) s[i] = (i % 2) ? ' ' : '\n';
    memset(&w, 0, sizeof w);
    run(&w, s, n, 0, 0);
    assert_int_equal(w.result, -1);
    assert_int_equal(w.err, QM_HEADER_E_FIELD);
    stralloc_free(&w.fields); stralloc_free(&w.body);
    free(s);
  }
}

static void block_limit(void **state)
{
  /* Fields of 1024 bytes each; the block is n of them and the empty line. */
  size_t nf = QM_HEADER_BLOCK_MAX / 1024, i, len;
  char *s;
  struct seen w;
  (void)state;
  assert_int_equal(QM_HEADER_BLOCK_MAX, 1024 * 1024);
  s = malloc(QM_HEADER_BLOCK_MAX + 2);
  assert_non_null(s);
  /* exactly the limit: nf - 1 full fields, one field one byte short, then LF */
  for (i = 0; i < nf; i++) {
    char *f = s + i * 1024;
    memcpy(f, "X: ", 3);
    memset(f + 3, 'b', 1020);
    f[1023] = '\n';
  }
  s[QM_HEADER_BLOCK_MAX - 2] = '\n';
  s[QM_HEADER_BLOCK_MAX - 1] = '\n';
  len = QM_HEADER_BLOCK_MAX;
  memset(&w, 0, sizeof w);
  run(&w, s, len, 0, 65536);
  assert_int_equal(w.result, 1);
  assert_int_equal(w.blank, 1);
  assert_int_equal(w.nfields, (int)nf);
  stralloc_free(&w.fields); stralloc_free(&w.body);
  /* one byte more before the empty line */
  s[QM_HEADER_BLOCK_MAX - 1] = 'c';
  s[QM_HEADER_BLOCK_MAX] = '\n';
  s[QM_HEADER_BLOCK_MAX + 1] = '\n';
  memset(&w, 0, sizeof w);
  run(&w, s, QM_HEADER_BLOCK_MAX + 2, 0, 65536);
  assert_int_equal(w.result, -1);
  assert_int_equal(w.err, QM_HEADER_E_BLOCK);
  assert_string_equal(qm_header_strerr(w.err), "header longer than 1 MiB");
  stralloc_free(&w.fields); stralloc_free(&w.body);
  free(s);
}

static void callback_refuses(void **state)
{
  struct seen w;
  qm_header h;
  size_t used;
  (void)state;
  memset(&w, 0, sizeof w);
  w.refuse_at = 2;
  run(&w, "A: 1\nB: 2\nC: 3\n\n", 16, 0, 0);
  assert_int_equal(w.result, -1);
  assert_int_equal(w.err, QM_HEADER_E_CALLBACK);
  assert_int_equal(w.nfields, 2);
  stralloc_free(&w.fields); stralloc_free(&w.body);
  /* after an error every call keeps failing */
  memset(&w, 0, sizeof w);
  qm_header_init(&h, 0, &record, &w);
  assert_int_equal(qm_header_feed(&h, "A: \0\n", 5, &used), -1);
  assert_int_equal(qm_header_feed(&h, "\n", 1, &used), -1);
  assert_int_equal(qm_header_end(&h), -1);
  qm_header_free(&h);
  stralloc_free(&w.fields); stralloc_free(&w.body);
}

static void names(void **state)
{
  static struct { char const *s; int ok; } const t[] = {
    { "Subject", 1 }, { "X-A.b_c!#$%&'*+/=?^`{|}~", 1 }, { "", 0 }, { "A B", 0 },
    { "A:", 0 }, { "A\x7f", 0 }, { "\xc3\xa4", 0 }, { "A\tB", 0 },
  };
  qm_header_field f;
  size_t i;
  (void)state;
  for (i = 0; i < sizeof t / sizeof t[0]; i++)
    if (qm_header_name_ok(t[i].s, strlen(t[i].s)) != t[i].ok)
      fail_msg("name \"%s\": got %d, want %d", t[i].s, !t[i].ok, t[i].ok);
  f.s = "CoNtEnT-LeNgTh: 3\n"; f.len = strlen(f.s); f.namelen = 14; f.value = 15; f.mboxline = 0;
  assert_true(qm_header_is(&f, "content-length"));
  assert_false(qm_header_is(&f, "content-lengt"));
  assert_false(qm_header_is(&f, "content-lengthx"));
  f.mboxline = 1;
  assert_false(qm_header_is(&f, "content-length"));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(table),
    cmocka_unit_test(crlf_flag),
    cmocka_unit_test(field_limit),
    cmocka_unit_test(block_limit),
    cmocka_unit_test(callback_refuses),
    cmocka_unit_test(names),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
