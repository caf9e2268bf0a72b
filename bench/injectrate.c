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

#define PROG "injectrate"
#define USAGE "usage: injectrate [-n messages] [-p streams] -m msgfile [-e envfile] prog [arg...]"
#define MESSAGES_MAX 1000000
#define STREAMS_MAX 64

extern char **environ;

static void die(char const *what, char const *arg)
{
  fprintf(stderr, PROG ": fatal: %s%s%s: %s\n", what, arg ? " " : "", arg ? arg : "",
          strerror(errno));
  exit(111);
}

static void usage(void)
{
  fprintf(stderr, "%s\n", USAGE);
  exit(100);
}

static long number(char const *s, long lo, long hi)
{
  char *end;
  long v;
  errno = 0;
  v = strtol(s, &end, 10);
  if (errno || end == s || *end || v < lo || v > hi) usage();
  return v;
}

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One stream: count injections, one after the other. Exits 0, or 111 after saying
 * which message failed and how. */
static void stream(int id, long count, char const *msg, char const *env, char **argv)
{
  posix_spawn_file_actions_t fa;
  if (posix_spawn_file_actions_init(&fa)) die("unable to set up spawn", 0);
  if (posix_spawn_file_actions_addopen(&fa, 0, msg, O_RDONLY, 0) ||
      posix_spawn_file_actions_addopen(&fa, 1, env ? env : "/dev/null",
                                       env ? O_RDONLY : O_WRONLY, 0))
    die("unable to set up spawn", 0);
  for (long i = 0; i < count; i++) {
    pid_t pid;
    int st, e = posix_spawn(&pid, argv[0], &fa, 0, argv, environ);
    if (e) {
      errno = e;
      die("unable to run", argv[0]);
    }
    while (waitpid(pid, &st, 0) < 0)
      if (errno != EINTR) die("unable to wait", 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st)) {
      fprintf(stderr, PROG ": fatal: stream %d message %ld: %s %s %d\n", id, i, argv[0],
              WIFEXITED(st) ? "exited" : "killed by signal",
              WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
      _exit(111);
    }
  }
  _exit(0);
}

int main(int argc, char **argv)
{
  long messages = 2000;
  int streams = 1, opt, failed = 0, gate[2];
  char const *msg = 0, *env = 0;
  pid_t pids[STREAMS_MAX];
  double t0, t1;

  while ((opt = getopt(argc, argv, "+n:p:m:e:")) != -1) {
    switch (opt) {
    case 'n': messages = number(optarg, 1, MESSAGES_MAX); break;
    case 'p': streams = (int)number(optarg, 1, STREAMS_MAX); break;
    case 'm': msg = optarg; break;
    case 'e': env = optarg; break;
    default: usage();
    }
  }
  if (!msg || optind >= argc) usage();
  if (access(msg, R_OK) < 0) die("unable to read", msg);
  if (env && access(env, R_OK) < 0) die("unable to read", env);

  if (pipe(gate) < 0) die("unable to create pipe", 0);
  for (int s = 0; s < streams; s++) {
    pids[s] = fork();
    if (pids[s] < 0) die("unable to fork", 0);
    if (pids[s] == 0) {
      char c;
      close(gate[1]);
      while (read(gate[0], &c, 1) < 0 && errno == EINTR) {}
      close(gate[0]);
      stream(s, messages / streams + (s < messages % streams), msg, env, argv + optind);
    }
  }
  close(gate[0]);
  t0 = now();
  close(gate[1]);
  for (int s = 0; s < streams; s++) {
    int st;
    while (waitpid(pids[s], &st, 0) < 0)
      if (errno != EINTR) die("unable to wait", 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st)) failed = 1;
  }
  t1 = now();
  if (failed) {
    fprintf(stderr, PROG ": fatal: a stream failed\n");
    return 111;
  }
  printf("streams=%d messages=%ld seconds=%.3f rate=%.1f\n", streams, messages, t1 - t0,
         (double)messages / (t1 - t0));
  return 0;
}
