/* Reading the packet a front hands qmail-smtpdd (smtpdd_proto.h): pure, so that
 * the unit tests and the fuzzer reach it without a socket. */
#ifndef SMTPDD_PACKET_H
#define SMTPDD_PACKET_H

#include <stddef.h>
#include <stdint.h>

#include "smtpdd_proto.h"

typedef struct smtpdd_packet_s {
  uint64_t limit[SMTPDD_NRLIMITS][2];   /* soft, hard, in SMTPDD_RLIMITS' order */
  char *env[SMTPDD_ENVC_MAX + 1];       /* pointers into the packet, then a null */
  size_t envc;
} smtpdd_packet;

/* Splits p[0..len) into out. 1 for a packet that is one: the hello byte, the
 * limits, then at most SMTPDD_ENVC_MAX NAME=value strings (NAME not empty), each
 * ending in NUL, in at most SMTPDD_ENV_MAX bytes; 0 for anything else. */
int smtpdd_packet_parse(smtpdd_packet *out, char *p, size_t len);

#endif
