# lib/: shared code, archived into build/libqm.a and linked by every program but
# qmail-dns. Its unit tests:
UNITS += test_qm_control test_qm_qq test_qm_size
test_qm_control_SRCS := tests/unit/test_qm_control.c
test_qm_qq_SRCS := tests/unit/test_qm_qq.c
test_qm_size_SRCS := tests/unit/test_qm_size.c
UNITS += test_qm_addr
test_qm_addr_SRCS := tests/unit/test_qm_addr.c
FUZZ += fuzz_qm_addr
fuzz_qm_addr_SRCS := tests/fuzz/fuzz_qm_addr.c
UNITS += test_qm_date
test_qm_date_SRCS := tests/unit/test_qm_date.c
UNITS += test_qm_header
test_qm_header_SRCS := tests/unit/test_qm_header.c
FUZZ += fuzz_qm_header
fuzz_qm_header_SRCS := tests/fuzz/fuzz_qm_header.c

# qm_dsn: RFC 3464 notices; its unit test, fuzz harness and the generator the e2e
# parse test runs.
UNITS += test_qm_dsn
test_qm_dsn_SRCS := tests/unit/test_qm_dsn.c
FUZZ += fuzz_qm_dsn
fuzz_qm_dsn_SRCS := tests/fuzz/fuzz_qm_dsn.c
TESTPROGS += dsn-gen
dsn-gen_SRCS := tests/prog/dsn-gen.c

# qm_tlsctl: qmail-tlsd's control lines, for the helper and the programs it serves.
UNITS += test_qm_tlsctl
test_qm_tlsctl_SRCS := tests/unit/test_qm_tlsctl.c

UNITS += test_qm_fdpass
test_qm_fdpass_SRCS := tests/unit/test_qm_fdpass.c

UNITS += test_qm_closer
test_qm_closer_SRCS := tests/unit/test_qm_closer.c

# qm_getpw: the netstrings between qmail-lspawn and its long-running qmail-getpw.
UNITS += test_qm_getpw
test_qm_getpw_SRCS := tests/unit/test_qm_getpw.c
FUZZ += fuzz_qm_getpw
fuzz_qm_getpw_SRCS := tests/fuzz/fuzz_qm_getpw.c

# qm_thread: helper threads with a small stack, whatever RLIMIT_STACK says.
UNITS += test_qm_thread
test_qm_thread_SRCS := tests/unit/test_qm_thread.c
