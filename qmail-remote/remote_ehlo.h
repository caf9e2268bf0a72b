/* EHLO capabilities (RFC 5321 4.1.1.1): the keywords of a 250 reply's lines after
 * the first, from the sanitized text of remote_reply. Unknown keywords are ignored. */
#ifndef REMOTE_EHLO_H
#define REMOTE_EHLO_H

#include <stddef.h>

#define REMOTE_EHLO_PIPELINING 0x01
#define REMOTE_EHLO_SIZE 0x02
#define REMOTE_EHLO_8BITMIME 0x04
#define REMOTE_EHLO_SMTPUTF8 0x08
#define REMOTE_EHLO_ENHANCED 0x10
#define REMOTE_EHLO_STARTTLS 0x20

typedef struct remote_ehlo {
  unsigned int caps;
  unsigned long sizemax;    /* SIZE's limit; 0 = none given */
} remote_ehlo;

/* text: reply lines joined by '\n', each starting "250-" or "250 ". */
void remote_ehlo_parse(remote_ehlo *e, char const *text, size_t len);

#endif
