#!/bin/bash
# qmail-dns against a real authoritative server (nsd) on 127.0.0.1:53 inside the
# test's own network namespace, serving tests/e2e/dns/example.net.zone, with the
# daemon run by s6-supervise from the installed service template: readiness, MX
# preferences, A, AAAA, CNAME chains and loops, null MX, TCP fallback for answers
# over 512 bytes, NXDOMAIN and no-data (permanent), SERVFAIL and REFUSED
# (temporary), many questions at once, the cache and negative cache with the
# server stopped, TTL expiry, a silent server (timeout), the counters and the log.
. "$QM_SRC/tests/e2e/lib.sh"
need_root
command -v nsd > /dev/null || { skip qmail_dns "nsd is not installed (make deps)"; exit 0; }
inst_new

D=$INST/nsd
SCAN=$INST/scan
mkdir -p "$D" "$SCAN"
cp "$QM_SRC/tests/e2e/dns/example.net.zone" "$D/"
cat > "$D/nsd.conf" <<EOC
server:
  ip-address: 127.0.0.1
  port: 53
  username: ""
  chroot: ""
  zonesdir: "$D"
  database: ""
  zonelistfile: "$D/zone.list"
  xfrdfile: "$D/xfrd.state"
  pidfile: "$D/nsd.pid"
  logfile: "$D/nsd.log"
  server-count: 1
  hide-version: yes
remote-control:
  control-enable: no
zone:
  name: example.net
  zonefile: example.net.zone
# configured but without a zone file: nsd answers SERVFAIL for it
zone:
  name: broken.example
  zonefile: broken.example.zone
EOC

NSD_PID=
stop_all() {
  [ -n "$NSD_PID" ] && kill "$NSD_PID" 2>/dev/null
  [ -n "${SILENT_PID:-}" ] && kill "$SILENT_PID" 2>/dev/null
  if [ -d "$SCAN/qmail-dns" ]; then
    s6-svc -dx "$SCAN/qmail-dns" 2>/dev/null
    s6-svc -dx "$SCAN/qmail-dns/log" 2>/dev/null
    s6-svscanctl -t "$SCAN" 2>/dev/null
    for _ in 1 2 3 4 5 6 7 8 9 10; do pgrep -f "s6-svscan $SCAN" > /dev/null || break; sleep 0.2; done
  fi
  inst_cleanup
}
trap stop_all EXIT

nsd -c "$D/nsd.conf" -d > "$D/nsd.out" 2>&1 &
NSD_PID=$!

printf '127.0.0.1\n' > "$QM_HOME/control/dnsservers"
printf '3\n' > "$QM_HOME/control/timeoutdns"
cp -a "$QM_HOME/service/qmail-dns" "$SCAN/"
s6-svscan "$SCAN" > "$INST/svscan.log" 2>&1 &
# s6-svwait needs s6-supervise to be there first
for _ in $(seq 1 50); do s6-svok "$SCAN/qmail-dns" 2>/dev/null && break; sleep 0.1; done
if s6-svwait -U -t 10000 "$SCAN/qmail-dns"; then pass dns_ready_notification
else fail dns_ready_notification "s6 saw no readiness in 10 s: $(tail -n 3 "$QM_HOME/log/qmail-dns/current" 2>/dev/null)"; exit 1; fi
[ "$(stat -c %U "$QM_HOME/dns/socket" 2>/dev/null)" = qmailn ] && pass dns_runs_as_qmailn ||
  fail dns_runs_as_qmailn "socket owned by $(stat -c %U "$QM_HOME/dns/socket" 2>&1)"

# wait for nsd to answer (it loads the zone after binding)
for _ in $(seq 1 50); do
  "$QM_HOME/bin/qmail-dnsq" -t 5 A ns.example.net > /dev/null 2>&1 && break
  sleep 0.1
done

q() { "$QM_HOME/bin/qmail-dnsq" -t 10 "$@" 2>&1; }
# expect NAME WANT_RC WANT_OUTPUT TYPE QNAME: the exact output with the TTL blanked
expect() {
  n=$1 wrc=$2 want=$3; shift 3
  got=$(q "$@"); rc=$?
  got=$(printf '%s\n' "$got" | sed -E '1s/ttl=[0-9]+/ttl=T/')
  if [ "$rc" = "$wrc" ] && [ "$got" = "$want" ]; then pass "$n"
  else fail "$n" "$* gave rc=$rc [$(printf '%s' "$got" | tr '\n' '|')], want rc=$wrc [$(printf '%s' "$want" | tr '\n' '|')]"; fi
}
nl=$'\n'

expect dns_mx_preferences 0 "K ttl=T${nl}10 mx1.example.net${nl}10 mx3.example.net${nl}20 mx2.example.net" MX example.net
expect dns_a 0 "K ttl=T${nl}192.0.2.11" A mx1.example.net
expect dns_aaaa 0 "K ttl=T${nl}2001:db8::11" AAAA MX1.Example.NET.
expect dns_aaaa_v6only 0 "K ttl=T${nl}2001:db8::30" AAAA v6only.example.net
expect dns_cname 0 "K ttl=T${nl}192.0.2.11" A alias.example.net
expect dns_cname_chain 0 "K ttl=T${nl}192.0.2.12" A chain1.example.net
expect dns_cname_mx 0 "K ttl=T${nl}10 mx1.example.net${nl}10 mx3.example.net${nl}20 mx2.example.net" MX mxalias.example.net
expect dns_cname_loop 111 "Z CNAME chain too long" A loop1.example.net
expect dns_cname_dangling 100 "X ttl=T" A dangling.example.net
expect dns_null_mx 0 "K ttl=T${nl}0 ." MX nullmx.example.net
expect dns_nodata 100 "E ttl=T" MX mx1.example.net
expect dns_nxdomain 100 "X ttl=T" A nosuch.example.net
expect dns_invalid_name 100 "D invalid domain name" A "bad..name"

