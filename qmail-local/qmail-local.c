/* qmail-local: one local delivery as the address's owner (qmail-local(8)); the
 * work is local_main's, which qmail-lspawn runs in its forked children too. */
#include "local_main.h"

char const *PROG = "qmail-local";

int main(int argc, char const *const *argv)
{
  return local_main(argc, argv);
}
