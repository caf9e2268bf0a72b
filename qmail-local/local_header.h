/* The loop checks of qmail-local, fed the message header in pieces of any size:
 * a header line equal byte for byte to this delivery's Delivered-To line means the
 * message came back; LOCAL_MAXHOPS lines starting with Received or Delivered (any
 * case) mean it is going round somewhere. Pure; keeps no copy of the message. */
#ifndef LOCAL_HEADER_H
#define LOCAL_HEADER_H

#include <stddef.h>

#define LOCAL_MAXHOPS 100

enum local_hdr_verdict { LOCAL_HDR_OK, LOCAL_HDR_MYLINE, LOCAL_HDR_HOPS };

typedef struct local_hdr_s {
  char const *dt;        /* the Delivered-To line, with its LF */
  size_t dtlen;
  size_t col;            /* bytes of the current line seen so far */
  int dtmatch;           /* the current line equals dt so far */
  int recmatch, delmatch;
  unsigned int hops;
  int done;
  enum local_hdr_verdict verdict;
} local_hdr;

void local_hdr_init(local_hdr *h, char const *dtline, size_t len);
/* >0 the verdict is final (the header ended, or a loop was seen), 0 need more. */
int local_hdr_feed(local_hdr *h, char const *s, size_t len);

#endif
