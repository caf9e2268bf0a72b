/* Small helpers shared by the benchmark tools in bench/: fatal errors in the suite's
 * shape, bounded number arguments, a monotonic clock. Trusts nothing but its callers;
 * never part of an installed program. */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

/* "prog: fatal: what arg: strerror(errno)" on stderr, then exit 111. */
void bench_die(char const *prog, char const *what, char const *arg);
/* The usage line on stderr, then exit 100. */
void bench_usage(char const *usage);
/* A decimal number in [lo, hi], or bench_usage(usage). */
long bench_number(char const *s, long lo, long hi, char const *usage);
/* Seconds on the monotonic clock. */
double bench_now(void);

#define BENCH_GANG_MAX 64
/* Forks n (1..BENCH_GANG_MAX) children that wait at a gate (a pipe whose closing
 * starts them together, so fork costs stay out of the time), then run fn(i, ctx)
 * and exit with what it returns. Returns the seconds from the gate's opening to the
 * last child's exit; *failed is 1 if any child exited non-zero or was killed. */
double bench_gang(int n, int (*fn)(int i, void *ctx), void *ctx, char const *prog,
                  int *failed);

#endif
