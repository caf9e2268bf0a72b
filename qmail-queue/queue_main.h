/* qmail-queue's whole work (qmail-queue(8), README), callable from the process
 * that is to do it: the setuid qmail-queue program, and qmail-queued's children. */
#ifndef QUEUE_MAIN_H
#define QUEUE_MAIN_H

#include <skalibs/gccattributes.h>

/* Queues the message on fd 0 with the envelope on fd 1 for the caller uid (the
 * Received line's wording and intd/N's u record) and ends the process with the
 * documented exit code, or by the signal that killed it. When status is not -1
 * that code is first written to it as one byte: a process that is not the
 * caller's child reports so. Must run as qmailq. */
void queue_main(unsigned long uid, int status) gccattr_noreturn;

#endif
