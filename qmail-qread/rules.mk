# qmail-qread and qmail-qstat: the operator's view of the queue.
PROGS += qmail-qread qmail-qstat
qmail-qread_SRCS := qmail-qread/qmail-qread.c qmail-qread/qread_fmt.c
qmail-qstat_SRCS := qmail-qread/qmail-qstat.c

UNITS += test_qread_fmt
test_qread_fmt_SRCS := tests/unit/test_qread_fmt.c qmail-qread/qread_fmt.c
