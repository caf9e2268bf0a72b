#!/bin/bash
# bench/inject: messages a second through the suite's qmail-queue, qmail-inject (with
# and without qmail-queued running) and through Postfix's sendmail on this machine
# in one run, one stream and four parallel streams,
# interleaved round by round, beside the disk's durable-commit limit (commitrate) and
# with the fsyncs each message costs (strace on a small sample). Root only; it builds
# the suite, installs it into a scratch home bind-mounted over the compiled-in home
# inside its own mount and network namespace, and uses the private Postfix instance
# of bench/postfix-setup.sh. Nothing leaves the machine; every loop is bounded.
# A benchmark, not a test: it prints figures and judges nothing.
#
# usage: bench/inject.sh [-n messages] [-r rounds] [-s sample] [-k] [-P]
#   -n  messages per measurement (default 2000)     -r  rounds (default 5)
#   -s  messages in the strace sample (default 50)  -k  keep the scratch directory
#   -P  let Postfix run (pickup, cleanup, qmgr, delivery to the Maildir) while its
#       sendmail is timed; by default its master is stopped, as qmail-send is
set -u
PROG=inject
die() { echo "$PROG: fatal: $*" >&2; exit 111; }
usage() { echo "usage: bench/inject.sh [-n messages] [-r rounds] [-s sample] [-k] [-P]" >&2; exit 100; }

SRC=$(cd "$(dirname "$0")/.." && pwd)
BENCH_USER=qmbench
SENDER=bench@example.org
SUITE_RCPT=$BENCH_USER@mail.example.org
PF_RCPT=$BENCH_USER@bench.example.org
RUN_TIMEOUT=900          # seconds one timed measurement may take at most
DRAIN_TIMEOUT=300        # seconds a running Postfix may take to deliver a round

