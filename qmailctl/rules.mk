# qmailctl/: the operator's tools: qmailctl and qmail-showctl (shell, installed from
# mk/hier as templates) and qmail-newmrh (compiles control/morercpthosts).
PROGS += qmail-newmrh
qmail-newmrh_SRCS := qmailctl/qmail-newmrh.c
