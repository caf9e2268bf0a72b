/* injectrate: how many messages a second an injection command accepts, the way a
 * script sees it: run the command once per message with the message file on fd 0
 * (and an envelope file on fd 1 for qmail-queue, else /dev/null) and wait for it to
 * exit 0. Runs the given number of parallel streams and prints the wall time. Trusts
 * its own arguments; it writes nothing itself, and stops at the first failure. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"

#define PROG "injectrate"
#define USAGE "usage: injectrate [-n messages] [-p streams] -m msgfile [-e envfile] prog [arg...]"
#define MESSAGES_MAX 1000000
#define STREAMS_MAX BENCH_GANG_MAX

extern char **environ;

typedef struct job_s {
  long messages;
  int streams;
  char const *msg, *env;
  char **argv;
} job;

/* One stream: its share of the injections, one after the other. Returns 0, or 111
 * after saying which message failed and how. */
static int stream(int id, void *ctx)
{
  job const *j = ctx;
  long count = j->messages / j->streams + (id < j->messages % j->streams);
  char const *msg = j->msg, *env = j->env;
  char **argv = j->argv;
  posix_spawn_file_actions_t fa;
  if (posix_spawn_file_actions_init(&fa)) bench_die(PROG, "unable to set up spawn", 0);
  if (posix_spawn_file_actions_addopen(&fa, 0, msg, O_RDONLY, 0) ||
      posix_spawn_file_actions_addopen(&fa, 1, env ? env : "/dev/null",
                                       env ? O_RDONLY : O_WRONLY, 0))
    bench_die(PROG, "unable to set up spawn", 0);
  for (long i = 0; i < count; i++) {
    pid_t pid;
    int st, e = posix_spawn(&pid, argv[0], &fa, 0, argv, environ);
    if (e) {
      errno = e;
      bench_die(PROG, "unable to run", argv[0]);
    }
    while (waitpid(pid, &st, 0) < 0)
      if (errno != EINTR) bench_die(PROG, "unable to wait", 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st)) {
      fprintf(stderr, PROG ": fatal: stream %d message %ld: %s %s %d\n", id, i, argv[0],
              WIFEXITED(st) ? "exited" : "killed by signal",
              WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
      return 111;
    }
  }
  posix_spawn_file_actions_destroy(&fa);
  return 0;
}

int main(int argc, char **argv)
{
  long messages = 2000;
  int streams = 1, opt, failed;
  char const *msg = 0, *env = 0;
  job j;
  double secs;

  while ((opt = getopt(argc, argv, "+n:p:m:e:")) != -1) {
    switch (opt) {
    case 'n': messages = bench_number(optarg, 1, MESSAGES_MAX, USAGE); break;
    case 'p': streams = (int)bench_number(optarg, 1, STREAMS_MAX, USAGE); break;
    case 'm': msg = optarg; break;
    case 'e': env = optarg; break;
    default: bench_usage(USAGE);
    }
  }
  if (!msg || optind >= argc) bench_usage(USAGE);
  if (access(msg, R_OK) < 0) bench_die(PROG, "unable to read", msg);
  if (env && access(env, R_OK) < 0) bench_die(PROG, "unable to read", env);

  j.messages = messages;
  j.streams = streams;
  j.msg = msg;
  j.env = env;
  j.argv = argv + optind;
  secs = bench_gang(streams, stream, &j, PROG, &failed);
  if (failed) {
    fprintf(stderr, PROG ": fatal: a stream failed\n");
    return 111;
  }
  printf("streams=%d messages=%ld seconds=%.3f rate=%.1f\n", streams, messages, secs,
         (double)messages / (secs));
  return 0;
}
