/* qmail-smtpd's whole session (qmail-smtpd(8)), callable from the process that is
 * to serve it: the qmail-smtpd program, and qmail-smtpdd's children. */
#ifndef SMTPD_MAIN_H
#define SMTPD_MAIN_H

/* Serves the SMTP client on fds 0 and 1 (fd 2 the log) by the environment
 * (TCPREMOTEIP, RELAYCLIENT, ...) and the control files; returns the exit code,
 * or ends the process itself on a fatal error before the session. */
int smtpd_main(void);

#endif
