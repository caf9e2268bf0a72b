# qmail-remote, qmail-rspawn, qmail-tcpto, qmail-tcpok: remote delivery, its pure
# units and their tests.
REMOTE_UNITS := qmail-remote/remote_reply.c qmail-remote/remote_ehlo.c \
  qmail-remote/remote_body.c qmail-remote/remote_route.c qmail-remote/remote_mx.c \
  qmail-remote/remote_report.c qmail-remote/remote_tcpto.c qmail-remote/remote_smtp.c \
  qmail-remote/remote_resolve.c qmail-remote/remote_tls.c

PROGS += qmail-remote
qmail-remote_SRCS := qmail-remote/qmail-remote.c $(REMOTE_UNITS) qmail-remote/remote_conn.c qmail-remote/remote_job.c

UNITS += test_remote_reply test_remote_ehlo test_remote_body test_remote_route \
  test_remote_mx test_remote_report test_remote_tcpto test_remote_smtp
test_remote_reply_SRCS := tests/unit/test_remote_reply.c qmail-remote/remote_reply.c
test_remote_ehlo_SRCS := tests/unit/test_remote_ehlo.c qmail-remote/remote_ehlo.c
test_remote_body_SRCS := tests/unit/test_remote_body.c qmail-remote/remote_body.c
test_remote_route_SRCS := tests/unit/test_remote_route.c qmail-remote/remote_route.c
test_remote_mx_SRCS := tests/unit/test_remote_mx.c qmail-remote/remote_mx.c
test_remote_report_SRCS := tests/unit/test_remote_report.c qmail-remote/remote_report.c qmail-remote/remote_reply.c
test_remote_smtp_SRCS := tests/unit/test_remote_smtp.c $(REMOTE_UNITS)
test_remote_tcpto_SRCS := tests/unit/test_remote_tcpto.c qmail-remote/remote_tcpto.c

FUZZ += fuzz_remote_reply fuzz_remote_body
fuzz_remote_reply_SRCS := tests/fuzz/fuzz_remote_reply.c qmail-remote/remote_reply.c qmail-remote/remote_ehlo.c
fuzz_remote_body_SRCS := tests/fuzz/fuzz_remote_body.c qmail-remote/remote_body.c

PROGS += qmail-rspawn
qmail-rspawn_SRCS := qmail-remote/qmail-rspawn.c qmail-remote/remote_rspawn.c qmail-remote/remote_conn.c qmail-remote/remote_job.c qmail-send/send_proto.c \
  qmail-send/send_spawner.c qmail-remote/remote_tls.c

PROGS += qmail-tcpto qmail-tcpok
qmail-tcpto_SRCS := qmail-remote/qmail-tcpto.c qmail-remote/remote_tcpto.c
qmail-tcpok_SRCS := qmail-remote/qmail-tcpok.c

UNITS += test_remote_rspawn test_remote_resolve
test_remote_rspawn_SRCS := tests/unit/test_remote_rspawn.c qmail-remote/remote_rspawn.c
test_remote_resolve_SRCS := tests/unit/test_remote_resolve.c qmail-remote/remote_resolve.c qmail-remote/remote_mx.c

UNITS += test_remote_tls
test_remote_tls_SRCS := tests/unit/test_remote_tls.c qmail-remote/remote_tls.c

FUZZ += fuzz_remote_tls
fuzz_remote_tls_SRCS := tests/fuzz/fuzz_remote_tls.c qmail-remote/remote_tls.c

UNITS += test_remote_conn
test_remote_conn_SRCS := tests/unit/test_remote_conn.c qmail-remote/remote_conn.c

FUZZ += fuzz_remote_conn
fuzz_remote_conn_SRCS := tests/fuzz/fuzz_remote_conn.c qmail-remote/remote_conn.c
qmail-remote_STATIC := 1

UNITS += test_remote_job
test_remote_job_SRCS := tests/unit/test_remote_job.c qmail-remote/remote_job.c

FUZZ += fuzz_remote_job
fuzz_remote_job_SRCS := tests/fuzz/fuzz_remote_job.c qmail-remote/remote_job.c
