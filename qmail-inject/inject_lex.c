/* Lexing of structured header values for qmail-inject. Trusts nothing: the value
 * comes from the message; every byte is classified, quoted pairs and folding are
 * resolved with bounds checked, and nesting of comments is only counted, never
 * recursed. Never accepts a control character other than tab and line feed. */
#include <string.h>

#include "inject_lex.h"

static char const specials[] = "()<>[]:;@\\,.\"";

int inject_atom_char(unsigned char c)
{
  if (c <= 32 || c == 127) return 0;
  if (c >= 128) return 1;
  return !strchr(specials, c);
}

static int blank(unsigned char c)
{
  return c == ' ' || c == '\t' || c == '\n';
}

static int control(unsigned char c)
{
  return (c < 32 && c != '\t' && c != '\n') || c == 127;
}

/* Reads a quoted string or a domain literal from s[*i] (the opening character)
 * into lx->text, resolving quoted pairs and dropping line feeds (unfolding). */
static int delimited(inject_lexed *lx, char const *s, size_t len, size_t *i, char close,
                     int err, int *why)
{
  size_t j = *i + 1;
  for (;;) {
    unsigned char c;
    if (j >= len) { *why = err; return 0; }
    c = (unsigned char)s[j];
    if (c == (unsigned char)close) break;
    if (close == ']' && c == '[') { *why = err; return 0; }
    if (c == '\\') {
      if (++j >= len) { *why = err; return 0; }
      c = (unsigned char)s[j];
    }
    if (control(c)) { *why = INJECT_LEX_CHAR; return 0; }
    if (c != '\n' && !stralloc_catb(&lx->text, (char *)&c, 1)) return -1;
    j++;
  }
  *i = j + 1;
  return 1;
}

static int comment(char const *s, size_t len, size_t *i, int *why)
{
  size_t j = *i + 1, depth = 1;
  while (depth) {
    unsigned char c;
    if (j >= len) { *why = INJECT_LEX_COMMENT; return 0; }
    c = (unsigned char)s[j];
    if (c == '\\') {
      if (++j >= len) { *why = INJECT_LEX_COMMENT; return 0; }
      c = (unsigned char)s[j];
    } else if (c == '(') depth++;
    else if (c == ')') depth--;
    if (control(c)) { *why = INJECT_LEX_CHAR; return 0; }
    j++;
  }
  *i = j;
  return 1;
}

int inject_lex(inject_lexed *lx, char const *s, size_t len, int *why)
{
  size_t i = 0;
  genalloc_setlen(inject_tok, &lx->toks, 0);
  lx->text.len = 0;
  *why = INJECT_LEX_OK;
  while (i < len) {
    unsigned char c = (unsigned char)s[i];
    inject_tok t;
    int r = 1;
    if (blank(c)) { i++; continue; }
    t.start = i;
    t.text = lx->text.len;
    switch (c) {
    case '"':
      t.type = INJECT_T_QUOTE;
      r = delimited(lx, s, len, &i, '"', INJECT_LEX_QUOTE, why);
      break;
    case '[':
      t.type = INJECT_T_LITERAL;
      r = delimited(lx, s, len, &i, ']', INJECT_LEX_LITERAL, why);
      break;
    case '(':
      t.type = INJECT_T_COMMENT;
      r = comment(s, len, &i, why);
      break;
    case '<': case '>': case '@': case ',': case ';': case ':': case '.':
      t.type = (char)c;
      i++;
      break;
    default:
      if (!inject_atom_char(c)) { *why = INJECT_LEX_CHAR; return 0; }
      t.type = INJECT_T_ATOM;
      while (i < len && inject_atom_char((unsigned char)s[i])) i++;
      if (!stralloc_catb(&lx->text, s + t.start, i - t.start)) return -1;
    }
    if (r <= 0) return r;
    t.end = i;
    t.textlen = lx->text.len - t.text;
    if (!genalloc_append(inject_tok, &lx->toks, &t)) return -1;
  }
  return 1;
}

void inject_lex_free(inject_lexed *lx)
{
  genalloc_free(inject_tok, &lx->toks);
  stralloc_free(&lx->text);
}
