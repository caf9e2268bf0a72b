/* EHLO capability parsing: keywords in any case, whole words only, SIZE values. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../qmail-remote/remote_ehlo.h"

static struct { char const *text; unsigned int caps; unsigned long size; } const t[] = {
  { "250 hi", 0, 0 },
  { "250-hi\n250 PIPELINING", REMOTE_EHLO_PIPELINING, 0 },
  { "250-hi\n250-pipelining\n250-8bitmime\n250 SIZE 1000", REMOTE_EHLO_PIPELINING | REMOTE_EHLO_8BITMIME | REMOTE_EHLO_SIZE, 1000 },
  { "250-hi\n250 SIZE", REMOTE_EHLO_SIZE, 0 },
  { "250-hi\n250 SIZE 99999999999999999999999", REMOTE_EHLO_SIZE, 0 },
  { "250-hi\n250 SIZE 12x", REMOTE_EHLO_SIZE, 0 },
  { "250-PIPELINING\n250 STARTTLS", REMOTE_EHLO_STARTTLS, 0 },
  { "250-hi\n250 PIPELININGX", 0, 0 },
  { "250-hi\n250 PIPE", 0, 0 },
  { "250-hi\n250-ENHANCEDSTATUSCODES\n250 SMTPUTF8", REMOTE_EHLO_ENHANCED | REMOTE_EHLO_SMTPUTF8, 0 },
  { "250-hi\n2", 0, 0 },
  { "", 0, 0 },
};

static void test_table(void **state)
{
  size_t i;
  (void)state;
  for (i = 0; i < sizeof t / sizeof t[0]; i++) {
    remote_ehlo e;
    remote_ehlo_parse(&e, t[i].text, strlen(t[i].text));
    if (e.caps != t[i].caps) fail_msg("%s: caps got %#x want %#x", t[i].text, e.caps, t[i].caps);
    if (e.sizemax != t[i].size) fail_msg("%s: size got %lu want %lu", t[i].text, e.sizemax, t[i].size);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = { cmocka_unit_test(test_table) };
  return cmocka_run_group_tests(tests, 0, 0);
}
