# qmail-inject/: qmail-inject and sendmail, the injection front ends for scripts.
INJECT_UNITS := qmail-inject/inject_lex.c qmail-inject/inject_addr.c \
  qmail-inject/inject_alist.c qmail-inject/inject_msg.c qmail-inject/inject_body.c

PROGS += qmail-inject sendmail
qmail-inject_SRCS := qmail-inject/qmail-inject.c $(INJECT_UNITS)
sendmail_SRCS := qmail-inject/sendmail.c qmail-inject/sendmail_args.c

UNITS += test_inject_addr test_inject_alist test_inject_msg test_inject_body test_sendmail_args
test_inject_addr_SRCS := tests/unit/test_inject_addr.c qmail-inject/inject_lex.c qmail-inject/inject_addr.c
test_inject_alist_SRCS := tests/unit/test_inject_alist.c qmail-inject/inject_lex.c \
  qmail-inject/inject_addr.c qmail-inject/inject_alist.c
test_inject_msg_SRCS := tests/unit/test_inject_msg.c $(INJECT_UNITS)
test_inject_body_SRCS := tests/unit/test_inject_body.c qmail-inject/inject_body.c
test_sendmail_args_SRCS := tests/unit/test_sendmail_args.c qmail-inject/sendmail_args.c

FUZZ += fuzz_inject_alist
fuzz_inject_alist_SRCS := tests/fuzz/fuzz_inject_alist.c qmail-inject/inject_lex.c \
  qmail-inject/inject_addr.c qmail-inject/inject_alist.c
qmail-inject_STATIC := 1
