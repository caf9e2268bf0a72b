# qmail-tls/: the TLS helper (the only program linked with OpenSSL), the
# checkpassword program and its password database compiler.
PROGS += qmail-tlsd
qmail-tlsd_SRCS := qmail-tls/qmail-tlsd.c qmail-tls/tlsd_plain.c
qmail-tlsd_LIBS := -lssl -lcrypto

# qmail-tlsc: the per-connection front of a qmail-tlsd -D daemon; skalibs only.
# Linked static (PIE, so still randomised): it is exec'd for every connection, and
# without the dynamic loader that costs about a third less.
PROGS += qmail-tlsc
qmail-tlsc_SRCS := qmail-tls/qmail-tlsc.c qmail-tls/tlsd_req.c
qmail-tlsc_NOQM := 1
qmail-tlsc_LIBS := $(B)/libqm.a -static-pie -lskarnet
$(B)/bin/qmail-tlsc: $(B)/libqm.a
qmail-tlsd_SRCS += qmail-tls/tlsd_req.c

UNITS += test_tlsd_req
test_tlsd_req_SRCS := tests/unit/test_tlsd_req.c qmail-tls/tlsd_req.c

UNITS += test_tlsd_plain
test_tlsd_plain_SRCS := tests/unit/test_tlsd_plain.c qmail-tls/tlsd_plain.c

FUZZ += fuzz_tlsd_ctl
fuzz_tlsd_ctl_SRCS := tests/fuzz/fuzz_tlsd_ctl.c qmail-tls/tlsd_plain.c

# The checkpassword program for submission and its password database compiler.
PROGS += qmail-checkpw qmail-newpw
qmail-checkpw_SRCS := qmail-tls/qmail-checkpw.c qmail-tls/checkpw_input.c
qmail-checkpw_LIBS := -lcrypt
qmail-newpw_SRCS := qmail-tls/qmail-newpw.c qmail-tls/checkpw_input.c
UNITS += test_checkpw_input
test_checkpw_input_SRCS := tests/unit/test_checkpw_input.c qmail-tls/checkpw_input.c
FUZZ += fuzz_checkpw_input
fuzz_checkpw_input_SRCS := tests/fuzz/fuzz_checkpw_input.c qmail-tls/checkpw_input.c

FUZZ += fuzz_tlsd_req
fuzz_tlsd_req_SRCS := tests/fuzz/fuzz_tlsd_req.c qmail-tls/tlsd_req.c
