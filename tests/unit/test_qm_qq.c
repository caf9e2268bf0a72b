/* The caller side of qmail-queue: the exit-code table, and the real plumbing
 * against a stand-in queue program that records what arrived on fds 0 and 1. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qm_exit.h"
#include "qm_qq.h"

struct status_case { int code; char kind; char const *text; };

static void exit_table(void **state)
{
  static struct status_case const cases[] = {
    { 0, 'K', "" },
    { 11, 'D', "envelope address too long for qq (#5.1.3)" },
    { 31, 'D', "mail server permanently rejected message (#5.3.0)" },
    { 25, 'D', "qq permanent problem (#5.3.0)" },
    { 51, 'Z', "qq out of memory (#4.3.0)" },
    { 52, 'Z', "qq timeout (#4.3.0)" },
    { 53, 'Z', "qq write error or disk full (#4.3.0)" },
    { 54, 'Z', "qq read error (#4.3.0)" },
    { 55, 'Z', "qq unable to read configuration (#4.3.0)" },
    { 56, 'Z', "qq network problem (#4.3.0)" },
    { 61, 'Z', "qq trouble in home directory (#4.3.0)" },
    { 64, 'Z', "qq write error or disk full (#4.3.0)" },
    { 71, 'Z', "mail server temporarily rejected message (#4.3.0)" },
    { 72, 'Z', "mail server timed out (#4.4.1)" },
    { 73, 'Z', "connection to mail server rejected (#4.4.1)" },
    { 81, 'Z', "qq internal bug (#4.3.0)" },
    { 91, 'Z', "qq internal bug (#4.3.0)" },
    { 120, 'Z', "unable to run qq (#4.3.0)" },
    { -1, 'Z', "qq crashed (#4.3.0)" },
    { 200, 'Z', "qq temporary problem (#4.3.0)" },
  };
  size_t i;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    qm_qq_status st;
    qm_qq_status_from_exit(&st, cases[i].code, 0, 0);
    if (st.kind != cases[i].kind || strcmp(st.text, cases[i].text))
      fail_msg("exit %d: got %c %s, want %c %s", cases[i].code, st.kind, st.text,
               cases[i].kind, cases[i].text);
  }
}

static void custom_text(void **state)
{
  qm_qq_status st;
  char longtext[1000];
  (void)state;
  qm_qq_status_from_exit(&st, 82, "Dspam refused (#5.7.1)", 22);
  assert_int_equal(st.kind, 'D');
  assert_string_equal(st.text, "spam refused (#5.7.1)");
  qm_qq_status_from_exit(&st, 82, "Zbusy\r\n", 7);
  assert_int_equal(st.kind, 'Z');
  assert_string_equal(st.text, "busy??");
  qm_qq_status_from_exit(&st, 82, "D", 1);      /* too short: generic temporary */
  assert_int_equal(st.kind, 'Z');
  qm_qq_status_from_exit(&st, 82, "Xwhat", 5);  /* unknown letter */
  assert_int_equal(st.kind, 'Z');
  memset(longtext, 'a', sizeof longtext);
  longtext[0] = 'D';
  qm_qq_status_from_exit(&st, 82, longtext, sizeof longtext);
  assert_int_equal(st.kind, 'D');
  assert_int_equal(strlen(st.text), QM_QQ_STATUS_MAX - 1);
}

static char dir[64];
static char prog[128];

static int setup(void **state)
{
  (void)state;
  signal(SIGPIPE, SIG_IGN);
  strcpy(dir, "/tmp/qm_qq.XXXXXX");
  if (!mkdtemp(dir)) return -1;
  snprintf(prog, sizeof prog, "%s/fakeqq", dir);
  return 0;
}

static int teardown(void **state)
{
  char cmd[128];
  (void)state;
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  return system(cmd);
}

static void fake_queue(char const *body)
{
  FILE *f = fopen(prog, "w");
  assert_non_null(f);
  fprintf(f, "#!/bin/sh\ncd %s || exit 61\n%s\n", dir, body);
  fclose(f);
  assert_int_equal(chmod(prog, 0755), 0);
}

static char *slurp(char const *name, size_t *len)
{
  static char buf[4096];
  char path[160];
  FILE *f;
  snprintf(path, sizeof path, "%s/%s", dir, name);
  f = fopen(path, "r");
  assert_non_null(f);
  *len = fread(buf, 1, sizeof buf, f);
  fclose(f);
  return buf;
}

static void plumbing(void **state)
{
  qm_qq qq;
  qm_qq_status st;
  char const *rcpts[] = { "a@example.org", "b@example.net" };
  size_t len;
  char *got;
  (void)state;
  fake_queue("cat > msg; cat <&1 > env; exit 0");
  assert_int_equal(qm_qq_start_in(&qq, dir, prog, 0), 1);
  assert_int_equal(qm_qq_puts(&qq, "Subject: x\n\nbody\n"), 1);
  assert_int_equal(qm_qq_finish(&qq, "s@example.com", rcpts, 2, &st), 1);
  assert_int_equal(st.kind, 'K');
  got = slurp("msg", &len);
  assert_int_equal(len, 17);
  assert_memory_equal(got, "Subject: x\n\nbody\n", 17);
  got = slurp("env", &len);
  assert_int_equal(len, 46);
  assert_memory_equal(got, "Fs@example.com\0Ta@example.org\0Tb@example.net\0\0", 46);
}

static void refusals(void **state)
{
  qm_qq qq;
  qm_qq_status st;
  char const *rcpts[] = { "a@example.org" };
  (void)state;
  fake_queue("cat > /dev/null; printf 'Dno thanks (#5.7.1)' >&6; exit 82");
  assert_int_equal(qm_qq_start_in(&qq, dir, prog, 0), 1);
  qm_qq_puts(&qq, "x\n");
  assert_int_equal(qm_qq_finish(&qq, "", rcpts, 1, &st), 0);
  assert_int_equal(st.kind, 'D');
  assert_string_equal(st.text, "no thanks (#5.7.1)");

  /* exits before reading anything: the caller must see the code, not die of SIGPIPE */
  fake_queue("exit 53");
  assert_int_equal(qm_qq_start_in(&qq, dir, prog, 0), 1);
  for (int i = 0; i < 2000; i++) qm_qq_puts(&qq, "0123456789012345678901234567890123456789\n");
  assert_int_equal(qm_qq_finish(&qq, "", rcpts, 1, &st), 0);
  assert_int_equal(st.kind, 'Z');

  assert_int_equal(qm_qq_start_in(&qq, dir, "/nonexistent/qq", 0), 1);
  assert_int_equal(qm_qq_finish(&qq, "", rcpts, 1, &st), 0);
  assert_string_equal(st.text, "unable to run qq (#4.3.0)");
}

static void queue_from_env(void **state)
{
  qm_qq qq;
  qm_qq_status st;
  char const *rcpts[] = { "a@example.org" };
  (void)state;
  fake_queue("cat > /dev/null; cat <&1 > /dev/null; exit 31");
  setenv("QMAILQUEUE", prog, 1);
  assert_int_equal(qm_qq_start_in(&qq, dir, 0, 1), 1);
  assert_int_equal(qm_qq_finish(&qq, "", rcpts, 1, &st), 0);
  assert_int_equal(st.kind, 'D');
  unsetenv("QMAILQUEUE");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(exit_table),
    cmocka_unit_test(custom_text),
    cmocka_unit_test(plumbing),
    cmocka_unit_test(refusals),
    cmocka_unit_test(queue_from_env),
  };
  return cmocka_run_group_tests_name("qm_qq", tests, setup, teardown);
}
