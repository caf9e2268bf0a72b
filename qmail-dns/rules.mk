# qmail-dns: the DNS helper, built on libowfat alone (GPL-2.0-only): it and its tests
# link no libqm, no skalibs and never OpenSSL. qmail-dnsq is the operators' query
# tool, built on lib/qm_dnsclient like every other client of the daemon.
QDNS_UNITS := qmail-dns/qdns_name.c qmail-dns/qdns_pkt.c qmail-dns/qdns_cache.c \
  qmail-dns/qdns_proto.c qmail-dns/qdns_servers.c
OWFAT := /usr/lib/libowfat.a

PROGS += qmail-dns qmail-dnsq
qmail-dns_SRCS := qmail-dns/qmail-dns.c qmail-dns/qdns_lookup.c $(QDNS_UNITS)
qmail-dns_NOQM := 1
qmail-dns_LIBS := $(OWFAT)
qmail-dnsq_SRCS := qmail-dns/qmail-dnsq.c

UNITS += test_qdns_name test_qdns_pkt test_qdns_cache test_qdns_proto test_qdns_servers
test_qdns_name_SRCS := tests/unit/test_qdns_name.c qmail-dns/qdns_name.c
test_qdns_pkt_SRCS := tests/unit/test_qdns_pkt.c qmail-dns/qdns_pkt.c qmail-dns/qdns_name.c
test_qdns_cache_SRCS := tests/unit/test_qdns_cache.c qmail-dns/qdns_cache.c
test_qdns_proto_SRCS := tests/unit/test_qdns_proto.c qmail-dns/qdns_proto.c \
  qmail-dns/qdns_name.c
test_qdns_servers_SRCS := tests/unit/test_qdns_servers.c qmail-dns/qdns_servers.c
$(foreach t,name pkt cache proto servers,$(eval test_qdns_$(t)_NOQM := 1)\
  $(eval test_qdns_$(t)_LIBS := $(OWFAT)))

FUZZ += fuzz_qdns_pkt fuzz_qdns_proto
fuzz_qdns_pkt_SRCS := tests/fuzz/fuzz_qdns_pkt.c qmail-dns/qdns_pkt.c qmail-dns/qdns_name.c \
  qmail-dns/qdns_proto.c
fuzz_qdns_proto_SRCS := tests/fuzz/fuzz_qdns_proto.c qmail-dns/qdns_proto.c \
  qmail-dns/qdns_name.c
fuzz_qdns_pkt_NOQM := 1
fuzz_qdns_pkt_LIBS := $(OWFAT)
fuzz_qdns_proto_NOQM := 1
fuzz_qdns_proto_LIBS := $(OWFAT)

# The skalibs-based client library (lib/qm_dnsclient.c, in libqm) and its test.
UNITS += test_qm_dnsclient
test_qm_dnsclient_SRCS := tests/unit/test_qm_dnsclient.c
