/* The RFC 5322 lexer for structured header values (address lists): atoms, quoted
 * strings, domain literals, comments and the specials, each with its place in the
 * value so that a rewrite can replace exactly the bytes of one address. */
#ifndef INJECT_LEX_H
#define INJECT_LEX_H

#include <stddef.h>
#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>

/* token types; the specials < > @ , ; : . stand for themselves */
#define INJECT_T_ATOM 'a'
#define INJECT_T_QUOTE 'q'      /* text: the content, quoted pairs resolved, unfolded */
#define INJECT_T_LITERAL 'l'    /* text: between the brackets, likewise */
#define INJECT_T_COMMENT 'c'    /* text: empty; the raw bytes are at start..end */

typedef struct inject_tok_s {
  char type;
  size_t start, end;      /* raw bytes [start, end) of the value */
  size_t text, textlen;   /* decoded text in inject_lexed.text */
} inject_tok;

typedef struct inject_lexed_s {
  genalloc toks;          /* inject_tok */
  stralloc text;
} inject_lexed;

#define INJECT_LEXED_ZERO { GENALLOC_ZERO, STRALLOC_ZERO }

/* Why a value did not lex. */
enum { INJECT_LEX_OK, INJECT_LEX_QUOTE, INJECT_LEX_COMMENT, INJECT_LEX_LITERAL,
       INJECT_LEX_CHAR };

/* Splits s into tokens (replacing what lx held). Returns 1, 0 if s is not
 * lexically valid (unclosed quote, comment or literal, or a control character
 * outside them; *why says which), -1 out of memory. */
int inject_lex(inject_lexed *lx, char const *s, size_t len, int *why);

#define inject_lex_n(lx) genalloc_len(inject_tok, &(lx)->toks)
#define inject_lex_tok(lx, i) (genalloc_s(inject_tok, &(lx)->toks) + (i))
#define inject_lex_text(lx, tk) ((lx)->text.s ? (lx)->text.s + (tk)->text : "")

void inject_lex_free(inject_lexed *lx);

/* Is c allowed in an atom: printable, not a special, 8-bit allowed (RFC 6532)? */
int inject_atom_char(unsigned char c);

#endif
