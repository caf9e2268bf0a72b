#!/bin/sh
# Runs each cmocka test binary, letting cmocka print its own summary lines, and fails
# if any binary failed. First argument: a label for the flavour (unit, asan).
label=$1; shift
failed=0
for t in "$@"; do
  echo "== $label: ${t##*/}"
  if ! "$t"; then
    echo "== $label: ${t##*/} FAILED"
    failed=$((failed + 1))
  fi
done
echo "== $label: $# binaries, $failed failed"
[ "$failed" -eq 0 ]
