# qmail-queue: the setuid queue writer, its pure units and their tests.
QUEUE_WRITER := qmail-queue/queue_main.c qmail-queue/queue_envelope.c qmail-queue/queue_received.c \
  qmail-queue/queue_passwd.c
PROGS += qmail-queue
qmail-queue_SRCS := qmail-queue/qmail-queue.c $(QUEUE_WRITER)
# static: it runs once a message, and reads /etc/passwd itself (queue_passwd.h)
qmail-queue_STATIC := 1

UNITS += test_queue_envelope test_queue_received test_qm_queue
test_queue_envelope_SRCS := tests/unit/test_queue_envelope.c qmail-queue/queue_envelope.c
test_queue_received_SRCS := tests/unit/test_queue_received.c qmail-queue/queue_received.c
test_qm_queue_SRCS := tests/unit/test_qm_queue.c
UNITS += test_queue_passwd
test_queue_passwd_SRCS := tests/unit/test_queue_passwd.c qmail-queue/queue_passwd.c

FUZZ += fuzz_queue_envelope
fuzz_queue_envelope_SRCS := tests/fuzz/fuzz_queue_envelope.c qmail-queue/queue_envelope.c
FUZZ += fuzz_queue_passwd
fuzz_queue_passwd_SRCS := tests/fuzz/fuzz_queue_passwd.c qmail-queue/queue_passwd.c

# The crash-safety harness: runs the real qmail-queue under ptrace (tests/e2e).
TESTPROGS += qq-crash
qq-crash_SRCS := tests/crash/qq-crash.c
qq-crash_NOQM := 1

# The queue writer as a daemon: qmail-queue's work without an exec per message.
PROGS += qmail-queued
qmail-queued_SRCS := qmail-queue/qmail-queued.c $(QUEUE_WRITER)
# static although it starts once: its children's forks cost 9% less CPU a message
# than a dynamic daemon's (bench/README.md)
qmail-queued_STATIC := 1
