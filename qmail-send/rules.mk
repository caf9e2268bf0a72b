# qmail-send/: the scheduler (qmail-send), its queue cleaner (qmail-clean), the
# local spawner (qmail-lspawn) and the root starter that wires them (qmail-start).
UNITS += test_send_rcpt test_send_retry test_send_proto test_send_log test_send_todo
test_send_rcpt_SRCS := tests/unit/test_send_rcpt.c qmail-send/send_rcpt.c
test_send_retry_SRCS := tests/unit/test_send_retry.c qmail-send/send_retry.c
test_send_proto_SRCS := tests/unit/test_send_proto.c qmail-send/send_proto.c
test_send_log_SRCS := tests/unit/test_send_log.c qmail-send/send_log.c
test_send_todo_SRCS := tests/unit/test_send_todo.c qmail-send/send_todo.c

FUZZ += fuzz_send_reply fuzz_send_todo fuzz_send_cmd
fuzz_send_reply_SRCS := tests/fuzz/fuzz_send_reply.c qmail-send/send_proto.c qmail-send/send_log.c
fuzz_send_todo_SRCS := tests/fuzz/fuzz_send_todo.c qmail-send/send_todo.c qmail-send/send_rcpt.c \
  qmail-send/send_proto.c
fuzz_send_cmd_SRCS := tests/fuzz/fuzz_send_cmd.c qmail-send/send_proto.c

UNITS += test_send_lspawn
test_send_lspawn_SRCS := tests/unit/test_send_lspawn.c qmail-send/send_lspawn.c

PROGS += qmail-clean
qmail-clean_SRCS := qmail-send/qmail-clean.c qmail-send/send_proto.c

PROGS += qmail-lspawn
qmail-lspawn_SRCS := qmail-send/qmail-lspawn.c qmail-send/send_lspawn.c qmail-send/send_proto.c \
  qmail-send/send_spawner.c $(LOCAL_DELIVERY)

UNITS += test_send_prioq test_send_waitq
test_send_prioq_SRCS := tests/unit/test_send_prioq.c qmail-send/send_prioq.c
test_send_waitq_SRCS := tests/unit/test_send_waitq.c qmail-send/send_waitq.c

UNITS += test_send_dsn
test_send_dsn_SRCS := tests/unit/test_send_dsn.c qmail-send/send_dsn.c

PROGS += qmail-send
qmail-send_SRCS := qmail-send/qmail-send.c qmail-send/send_rcpt.c qmail-send/send_retry.c \
  qmail-send/send_proto.c qmail-send/send_log.c qmail-send/send_todo.c qmail-send/send_prioq.c \
  qmail-send/send_dsn.c qmail-send/send_waitq.c qmail-send/send_inotify.c

PROGS += qmail-start
qmail-start_SRCS := qmail-send/qmail-start.c

# send_inotify: the ids in inotify's records for todo/.
UNITS += test_send_inotify
test_send_inotify_SRCS := tests/unit/test_send_inotify.c qmail-send/send_inotify.c
FUZZ += fuzz_send_inotify
fuzz_send_inotify_SRCS := tests/fuzz/fuzz_send_inotify.c qmail-send/send_inotify.c
