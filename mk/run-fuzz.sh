#!/bin/sh
# Runs each libFuzzer harness for a short smoke time on a scratch copy of its seed
# corpus (tests/fuzz/<name>/), so new corpus entries never land in the source tree.
# A crash, leak or sanitizer report fails the run and leaves the input in build/fuzz/.
seconds=$1; shift
failed=0
for f in "$@"; do
  name=${f##*/}
  work=build/fuzz/work/$name
  rm -rf "$work" && mkdir -p "$work/corpus" "$work/artifacts"
  [ -d "tests/fuzz/$name" ] && cp -r "tests/fuzz/$name/." "$work/corpus/"
  if "$f" -max_total_time="$seconds" -rss_limit_mb=1024 -max_len=65536 \
       -artifact_prefix="$work/artifacts/" "$work/corpus" > "$work/log" 2>&1; then
    echo "== fuzz: $name ok ($(grep -c . "$work/log") log lines, $(ls "$work/corpus" | wc -l) inputs)"
  else
    echo "== fuzz: $name FAILED; see $work/log"
    tail -n 30 "$work/log"
    failed=$((failed + 1))
  fi
done
echo "== fuzz: $# harnesses, $failed failed"
[ "$failed" -eq 0 ]
