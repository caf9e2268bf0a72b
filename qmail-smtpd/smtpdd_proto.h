/* The hand-over between qmail-smtpdc (tcpserver's per-connection front) and
 * qmail-smtpdd (qmail-smtpdd(8)), over a SOCK_SEQPACKET socket. The front sends
 * one packet: SMTPDD_HELLO, the resource limits of SMTPDD_RLIMITS as soft and hard
 * pairs (uint64_t each, this machine's byte order), then its environment, every
 * string ending in NUL; its fds 0, 1 and 2 ride along. The child that takes the
 * session answers SMTPDD_GO; when the session has ended the daemon sends its exit
 * code as one byte. The front includes nothing but this and qm_conf.h: it is built
 * against a C library that starts without probing the processor. */
#ifndef SMTPDD_PROTO_H
#define SMTPDD_PROTO_H

#include <stdint.h>
#include <sys/resource.h>

#define SMTPDD_SOCKET QM_HOME "/smtpd/socket"
#define SMTPDD_SOCKDIR QM_HOME "/smtpd"
#define SMTPDD_HELLO 'e'
#define SMTPDD_GO 'G'
#define SMTPDD_ENV_MAX 65536     /* bytes of environment a session may bring */
#define SMTPDD_ENVC_MAX 1024     /* variables */
#define SMTPDD_NRLIMITS 4
#define SMTPDD_RLIMITS { RLIMIT_AS, RLIMIT_DATA, RLIMIT_STACK, RLIMIT_NOFILE }
#define SMTPDD_HEAD (1 + SMTPDD_NRLIMITS * 2 * sizeof(uint64_t))
#define SMTPDD_PACKET_MAX (SMTPDD_HEAD + SMTPDD_ENV_MAX)

#endif
