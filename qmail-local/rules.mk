# qmail-local/: local delivery (qmail-local), the passwd fallback of the account
# lookup (qmail-getpw) and the users/assign compiler (qmail-newu).
LOCAL_UNITS := qmail-local/local_dotqmail.c qmail-local/local_search.c \
  qmail-local/local_env.c qmail-local/local_header.c qmail-local/local_io.c \
  qmail-local/local_mbox.c qmail-local/local_maildir.c qmail-local/local_prog.c

# the whole delivery, which qmail-lspawn's children run too
LOCAL_DELIVERY := qmail-local/local_main.c $(LOCAL_UNITS)

PROGS += qmail-local qmail-getpw qmail-newu
qmail-local_SRCS := qmail-local/qmail-local.c $(LOCAL_DELIVERY)
qmail-getpw_SRCS := qmail-local/qmail-getpw.c qmail-local/getpw_cand.c
qmail-newu_SRCS := qmail-local/qmail-newu.c qmail-local/newu_assign.c

UNITS += test_local_dotqmail test_local_search test_local_env test_local_header \
  test_local_mbox test_local_maildir test_local_prog test_getpw_cand test_newu_assign \
  test_qm_users
test_local_dotqmail_SRCS := tests/unit/test_local_dotqmail.c qmail-local/local_dotqmail.c
test_local_search_SRCS := tests/unit/test_local_search.c qmail-local/local_search.c
test_local_env_SRCS := tests/unit/test_local_env.c qmail-local/local_env.c
test_local_header_SRCS := tests/unit/test_local_header.c qmail-local/local_header.c
test_local_mbox_SRCS := tests/unit/test_local_mbox.c qmail-local/local_mbox.c qmail-local/local_io.c
test_local_maildir_SRCS := tests/unit/test_local_maildir.c qmail-local/local_maildir.c qmail-local/local_io.c
test_local_prog_SRCS := tests/unit/test_local_prog.c qmail-local/local_prog.c
test_getpw_cand_SRCS := tests/unit/test_getpw_cand.c qmail-local/getpw_cand.c
test_newu_assign_SRCS := tests/unit/test_newu_assign.c qmail-local/newu_assign.c
test_qm_users_SRCS := tests/unit/test_qm_users.c

FUZZ += fuzz_local_dotqmail fuzz_newu_assign fuzz_local_header
fuzz_local_dotqmail_SRCS := tests/fuzz/fuzz_local_dotqmail.c qmail-local/local_dotqmail.c
fuzz_newu_assign_SRCS := tests/fuzz/fuzz_newu_assign.c qmail-local/newu_assign.c
fuzz_local_header_SRCS := tests/fuzz/fuzz_local_header.c qmail-local/local_header.c
qmail-local_STATIC := 1
