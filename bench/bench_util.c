/* Helpers of the benchmark tools: see bench_util.h. */
#include "bench_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void bench_die(char const *prog, char const *what, char const *arg)
{
  fprintf(stderr, "%s: fatal: %s%s%s: %s\n", prog, what, arg ? " " : "", arg ? arg : "",
          strerror(errno));
  exit(111);
}

void bench_usage(char const *usage)
{
  fprintf(stderr, "%s\n", usage);
  exit(100);
}

long bench_number(char const *s, long lo, long hi, char const *usage)
{
  char *end;
  long v;
  errno = 0;
  v = strtol(s, &end, 10);
  if (errno || end == s || *end || v < lo || v > hi) bench_usage(usage);
  return v;
}

double bench_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double bench_gang(int n, int (*fn)(int i, void *ctx), void *ctx, char const *prog,
                  int *failed)
{
  pid_t pids[BENCH_GANG_MAX];
  int gate[2];
  double t0;
  if (n < 1 || n > BENCH_GANG_MAX) {
    errno = EINVAL;
    bench_die(prog, "unable to start workers", 0);
  }
  *failed = 0;
  if (pipe(gate) < 0) bench_die(prog, "unable to create pipe", 0);
  for (int i = 0; i < n; i++) {
    pids[i] = fork();
    if (pids[i] < 0) bench_die(prog, "unable to fork", 0);
    if (pids[i] == 0) {
      char c;
      close(gate[1]);
      while (read(gate[0], &c, 1) < 0 && errno == EINTR) {}
      close(gate[0]);
      _exit(fn(i, ctx));
    }
  }
  close(gate[0]);
  t0 = bench_now();
  close(gate[1]);
  for (int i = 0; i < n; i++) {
    int st;
    while (waitpid(pids[i], &st, 0) < 0)
      if (errno != EINTR) bench_die(prog, "unable to wait", 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st)) *failed = 1;
  }
  return bench_now() - t0;
}
