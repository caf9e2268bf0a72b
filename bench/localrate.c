/* localrate: the injection side of bench/local. Like injectrate it runs an injection
 * command once per message in 1 or more parallel streams, but every message gets its
 * own first header line "X-Bench-Seq: <stream>.<n>" (written through a pipe on the
 * command's fd 0), and the wall-clock time at which each command exited is written
 * to OUTDIR/exits.<stream> as "<stream>.<n> <seconds.nanoseconds>", so that the
 * arrival of each message in a Maildir can be matched to it afterwards. Trusts its
 * own arguments; writes only into OUTDIR; stops at the first failure. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"

#define PROG "localrate"
#define USAGE "usage: localrate [-n messages] [-p streams] -m msgfile -o outdir prog [arg...]"
#define MESSAGES_MAX 1000000
#define STREAMS_MAX BENCH_GANG_MAX
#define MSG_MAX (1L << 20)          /* the message is held in memory */

extern char **environ;

typedef struct job_s {
  long messages;
  int streams;
  char *msg;
  size_t msglen;
  char const *outdir;
  char **argv;
} job;

static int writeall(int fd, char const *s, size_t n)
{
  while (n) {
    ssize_t w = write(fd, s, n);
    if (w < 0) { if (errno == EINTR) continue; return 0; }
    s += w; n -= (size_t)w;
  }
  return 1;
}

static int stream(int id, void *ctx)
{
  job const *j = ctx;
  long count = j->messages / j->streams + (id < j->messages % j->streams);
  char path[4096];
  FILE *out;
  snprintf(path, sizeof path, "%s/exits.%d", j->outdir, id);
  out = fopen(path, "w");
  if (!out) bench_die(PROG, "unable to create", path);
  for (long i = 0; i < count; i++) {
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int p[2], st, e, hl;
    char head[64];
    struct timespec ts;
    if (pipe(p) < 0) bench_die(PROG, "unable to make a pipe", 0);
    if (posix_spawn_file_actions_init(&fa) || posix_spawn_file_actions_adddup2(&fa, p[0], 0) ||
        posix_spawn_file_actions_addclose(&fa, p[1]) ||
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0))
      bench_die(PROG, "unable to set up spawn", 0);
    e = posix_spawn(&pid, j->argv[0], &fa, 0, j->argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (e) { errno = e; bench_die(PROG, "unable to run", j->argv[0]); }
    close(p[0]);
    hl = snprintf(head, sizeof head, "X-Bench-Seq: %d.%ld\n", id, i);
    /* a command that stops reading early shows up in its exit code */
    (void)(writeall(p[1], head, (size_t)hl) && writeall(p[1], j->msg, j->msglen));
    close(p[1]);
    while (waitpid(pid, &st, 0) < 0)
      if (errno != EINTR) bench_die(PROG, "unable to wait", 0);
    clock_gettime(CLOCK_REALTIME, &ts);
    if (!WIFEXITED(st) || WEXITSTATUS(st)) {
      fprintf(stderr, PROG ": fatal: stream %d message %ld: %s %s %d\n", id, i, j->argv[0],
              WIFEXITED(st) ? "exited" : "killed by signal",
              WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
      fclose(out);
      return 111;
    }
    fprintf(out, "%d.%ld %lld.%09ld\n", id, i, (long long)ts.tv_sec, ts.tv_nsec);
  }
  if (fclose(out) != 0) bench_die(PROG, "unable to write", path);
  return 0;
}

int main(int argc, char **argv)
{
  long messages = 10000;
  int streams = 1, opt, failed, fd;
  char const *msgfile = 0, *outdir = 0;
  struct stat st;
  struct timespec t0;
  job j;
  double secs;

  signal(SIGPIPE, SIG_IGN);
  while ((opt = getopt(argc, argv, "+n:p:m:o:")) != -1) {
    switch (opt) {
    case 'n': messages = bench_number(optarg, 1, MESSAGES_MAX, USAGE); break;
    case 'p': streams = (int)bench_number(optarg, 1, STREAMS_MAX, USAGE); break;
    case 'm': msgfile = optarg; break;
    case 'o': outdir = optarg; break;
    default: bench_usage(USAGE);
    }
  }
  if (!msgfile || !outdir || optind >= argc) bench_usage(USAGE);
  fd = open(msgfile, O_RDONLY);
  if (fd < 0 || fstat(fd, &st) < 0) bench_die(PROG, "unable to read", msgfile);
  if (st.st_size > MSG_MAX) bench_die(PROG, "message too large", msgfile);
  j.msglen = (size_t)st.st_size;
  j.msg = malloc(j.msglen + 1);
  if (!j.msg || read(fd, j.msg, j.msglen) != (ssize_t)j.msglen) bench_die(PROG, "unable to read", msgfile);
  close(fd);
  j.messages = messages;
  j.streams = streams;
  j.outdir = outdir;
  j.argv = argv + optind;
  clock_gettime(CLOCK_REALTIME, &t0);
  secs = bench_gang(streams, stream, &j, PROG, &failed);
  if (failed) {
    fprintf(stderr, PROG ": fatal: a stream failed\n");
    return 111;
  }
  printf("streams=%d messages=%ld start=%lld.%09ld seconds=%.3f rate=%.1f\n", streams, messages,
         (long long)t0.tv_sec, t0.tv_nsec, secs, (double)messages / secs);
  return 0;
}
