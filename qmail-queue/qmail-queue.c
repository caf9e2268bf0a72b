/* qmail-queue: puts one message into the queue; setuid qmailq (qmail-queue(8)).
 * The caller is whoever ran it: its real uid names it in the Received line. */
#include <unistd.h>

#include "queue_main.h"

int main(void)
{
  queue_main((unsigned long)getuid(), -1);
}
