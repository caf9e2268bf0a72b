/* Building a line into a buffer the caller sized: each call copies at position at
 * and returns the position after what it put. No bounds are checked here; callers
 * size their buffers from the longest value of every piece. */
#ifndef QM_PUT_H
#define QM_PUT_H

#include <stddef.h>

/* s without its NUL. */
size_t qm_put_str(char *buf, size_t at, char const *s);

/* u in decimal. */
size_t qm_put_ulong(char *buf, size_t at, unsigned long u);

#endif