# --- the part that runs inside the private namespaces ------------------------------
if [ "${1:-}" = --inner ]; then
  S=$2 N=$3 ROUNDS=$4 SAMPLE=$5 PF_RUNNING=$6
  RES=$S/results
  mount --bind "$S/postfix/etc" /etc/postfix || die "unable to bind the Postfix instance"
  ip link set lo up || die "unable to bring up loopback"
  export QM_SRC=$SRC
  # shellcheck source=../tests/e2e/lib.sh
  . "$SRC/tests/e2e/lib.sh"
  inst_new                       # the suite installed over $QM_HOME; gone on exit
  pf_cleanup() { [ "$PF_RUNNING" = 1 ] && postfix stop >/dev/null 2>&1; inst_cleanup; }
  trap pf_cleanup EXIT

  systems=
  if [ -x "$QM_HOME/bin/qmail-queue" ]; then
    systems="suite-qq"
    # qmail-inject, once built: the suite's own counterpart of Postfix's sendmail
    # (reads the headers, then runs qmail-queue).
    [ -x "$QM_HOME/bin/qmail-inject" ] && systems="$systems suite-inj"
    # and the same through qmail-queued (qmail-queued(8)), which the service runs
    [ -x "$QM_HOME/bin/qmail-inject" ] && [ -x "$QM_HOME/bin/qmail-queued" ] && systems="$systems suite-injd"
  else
    echo "$PROG: the suite has no qmail-queue yet: measuring Postfix alone" >&2
  fi
  systems="$systems postfix"

  # cmd SYSTEM: the injection command line and the envelope option for injectrate.
  cmd() {
    case $1 in
    suite-qq) echo "-e $S/env $QM_HOME/bin/qmail-queue" ;;
    suite-inj|suite-injd) echo "$QM_HOME/bin/qmail-inject -f $SENDER $SUITE_RCPT" ;;
    postfix) echo "/usr/sbin/sendmail -i -f $SENDER $PF_RCPT" ;;
    esac
  }
  # count SYSTEM: messages the last run left behind, to prove they were all taken.
  count() {
    case $1 in
    suite-*) find "$QM_HOME/queue/mess" -type f | wc -l ;;
    postfix)
      if [ "$PF_RUNNING" = 1 ]; then find "$S/postfix/vmail" -path '*/new/*' -type f | wc -l
      else find "$S/postfix/spool/maildrop" -type f | wc -l; fi ;;
    esac
  }
  # settle SYSTEM WANT: a running Postfix finishes its deliveries (bounded).
  settle() {
    [ "$1" = postfix ] && [ "$PF_RUNNING" = 1 ] || return 0
    t=0
    while [ "$(count postfix)" -lt "$2" ] && [ $t -lt $((DRAIN_TIMEOUT * 10)) ]; do
      sleep 0.1; t=$((t + 1))
    done
  }
  # clear SYSTEM: empty the queue (and Maildir) so every run starts alike.
  clear_sys() {
    case $1 in
    suite-*)
      find "$QM_HOME/queue" -path "$QM_HOME/queue/lock" -prune -o -type f -exec rm -f {} + ;;
    postfix)
      find "$S/postfix/spool/maildrop" "$S/postfix/spool/incoming" "$S/postfix/spool/active" \
        "$S/postfix/spool/deferred" "$S/postfix/spool/defer" "$S/postfix/spool/bounce" \
        "$S/postfix/spool/hold" -type f -exec rm -f {} +
      find "$S/postfix/vmail" -type f -exec rm -f {} + ;;
    esac
    sync
  }
  # daemon SYSTEM start|stop: qmail-queued runs, as qmailq, only while suite-injd is
  # measured (every other system must run qmail-queue itself)
  QQD=
  daemon() {
    [ "$1" = suite-injd ] || return 0
    if [ "$2" = start ]; then
      rm -f "$QM_HOME/queued/socket"
      s6-setuidgid qmailq "$QM_HOME/bin/qmail-queued" -c 200 &
      QQD=$!
      for _ in $(seq 1 100); do [ -S "$QM_HOME/queued/socket" ] && break; sleep 0.05; done
    elif [ -n "$QQD" ]; then
      kill "$QQD"; wait "$QQD" 2>/dev/null; QQD=
      rm -f "$QM_HOME/queued/socket"
    fi
  }
  # measure SYSTEM STREAMS ROUND
  measure() {
    daemon "$1" start
    clear_sys "$1"
    # shellcheck disable=SC2046
    out=$(timeout "$RUN_TIMEOUT" s6-setuidgid "$BENCH_USER" "$S/bin/injectrate" -n "$N" \
          -p "$2" -m "$S/msg" $(cmd "$1") 2>&1)
    rc=$?
    rate=$(echo "$out" | sed -n 's/.* rate=\([0-9.]*\)$/\1/p')
    settle "$1" "$N"
    daemon "$1" stop
    got=$(count "$1")
    if [ $rc != 0 ] || [ -z "$rate" ] || [ "$got" != "$N" ]; then
      echo "$PROG: $1 streams=$2 round $3 failed (exit $rc, $got of $N queued): $out" >&2
      echo "$1 $2 fail $3" >> "$RES"
    else
      printf '  round %s  %-9s %s stream(s): %8.1f msg/s\n' "$3" "$1" "$2" "$rate"
      echo "$1 $2 $rate $3" >> "$RES"
    fi
  }

  [ "$PF_RUNNING" = 1 ] && { postfix start >/dev/null 2>&1 || die "postfix start failed"; }

  # fsyncs per message: every fsync and fdatasync of the whole injecting process tree.
  for sys in $systems; do
    # qmail-queued's children, not the injecting tree, do suite-injd's fsyncs: the
    # same as suite-inj's
    [ "$sys" = suite-injd ] && continue
    clear_sys "$sys"
    # shellcheck disable=SC2046
    strace -f -c -o "$S/strace.$sys" -e trace=fsync,fdatasync,sync_file_range,syncfs \
      s6-setuidgid "$BENCH_USER" "$S/bin/injectrate" -n "$SAMPLE" -m "$S/msg" \
      $(cmd "$sys") > /dev/null 2>&1 || echo "$PROG: strace sample of $sys failed" >&2
    settle "$sys" "$SAMPLE"
    # sync_file_range is traced but not counted: it starts writeback and makes
    # nothing durable (qmail-queue issues one before its first fsync)
    calls=$(awk '$NF ~ /^(fsync|fdatasync|syncfs)$/ { n += $4 } END { print n + 0 }' \
            "$S/strace.$sys" 2>/dev/null)
    echo "fsync $sys $(awk -v c="$calls" -v n="$SAMPLE" 'BEGIN { printf "%.2f", c / n }')" >> "$RES"
  done

  r=1
  while [ $r -le "$ROUNDS" ]; do
    # Alternate who goes first, so neither side always runs on a warmer machine.
    order=$systems
    [ $((r % 2)) = 0 ] && order=$(echo "$systems" | tr ' ' '\n' | tac | tr '\n' ' ')
    # The disk's limit in the same round, so it sees the same machine load.
    "$S/bin/commitrate" -n "$N" -r 1 "$S/commit" | sed -n 's/^workers=\([0-9]*\) median=\([0-9]*\) .*/\1 \2/p' |
      while read -r w m; do
        printf '  round %s  commits   %s worker(s): %8s commits/s\n' "$r" "$w" "$m"
        echo "commit $w $m" >> "$RES"
      done
    for streams in 1 4; do
      for sys in $order; do measure "$sys" "$streams" "$r"; done
    done
    r=$((r + 1))
  done
  for sys in $systems; do clear_sys "$sys"; done
  exit 0
fi

# --- the outer part: build, prepare, measure the disk, then run the inner part -------
N=2000 ROUNDS=5 SAMPLE=50 KEEP='' PF_RUNNING=0
while getopts n:r:s:kP opt; do
  case $opt in
  n) N=$OPTARG ;; r) ROUNDS=$OPTARG ;; s) SAMPLE=$OPTARG ;; k) KEEP=1 ;; P) PF_RUNNING=1 ;;
  *) usage ;;
  esac
