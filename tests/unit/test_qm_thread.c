/* qm_thread_start runs its function, and it still starts a thread in a process
 * whose stack and address space limits are both 256 MB (qmail-send's service runs
 * it under s6-softlimit -m 256000000), where a thread with glibc's default stack,
 * as large as RLIMIT_STACK, cannot be mapped. The limited case runs in a fresh
 * process (this program again), since glibc reads the limit when a program
 * starts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "qm_thread.h"

#define LIMIT 256000000

static char const *self;

static void *mark(void *arg)
{
  *(int *)arg = 42;
  return arg;
}

/* 0: the thread ran and was joined; 1: it could not start; 2: it did not run */
static int start_one(void)
{
  pthread_t t;
  int ran = 0;
  void *r = 0;
  if (qm_thread_start(&t, &mark, &ran)) return 1;
  if (pthread_join(t, &r) || r != &ran || ran != 42) return 2;
  return 0;
}

static void runs_and_joins(void **state)
{
  (void)state;
  assert_int_equal(start_one(), 0);
}

#if defined(__SANITIZE_ADDRESS__)
#define NO_AS_LIMIT 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NO_AS_LIMIT 1
#endif
#endif

static void starts_under_softlimit(void **state)
{
  pid_t pid;
  int st;
  (void)state;
#ifdef NO_AS_LIMIT
  skip();   /* AddressSanitizer's shadow memory alone exceeds any such limit */
#endif
  pid = fork();
  assert_true(pid >= 0);
  if (!pid) {
    struct rlimit r = { LIMIT, LIMIT };
    char *const argv[] = { (char *)self, (char *)"limited", 0 };
    if (setrlimit(RLIMIT_STACK, &r) < 0 || setrlimit(RLIMIT_AS, &r) < 0) _exit(3);
    execv("/proc/self/exe", argv);
    _exit(4);
  }
  assert_int_equal(waitpid(pid, &st, 0), pid);
  assert_true(WIFEXITED(st));
  assert_int_equal(WEXITSTATUS(st), 0);
}

int main(int argc, char **argv)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(runs_and_joins),
    cmocka_unit_test(starts_under_softlimit),
  };
  if (argc > 1 && !strcmp(argv[1], "limited")) return start_one();
  self = argv[0];
  return cmocka_run_group_tests(tests, 0, 0);
}
