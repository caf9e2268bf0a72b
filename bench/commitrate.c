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

#include "bench_util.h"

#define PROG "commitrate"
#define USAGE "usage: commitrate [-n commits] [-s bytes] [-r runs] [-l] [-w workers,...] dir"
#define COMMITS_MAX 1000000
#define SIZE_MAX_BYTES (1024 * 1024)
#define RUNS_MAX 101
#define WORKERS_MAX BENCH_GANG_MAX
#define WORKER_LISTS_MAX 8

static void write_all(int fd, char const *buf, size_t len, char const *path)
{
  while (len) {
    ssize_t w = write(fd, buf, len);
    if (w < 0) {
      if (errno == EINTR) continue;
      bench_die(PROG, "unable to write", path);
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
  if (!buf) bench_die(PROG, "out of memory", 0);
  memset(buf, 'x', size);
  for (size_t i = 75; i < size; i += 76) buf[i] = '\n';
  snprintf(newdir, sizeof newdir, "%s/new", dir);
  dfd = open(newdir, O_RDONLY | O_DIRECTORY);
  if (dfd < 0) bench_die(PROG, "unable to open", newdir);
  for (long i = 0; i < count; i++) {
    int fd;
    snprintf(tmp, sizeof tmp, "%s/tmp/%d.%ld", dir, id, i);
    snprintf(dst, sizeof dst, "%s/new/%d.%ld", dir, id, i);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) bench_die(PROG, "unable to create", tmp);
    write_all(fd, buf, size, tmp);
    if (fsync(fd) < 0) bench_die(PROG, "unable to fsync", tmp);
    if (close(fd) < 0) bench_die(PROG, "unable to close", tmp);
    if (use_link) {
      if (link(tmp, dst) < 0) bench_die(PROG, "unable to link", dst);
      if (unlink(tmp) < 0) bench_die(PROG, "unable to unlink", tmp);
    } else if (rename(tmp, dst) < 0) {
      bench_die(PROG, "unable to rename to", dst);
    }
    if (fsync(dfd) < 0) bench_die(PROG, "unable to fsync", newdir);
  }
  free(buf);
  close(dfd);
}

/* Removes every file in dir/sub (not timed). */
static void clear_dir(char const *dir, char const *sub, int workers, long count)
{
  char path[4096];
  for (int w = 0; w < workers; w++)
    for (long i = 0; i < count; i++) {
      snprintf(path, sizeof path, "%s/%s/%d.%ld", dir, sub, w, i);
      if (unlink(path) < 0 && errno != ENOENT) bench_die(PROG, "unable to unlink", path);
    }
}

typedef struct run_s {
  char const *dir;
  long per, extra;
  size_t size;
  int use_link;
} run;

static int run_worker(int i, void *ctx)
{
  run const *r = ctx;
  worker(r->dir, i, r->per + (i < r->extra), r->size, r->use_link);
  return 0;
}

/* One timed run: returns commits a second. */
static double run_once(char const *dir, int workers, long commits, size_t size, int use_link)
{
  run r = { dir, commits / workers, commits % workers, size, use_link };
  int failed;
  double secs = bench_gang(workers, run_worker, &r, PROG, &failed);
  clear_dir(dir, "new", workers, r.per + (r.extra > 0));
  clear_dir(dir, "tmp", workers, r.per + (r.extra > 0));
  if (failed) {
    fprintf(stderr, PROG ": fatal: a worker failed\n");
    exit(111);
  }
  return (double)commits / secs;
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
    case 'n': commits = bench_number(optarg, 1, COMMITS_MAX, USAGE); break;
    case 's': size = (size_t)bench_number(optarg, 0, SIZE_MAX_BYTES, USAGE); break;
    case 'r': runs = bench_number(optarg, 1, RUNS_MAX, USAGE); break;
    case 'l': use_link = 1; break;
    case 'w': {
      char *copy = strdup(optarg), *tok, *save = 0;
      if (!copy) bench_die(PROG, "out of memory", 0);
      nlists = 0;
      for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(0, ",", &save)) {
        if (nlists == WORKER_LISTS_MAX) bench_usage(USAGE);
        lists[nlists++] = (int)bench_number(tok, 1, WORKERS_MAX, USAGE);
      }
      free(copy);
      break;
    }
    default: bench_usage(USAGE);
    }
  }
  if (optind != argc - 1) bench_usage(USAGE);
  dir = argv[optind];
  if (strlen(dir) > 1024) bench_usage(USAGE);
  if (!nlists) {
    lists[0] = 1;
    lists[1] = 4;
    nlists = 2;
  }
  snprintf(path, sizeof path, "%s/tmp", dir);
  if (mkdir(path, 0700) < 0 && errno != EEXIST) bench_die(PROG, "unable to create", path);
  snprintf(path, sizeof path, "%s/new", dir);
  if (mkdir(path, 0700) < 0 && errno != EEXIST) bench_die(PROG, "unable to create", path);

  printf("commitrate: dir=%s size=%zu commits=%ld runs=%ld op=%s\n", dir, size, commits,
         runs, use_link ? "link+unlink" : "rename");
  fflush(stdout); /* children that die must not print it again */
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
