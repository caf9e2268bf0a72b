# shellcheck shell=bash
# Shared by the bench/*.sh scripts (sourced; PROG and die() set first):
# the outer part's checks, build and scratch directory, and the summary's medians and
# ratios. Nothing here measures; it only prepares and does arithmetic on results.

# bench_opts NMIN "$@": -n N -r ROUNDS -k into N, ROUNDS, KEEP (defaults already set
# by the caller); N must lie in NMIN..20000 and ROUNDS in 1..11; root only.
bench_opts() {
  NMIN=$1; shift
  while getopts n:r:k opt; do
    case $opt in n) N=$OPTARG ;; r) ROUNDS=$OPTARG ;; k) KEEP=1 ;; *) usage ;; esac
  done
  case $N$ROUNDS in *[!0-9]*|'') usage ;; esac
  if [ "$N" -lt "$NMIN" ] || [ "$N" -gt 20000 ]; then die "-n must be $NMIN..20000"; fi
  if [ "$ROUNDS" -lt 1 ] || [ "$ROUNDS" -gt 11 ]; then die "-r must be 1..11"; fi
  [ "$(id -u)" = 0 ] || die "must run as root (namespaces, users, the suite's services)"
}

# bench_need PROG...: each must be on PATH.
bench_need() {
  for c in "$@"; do command -v "$c" > /dev/null || die "$c is missing (make deps)"; done
}

# bench_build TARGET...: make in the source tree; the log's tail on failure.
bench_build() {
  echo "$PROG: building"
  log=$(mktemp /tmp/bench-build.XXXXXX) || die "unable to make a log file"
  make -j2 "$@" > "$log" 2>&1 || { tail -n 20 "$log"; rm -f "$log"; die "build failed"; }
  rm -f "$log"
}

# bench_scratch: S = a fresh /var/tmp/qmbench.XXXXXX, removed at exit unless KEEP.
bench_scratch() {
  S=$(mktemp -d /var/tmp/qmbench.XXXXXX) || die "unable to make a scratch directory"
  chmod 755 "$S"
  [ -n "$KEEP" ] || trap 'rm -rf "$S"' EXIT
  : > "$S/results"
}

# bench_machine: one line on the machine and its load now.
bench_machine() {
  fs=$(df -T "$S" | awk 'NR == 2 { print $2 " on " $1 }')
  echo "$PROG: $(nproc) cores, $(uname -r), $fs; load $(cut -d' ' -f1-3 /proc/loadavg)"
}

# bench_message TO SUBJECT NAME: $S/msg, about 2 KB of headers and text that both
# sides of a bench get byte for byte (From $SENDER, Message-ID <NAME-bench@...>).
bench_message() {
  {
    printf 'From: Bench <%s>\nTo: <%s>\nSubject: %s\n' "$SENDER" "$1" "$2"
    printf 'Message-ID: <%s-bench@example.org>\nDate: Thu, 1 Jan 2026 00:00:00 +0000\n\n' "$3"
    i=0
    while [ $i -lt 25 ]; do
      printf 'Line %02d of the body: the same text every time, so both sides copy alike.\n' $i
      i=$((i + 1))
    done
  } > "$S/msg"
  chmod 644 "$S/msg"
}

# bench_median [FORMAT]: the median of the numbers on stdin in printf's FORMAT
# (default %.1f), "-" if none.
bench_median() {
  sort -g | awk -v f="${1:-%.1f}" '{ v[NR] = $1 } END {
    if (NR == 0) { print "-"; exit }
    printf f, NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# bench_ratio A B: A / B as "1.23x", "-" when either is missing.
bench_ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"
                                   else printf "%.2fx", a / b }'
}