done
case $N$ROUNDS$SAMPLE in *[!0-9]*) usage ;; esac
[ "$N" -ge 1 ] && [ "$N" -le 100000 ] || die "-n must be 1..100000"
[ "$ROUNDS" -ge 1 ] && [ "$ROUNDS" -le 21 ] || die "-r must be 1..21"
[ "$SAMPLE" -ge 1 ] && [ "$SAMPLE" -le 1000 ] || die "-s must be 1..1000"
[ "$(id -u)" = 0 ] || die "must run as root (namespaces, users, a set-uid queue)"
# shellcheck source=bench_lib.sh
. "$SRC/bench/bench_lib.sh"
bench_need unshare s6-setuidgid ip
command -v strace > /dev/null || die "strace is missing (apt-get install strace)"

cd "$SRC" || die "unable to enter $SRC"
bench_build all bench-build
bench_scratch
mkdir -p "$S/bin" "$S/commit"
cp build/bench/injectrate build/bench/commitrate "$S/bin/"

bash bench/postfix-setup.sh "$S/postfix" "$BENCH_USER" || die "Postfix setup failed"

# The message: about 2 KB of headers and text, the same bytes for both sides.
bench_message "$SUITE_RCPT" "injection bench" inject
printf 'F%s\0T%s\0\0' "$SENDER" "$SUITE_RCPT" > "$S/env"
chmod 644 "$S/env"

bench_machine
if awk -v n="$(nproc)" '{ exit !($1 > n) }' /proc/loadavg; then
  echo "$PROG: warning: the machine is busy (load above its cores): absolute figures will" \
    "be low and noisy; compare the ratios" >&2
fi

echo "$PROG: $N messages of $(wc -c < "$S/msg") bytes a run, $ROUNDS rounds," \
  "Postfix master $([ "$PF_RUNNING" = 1 ] && echo running || echo stopped)," \
  "qmail-send stopped"
timeout -k 10 $((RUN_TIMEOUT * ROUNDS * 4 + 600)) \
  unshare -m -n --propagation private "$0" --inner "$S" "$N" "$ROUNDS" "$SAMPLE" "$PF_RUNNING" ||
  echo "$PROG: the measuring part failed; figures below may be incomplete" >&2

# --- summary: medians and ratios ----------------------------------------------------
median() { # SYSTEM STREAMS
  awk -v s="$1" -v p="$2" '$1 == s && $2 == p && $3 != "fail" { print $3 }' "$S/results" |
    bench_median %.0f
}
fsyncs() { awk -v s="${1%d}" '$1 == "fsync" && $2 == s { print $3 }' "$S/results"; }
# rratio SYSTEM STREAMS: the median over rounds of SYSTEM / postfix within each round,
# which cancels most of the load that other work puts on a shared machine.
rratio() {
  awk -v s="$1" -v p="$2" '$2 == p && $3 != "fail" && $1 == s { a[$4] = $3 }
                           $2 == p && $3 != "fail" && $1 == "postfix" { b[$4] = $3 }
    END { for (r in a) if ((r in b) && b[r] > 0) print a[r] / b[r] }' "$S/results" |
    bench_median %.2fx
}
c1=$(median commit 1) c4=$(median commit 4)
p1=$(median postfix 1) p4=$(median postfix 4)
echo
echo "bench/inject: medians of $ROUNDS rounds, $N messages each, load now $(cut -d' ' -f1-3 /proc/loadavg)"
printf '  %-28s %12s %12s %12s\n' "" "1 stream" "4 streams" "fsyncs/msg"
printf '  %-28s %12s %12s %12s\n' "durable commits/s (disk)" "$c1" "$c4" "2 (file+dir)"
printf '  %-28s %12s %12s %12s\n' "postfix sendmail msg/s" "$p1" "$p4" "$(fsyncs postfix)"
for sys in suite-qq suite-inj suite-injd; do
  grep -q "^$sys " "$S/results" || continue
  case $sys in
  suite-qq) name="suite qmail-queue" ;;
  suite-inj) name="suite qmail-inject" ;;
  *) name="inject, qmail-queued" ;;
  esac
  a1=$(median $sys 1) a4=$(median $sys 4)
  printf '  %-28s %12s %12s %12s\n' "$name msg/s" "$a1" "$a4" "$(fsyncs $sys)"
  printf '  %-28s %12s %12s\n' "  / postfix, of the medians" "$(bench_ratio "$a1" "$p1")" "$(bench_ratio "$a4" "$p4")"
  printf '  %-28s %12s %12s\n' "  / postfix, round by round" "$(rratio $sys 1)" "$(rratio $sys 4)"
done
printf '  %-28s %12s %12s\n' "target" ">= 2x" ">= 3x"
[ -n "$KEEP" ] && echo "$PROG: scratch kept in $S"
exit 0
