# qmail-tls/: the TLS helper (the only program linked with OpenSSL), the
# checkpassword program and its password database compiler.
PROGS += qmail-tlsd
qmail-tlsd_SRCS := qmail-tls/qmail-tlsd.c qmail-tls/tlsd_plain.c
qmail-tlsd_LIBS := -lssl -lcrypto

UNITS += test_tlsd_plain
test_tlsd_plain_SRCS := tests/unit/test_tlsd_plain.c qmail-tls/tlsd_plain.c

FUZZ += fuzz_tlsd_ctl
fuzz_tlsd_ctl_SRCS := tests/fuzz/fuzz_tlsd_ctl.c qmail-tls/tlsd_plain.c
