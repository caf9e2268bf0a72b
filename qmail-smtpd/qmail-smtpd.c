/* qmail-smtpd: one SMTP session on fds 0 and 1, as qmaild (qmail-smtpd(8)); the
 * work is smtpd_main's, which qmail-smtpdd's children run too. */
#include "smtpd_main.h"

char const *PROG = "qmail-smtpd";

int main(void)
{
  return smtpd_main();
}
