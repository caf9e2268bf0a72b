#include <limits.h>
#include <pthread.h>

#include "qm_thread.h"

int qm_thread_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
  pthread_attr_t a;
  size_t size = QM_THREAD_STACK;
  int e = pthread_attr_init(&a);
  if (e) return e;
  if (size < (size_t)PTHREAD_STACK_MIN) size = PTHREAD_STACK_MIN;
  e = pthread_attr_setstacksize(&a, size);
  if (!e) e = pthread_create(t, &a, fn, arg);
  pthread_attr_destroy(&a);
  return e;
}
