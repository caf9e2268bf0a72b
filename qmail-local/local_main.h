/* qmail-local's whole delivery (qmail-local(8)), callable from the process that is
 * to do it: the qmail-local program, and qmail-lspawn's forked child. */
#ifndef LOCAL_MAIN_H
#define LOCAL_MAIN_H

/* argv as qmail-local's (argv[0] its name): fd 0 the message, seekable; fds 1
 * and 2 the report. Returns 0 after a delivery whose report is written; every
 * failure ends the process with the documented exit code instead. The caller
 * must be the address's owner and have nothing of its own open past fd 2. */
int local_main(int argc, char const *const *argv);

#endif
