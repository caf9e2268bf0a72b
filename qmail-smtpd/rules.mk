# qmail-smtpd/: the SMTP receiver, its pure units and their tests.
SMTPD_SESSION := qmail-smtpd/smtpd_main.c qmail-smtpd/smtpd_session.c qmail-smtpd/smtpd_auth.c \
  qmail-smtpd/smtpd_access.c qmail-smtpd/smtpd_sender.c
PROGS += qmail-smtpd
qmail-smtpd_SRCS := qmail-smtpd/qmail-smtpd.c $(SMTPD_SESSION)

# Sessions without an exec per connection: the daemon, and tcpserver's front of it.
PROGS += qmail-smtpdd qmail-smtpdc
qmail-smtpdd_SRCS := qmail-smtpd/qmail-smtpdd.c qmail-smtpd/smtpdd_packet.c $(SMTPD_SESSION)
qmail-smtpdd_STATIC := 1   # as qmail-queued: forks of a static daemon cost less
qmail-smtpdc_SRCS := qmail-smtpd/qmail-smtpdc.c
qmail-smtpdc_MUSL := 1
UNITS += test_smtpd_session test_smtpd_access
test_smtpd_session_SRCS := tests/unit/test_smtpd_session.c qmail-smtpd/smtpd_session.c qmail-smtpd/smtpd_auth.c
test_smtpd_access_SRCS := tests/unit/test_smtpd_access.c qmail-smtpd/smtpd_access.c
FUZZ += fuzz_smtpd_session
fuzz_smtpd_session_SRCS := tests/fuzz/fuzz_smtpd_session.c qmail-smtpd/smtpd_session.c qmail-smtpd/smtpd_auth.c qmail-smtpd/smtpd_access.c

# qmail-newrcpt: the recipients cdb, from the same decisions qmail-getpw and
# qmail-local make.
NEWRCPT_UNITS := qmail-smtpd/newrcpt_map.c qmail-local/getpw_cand.c qmail-local/local_search.c
PROGS += qmail-newrcpt
qmail-newrcpt_SRCS := qmail-smtpd/qmail-newrcpt.c $(NEWRCPT_UNITS) qmail-local/newu_assign.c
UNITS += test_newrcpt_map
test_newrcpt_map_SRCS := tests/unit/test_newrcpt_map.c $(NEWRCPT_UNITS) qmail-smtpd/smtpd_access.c

# AUTH decoding: unit test and fuzz harness.
UNITS += test_smtpd_auth
test_smtpd_auth_SRCS := tests/unit/test_smtpd_auth.c qmail-smtpd/smtpd_auth.c
FUZZ += fuzz_smtpd_auth
fuzz_smtpd_auth_SRCS := tests/fuzz/fuzz_smtpd_auth.c qmail-smtpd/smtpd_auth.c
UNITS += test_smtpd_sender
test_smtpd_sender_SRCS := tests/unit/test_smtpd_sender.c qmail-smtpd/smtpd_sender.c
qmail-smtpd_STATIC := 1

# the packet a front hands qmail-smtpdd
UNITS += test_smtpdd_packet
test_smtpdd_packet_SRCS := tests/unit/test_smtpdd_packet.c qmail-smtpd/smtpdd_packet.c
FUZZ += fuzz_smtpdd_packet
fuzz_smtpdd_packet_SRCS := tests/fuzz/fuzz_smtpdd_packet.c qmail-smtpd/smtpdd_packet.c