# 40 A records (656 bytes) and 24 AAAA records do not fit 512 bytes of UDP: nsd
# truncates, qmail-dns asks again over TCP and keeps the first 32.
out=$(q A big.example.net)
n=$(printf '%s\n' "$out" | grep -c '^192\.0\.2\.')
[ "$n" = 32 ] && printf '%s\n' "$out" | sed -n 2p | grep -qx 192.0.2.100 && pass dns_tcp_fallback_a ||
  fail dns_tcp_fallback_a "got $n addresses: $(printf '%s' "$out" | head -n 3 | tr '\n' '|')"
n=$(q AAAA big6.example.net | grep -c '^2001:db8::1:')
[ "$n" = 24 ] && pass dns_tcp_fallback_aaaa || fail dns_tcp_fallback_aaaa "got $n addresses, want 24"

start=$(date +%s%N)
expect dns_servfail 111 "Z DNS server failure (SERVFAIL)" A x.broken.example
expect dns_refused 111 "Z DNS server refused the query" A www.example.com
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$ms" -lt 2500 ] && pass dns_servfail_fast || fail dns_servfail_fast "took $ms ms, want well under the 3 s timeout"

# many questions at once, on separate connections
pids=
for i in $(seq 1 30); do
  case $((i % 3)) in
    0) ( q A mx2.example.net | grep -qx 192.0.2.12 ) & ;;
    1) ( q MX example.net | grep -qx '20 mx2.example.net' ) & ;;
    2) ( q AAAA dual.example.net | grep -qx 2001:db8::20 ) & ;;
  esac
  pids="$pids $!"
done
bad=0
for p in $pids; do wait "$p" || bad=$((bad + 1)); done
[ "$bad" = 0 ] && pass dns_concurrent || fail dns_concurrent "$bad of 30 concurrent questions failed"

q A short.example.net > /dev/null   # TTL 1
# The server goes away: cached answers still come, positive and negative;
# anything not cached is a temporary failure.
kill "$NSD_PID"; wait "$NSD_PID" 2>/dev/null; NSD_PID=
sleep 2
expect dns_cached_mx 0 "K ttl=T${nl}10 mx1.example.net${nl}10 mx3.example.net${nl}20 mx2.example.net" MX example.net
expect dns_cached_cname 0 "K ttl=T${nl}192.0.2.12" A chain1.example.net
expect dns_cached_nxdomain 100 "X ttl=T" A nosuch.example.net
expect dns_cached_nodata 100 "E ttl=T" MX mx1.example.net
out=$(q MX example.net | head -n 1)
ttl=${out#K ttl=}
[ "$ttl" -lt 300 ] 2>/dev/null && pass dns_cached_ttl_counts_down || fail dns_cached_ttl_counts_down "got $out"
out=$(q A short.example.net); rc=$?
[ "$rc" = 111 ] && pass dns_ttl_expiry || fail dns_ttl_expiry "TTL 1 answer after 2 s: rc=$rc $out"
out=$(q A mx3.example.net); rc=$?
[ "$rc" = 111 ] && case $out in Z*) true ;; *) false ;; esac && pass dns_uncached_temporary ||
  fail dns_uncached_temporary "rc=$rc $out"

stats=$(q stats)
hits=$(printf '%s\n' "$stats" | sed -nE 's/.* hits=([0-9]+).*/\1/p')
rss=$(printf '%s\n' "$stats" | sed -nE 's/.* maxrss_kb=([0-9]+).*/\1/p')
[ "${hits:-0}" -ge 10 ] && [ "${rss:-0}" -gt 0 ] && pass dns_stats || fail dns_stats "$stats"

# A server that takes the questions and never answers: a timeout, after about
# control/timeoutdns seconds.
python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.2", 53))
time.sleep(60)' &
SILENT_PID=$!
for _ in $(seq 1 50); do ss -Hnlu 'sport = :53' | grep -q '127\.0\.0\.2:53' && break; sleep 0.1; done
printf '127.0.0.2\n' > "$QM_HOME/control/dnsservers"
s6-svc -T 10000 -wR -r "$SCAN/qmail-dns" || fail dns_restart "no restart with readiness in 10 s"
start=$(date +%s)
out=$(q A mx1.example.net); rc=$?
took=$(( $(date +%s) - start ))
[ "$rc" = 111 ] && [ "$out" = "Z DNS query timed out" ] && [ "$took" -ge 2 ] && [ "$took" -le 6 ] &&
  pass dns_timeout || fail dns_timeout "rc=$rc [$out] after $took s"

# As root it refuses to start.
"$QM_HOME/bin/qmail-dns" -s "$INST/rootsock" > "$INST/root.out" 2>&1; rc=$?
[ "$rc" = 100 ] && grep -q 'refusing to run as root' "$INST/root.out" && pass dns_refuses_root ||
  fail dns_refuses_root "rc=$rc $(cat "$INST/root.out")"

sleep 0.5
log=$QM_HOME/log/qmail-dns/current
grep -q 'qmail-dns: warning: type=A name=x.broken.example: DNS server failure (SERVFAIL)' "$log" &&
  grep -q 'qmail-dns: info: listening on' "$log" && pass dns_log ||
  fail dns_log "log: $(tail -n 5 "$log" 2>&1 | tr '\n' '|')"
