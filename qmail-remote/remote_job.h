/* The job qmail-rspawn hands to a waiting qmail-remote worker (qmail-rspawn(8)):
 * one datagram on the worker's channel, "host\0sender\0rcpt\0...rcpt\0", with
 * the message and the report pipe attached. Pure: a bounded writer, and a reader
 * that refuses a malformed job whole (the worker then ends, and the job's report
 * pipe with it, which qmail-rspawn reports as a temporary failure). */
#ifndef REMOTE_JOB_H
#define REMOTE_JOB_H

#include <stddef.h>

#include "remote_conn.h"
#include "../qmail-send/send_proto.h"

#define REMOTE_JOB_RCPTS_MAX SEND_RCPTS_MAX
/* host, sender, the recipients' bytes as qmail-send may send them, NULs included */
#define REMOTE_JOB_MAX (REMOTE_CONN_HOST_MAX + 1 + SEND_FIELD_MAX + 1 + SEND_RCPTS_BYTES)
/* "qmail-remote", host, sender, the recipients, the terminating null pointer */
#define REMOTE_JOB_ARGV_MAX (3 + REMOTE_JOB_RCPTS_MAX + 1)

/* Writes the job into buf (max bytes); its length, or 0 when it cannot be one:
 * host empty or over REMOTE_CONN_HOST_MAX, a field over SEND_FIELD_MAX, a
 * recipient empty, n not within 1..REMOTE_JOB_RCPTS_MAX, or no room. */
size_t remote_job_fmt(char *buf, size_t max, char const *host, char const *sender,
  char const *const *rcpt, unsigned int n);

/* Reads a job (len bytes of buf, which must be its own: nothing is copied) into
 * argv as qmail-remote's command line would have it ("qmail-remote", host,
 * sender, recipients, a null pointer; REMOTE_JOB_ARGV_MAX entries). Returns the
 * argument count, or -1 for anything remote_job_fmt could not have written. */
int remote_job_parse(char const **argv, char const *buf, size_t len);

#endif
