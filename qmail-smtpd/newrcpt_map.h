/* qmail-newrcpt's model of local delivery: which local parts qmail-lspawn and
 * qmail-local would deliver, from users/assign entries, passwd accounts and the
 * .qmail files of their homes, turned into recipients cdb keys. Pure: the caller
 * reads the files and hands their contents in. It may only err towards "exists": a
 * home it could not read, or an account it cannot judge, accepts everything. */
#ifndef NEWRCPT_MAP_H
#define NEWRCPT_MAP_H

#include <stddef.h>
#include <skalibs/stralloc.h>

#define NRC_LOCAL_MAX 1000      /* longest local part modelled (qmail-local's limit) */
#define NRC_COLONS_MAX 4        /* a ':' in a .qmail name is a '.' or a ':' in the
                                   address: both spellings up to this many colons */
#define NRC_DOMAIN_MAX 255

typedef struct nrc_assign_s { char *key; size_t len; int exact; char *val; size_t vlen; } nrc_assign;
typedef struct nrc_account_s { char *name; char *home; } nrc_account;
typedef struct nrc_home_s { char *path; char **files; size_t nfiles, afiles; int unknown; } nrc_home;
typedef struct nrc_cand_s { char *s; size_t len; int prefix; } nrc_cand;

typedef struct nrc_s {
  char brk;                     /* conf-break: where qmail-getpw splits a local part */
  char const *aliasname;
  nrc_assign *assign;
  size_t nassign, aassign;
  nrc_account *acct;
  size_t nacct, aacct;
  char *aliashome;              /* null: no alias account */
  nrc_home *home;
  size_t nhome, ahome;
  nrc_cand *cand;
  size_t ncand, acand;
  nrc_account const *found;     /* scratch for the account check */
  stralloc tmp, val, name, key;
} nrc;

void nrc_init(nrc *m, char brk, char const *aliasname);
void nrc_free(nrc *m);

/* One users/assign entry as qmail-newu shapes it (a newu_add_fn): key "!" local "\0"
 * (exact) or "!" prefix (wildcard), value user\0uid\0gid\0home\0dash\0ext. The
 * first of duplicate keys wins. 1, or 0 (errno EINVAL for a bad record, ENOMEM). */
int nrc_add_assign(void *m, char const *key, size_t klen, char const *val, size_t vlen);
/* A passwd account qmail-getpw accepts (uid not 0, home absolute and owned by it);
 * the first of duplicate names wins. 1, or 0 on ENOMEM. */
int nrc_add_account(nrc *m, char const *name, char const *home);
/* The alias account's home (qmail-getpw takes it without other checks). */
int nrc_set_alias(nrc *m, char const *home);

/* After the adds: the homes whose .qmail files matter, sorted, without duplicates. */
int nrc_prepare(nrc *m);
/* For each home i < m->nhome (m->home[i].path): each regular file whose name starts
 * with ".qmail", or unknown (unreadable home, or one qmail-local refuses for now). */
int nrc_home_addfile(nrc *m, size_t i, char const *name);
void nrc_home_unknown(nrc *m, size_t i);
/* After the files: the candidate keys. 1, or 0 on ENOMEM. */
int nrc_build(nrc *m);

/* Would local (len bytes) be delivered? 1 yes or not ours to judge, 0 qmail-local
 * would answer "no mailbox here by that name", -1 out of memory. */
int nrc_decide(nrc *m, char const *local, size_t len);

/* Writes the keys of one domain (lowercase): "@domain", then "=local@domain" and
 * "+prefix@domain" with their verdicts. prepend non-null: a virtual domain, whose
 * address u is delivered as prepend-u. Returns 1, or 0 (ENOMEM, or emit failed). */
typedef int nrc_emit_fn(void *ctx, char const *key, size_t klen, int exists);
int nrc_emit(nrc *m, char const *domain, char const *prepend, nrc_emit_fn *emit, void *ctx);

#endif
