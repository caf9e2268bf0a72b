/* Starting a helper thread whatever the stack limit. glibc gives a new thread a
 * stack as large as RLIMIT_STACK; under s6-softlimit -m, which sets that limit and
 * the address space's to the same figure, such a stack can never be mapped and
 * pthread_create fails. The suite's helper threads (closing, fsyncing) need
 * little stack, so they get a small fixed one. */
#ifndef QM_THREAD_H
#define QM_THREAD_H

#include <pthread.h>

#define QM_THREAD_STACK (256 * 1024)

/* pthread_create with a QM_THREAD_STACK stack: 0 or an error number. */
int qm_thread_start(pthread_t *t, void *(*fn)(void *), void *arg);

#endif
