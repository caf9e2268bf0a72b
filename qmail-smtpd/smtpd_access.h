/* qmail-smtpd's access decisions as pure functions over lists and a cdb lookup
 * callback: rcpthosts (+ morercpthosts.cdb), badmailfrom/badrcptto, and the
 * recipients cdb that says which local addresses exist. Trusts the lists (the
 * operator's) but not the address; never allocates beyond one bounded key. */
#ifndef SMTPD_ACCESS_H
#define SMTPD_ACCESS_H

#include <stddef.h>
#include <skalibs/stralloc.h>

/* A cdb lookup: 1 found, 0 not found (or no cdb), -1 error. */
typedef int smtpd_cdbget(void *ctx, char const *key, size_t len);

/* Is the lowercase domain, or one of its ".suffix"es, in the list or the cdb?
 * havelist 0 (no control/rcpthosts) means nothing is: no rcpthosts is no relaying.
 * 1 yes, 0 no, -1 cdb error. */
int smtpd_rcpthosts(stralloc const *list, int havelist, char const *domain,
                    smtpd_cdbget *cdb, void *ctx);

/* Is addr listed, exactly or by an "@domain" line, any case? */
int smtpd_addrlisted(stralloc const *list, char const *addr);

/* A recipients cdb lookup: 1 found with a value that does not start with '-',
 * 2 found with one that does ("no mailbox"), 0 not found (or no cdb), -1 error. */
typedef int smtpd_rcptget(void *ctx, char const *key, size_t len);

/* The recipients cdb (built by qmail-newrcpt), keys all lowercase:
 *   "@" domain               the domain's addresses are judged by this cdb
 *   "=" local "@" domain     this address: exists, or no mailbox if the value is "-"
 *   "+" prefix "@" domain    addresses starting with prefix (itself included) that no
 *                            "=" key and no longer "+" key decides: likewise
 * An address of a listed domain that no key decides has no mailbox. Every prefix
 * length is tried, longest first, so any character may end a prefix.
 * 1 deliverable or not a listed domain, 0 no such mailbox, -1 lookup error. */
int smtpd_rcptcheck(char const *addr, smtpd_rcptget *cdb, void *ctx);

#endif
