/* commitrate: how many durable commits a second the disk under a directory allows,
 * the ceiling for any queue that keeps its crash-safety promise. One commit is what
 * a careful queue pays per file: create, write, fsync the file, rename it into a
 * second directory, fsync that directory. Runs with each given number of parallel
 * workers several times and prints the medians. Trusts only its own arguments; it
 * writes only inside the directory it is given and removes what it made. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PROG "commitrate"
#define USAGE "usage: commitrate [-n commits] [-s bytes] [-r runs] [-l] [-w workers,...] dir"
#define COMMITS_MAX 1000000
#define SIZE_MAX_BYTES (1024 * 1024)
#define RUNS_MAX 101
#define WORKERS_MAX 64
#define WORKER_LISTS_MAX 8

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

/* A decimal number in [lo, hi], or usage. */
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

static void write_all(int fd, char const *buf, size_t len, char const *path)
{
  while (len) {
    ssize_t w = write(fd, buf, len);
    if (w < 0) {
      if (errno == EINTR) continue;
      die("unable to write", path);
    }
    buf += w;
    len -= (size_t)w;
  }
}

/* One worker: count commits from dir/tmp into dir/new, names tagged with id. */
static void worker(char const *dir, int id, long count, size_t size, int use_link)
{
  char tmp[4096], dst[4096], newdir[4096];
  char *buf = malloc(size ? size : 1);
  int dfd;
  if (!buf) die("out of memory", 0);
  memset(buf, 'x', size);
  for (size_t i = 75; i < size; i += 76) buf[i] = '\n';
  snprintf(newdir, sizeof newdir, "%s/new", dir);
  dfd = open(newdir, O_RDONLY | O_DIRECTORY);
  if (dfd < 0) die("unable to open", newdir);
  for (long i = 0; i < count; i++) {
    int fd;
    snprintf(tmp, sizeof tmp, "%s/tmp/%d.%ld", dir, id, i);
    snprintf(dst, sizeof dst, "%s/new/%d.%ld", dir, id, i);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) die("unable to create", tmp);
    write_all(fd, buf, size, tmp);
    if (fsync(fd) < 0) die("unable to fsync", tmp);
    if (close(fd) < 0) die("unable to close", tmp);
    if (use_link) {
      if (link(tmp, dst) < 0) die("unable to link", dst);
      if (unlink(tmp) < 0) die("unable to unlink", tmp);
    } else if (rename(tmp, dst) < 0) {
      die("unable to rename to", dst);
    }
    if (fsync(dfd) < 0) die("unable to fsync", newdir);
  }
  free(buf);
  _exit(0);
}

/* Removes every file in dir/sub (not timed). */
static void clear_dir(char const *dir, char const *sub, int workers, long count)
{
  char path[4096];
  for (int w = 0; w < workers; w++)
    for (long i = 0; i < count; i++) {
      snprintf(path, sizeof path, "%s/%s/%d.%ld", dir, sub, w, i);
      if (unlink(path) < 0 && errno != ENOENT) die("unable to unlink", path);
    }
}

/* One timed run: returns commits a second. The workers start together on the
 * closing of a pipe, so fork costs stay out of the time. */
static double run_once(char const *dir, int workers, long commits, size_t size, int use_link)
{
  int gate[2];
  pid_t pids[WORKERS_MAX];
  long per = commits / workers, extra = commits % workers, most = per + (extra > 0);
  double t0, t1;
  int failed = 0;
  if (pipe(gate) < 0) die("unable to create pipe", 0);
  for (int w = 0; w < workers; w++) {
    pids[w] = fork();
    if (pids[w] < 0) die("unable to fork", 0);
    if (pids[w] == 0) {
      char c;
      close(gate[1]);
      while (read(gate[0], &c, 1) < 0 && errno == EINTR) {}
      close(gate[0]);
      worker(dir, w, per + (w < extra), size, use_link);
    }
  }
  close(gate[0]);
  t0 = now();
  close(gate[1]);
  for (int w = 0; w < workers; w++) {
    int st;
    while (waitpid(pids[w], &st, 0) < 0)
      if (errno != EINTR) die("unable to wait", 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st)) failed = 1;
  }
  t1 = now();
  clear_dir(dir, "new", workers, most);
  clear_dir(dir, "tmp", workers, most);
  if (failed) {
    fprintf(stderr, PROG ": fatal: a worker failed\n");
    exit(111);
  }
  return (double)commits / (t1 - t0);
}

static int cmp_double(void const *a, void const *b)
{
  double x = *(double const *)a, y = *(double const *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
  long commits = 2000, runs = 5;
  size_t size = 2048;
  int use_link = 0, nlists = 0, opt;
  int lists[WORKER_LISTS_MAX];
  char const *dir;
  char path[4096];

  while ((opt = getopt(argc, argv, "n:s:r:lw:")) != -1) {
    switch (opt) {
    case 'n': commits = number(optarg, 1, COMMITS_MAX); break;
    case 's': size = (size_t)number(optarg, 0, SIZE_MAX_BYTES); break;
    case 'r': runs = number(optarg, 1, RUNS_MAX); break;
    case 'l': use_link = 1; break;
    case 'w': {
      char *copy = strdup(optarg), *tok, *save = 0;
      if (!copy) die("out of memory", 0);
      nlists = 0;
      for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(0, ",", &save)) {
        if (nlists == WORKER_LISTS_MAX) usage();
        lists[nlists++] = (int)number(tok, 1, WORKERS_MAX);
      }
      free(copy);
      break;
    }
    default: usage();
    }
  }
  if (optind != argc - 1) usage();
  dir = argv[optind];
  if (strlen(dir) > 1024) usage();
  if (!nlists) {
    lists[0] = 1;
    lists[1] = 4;
    nlists = 2;
  }
  snprintf(path, sizeof path, "%s/tmp", dir);
  if (mkdir(path, 0700) < 0 && errno != EEXIST) die("unable to create", path);
  snprintf(path, sizeof path, "%s/new", dir);
  if (mkdir(path, 0700) < 0 && errno != EEXIST) die("unable to create", path);

  printf("commitrate: dir=%s size=%zu commits=%ld runs=%ld op=%s\n", dir, size, commits,
         runs, use_link ? "link+unlink" : "rename");
  for (int l = 0; l < nlists; l++) {
    double rates[RUNS_MAX];
    sync();
    for (long r = 0; r < runs; r++) rates[r] = run_once(dir, lists[l], commits, size, use_link);
    qsort(rates, (size_t)runs, sizeof rates[0], cmp_double);
    printf("workers=%d median=%.0f min=%.0f max=%.0f commits/s\n", lists[l],
           runs % 2 ? rates[runs / 2] : (rates[runs / 2 - 1] + rates[runs / 2]) / 2,
           rates[0], rates[runs - 1]);
    fflush(stdout);
  }
  snprintf(path, sizeof path, "%s/tmp", dir);
  rmdir(path);
  snprintf(path, sizeof path, "%s/new", dir);
  rmdir(path);
  return 0;
}
