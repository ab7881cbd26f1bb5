#!/usr/bin/env bash
# `make test`: format check, then the whole suite on the Release build and on the ASan+UBSan build.
# Every stage runs even when an earlier one failed; the exit status is decided at the end, after a summary
# (and a check that no certgate process is left running).
#
# The ASan build compiles while the Release suite runs. The build is CPU work; the suite mostly waits on
# sockets, handshakes and child processes, and its tests are written to hold on a machine under a CPU hog
# (tests/integration/README.md). Side by side they save the length of the Release suite, about two minutes
# on the 2-core machine.
set -uo pipefail
cd "$(dirname "$0")/.."

JOBS=${JOBS:-$(nproc)}
source scripts/stages.sh

# build DIR: configure (through make, which knows the flags), then build everything.
build() {
  local dir=$1
  make --no-print-directory "$dir/build.ninja" && cmake --build "$dir" -j "$JOBS"
}

# suite DIR: ctest on a tree that build() made.
suite() {
  (cd "$1" && ctest --output-on-failure -j "$JOBS")
}

# Waits for the background ASan build; prints its output only when it failed (it ran beside the suite).
wait_for_build() {
  local pid=$1 log=$2
  if wait "$pid"; then
    tail -n 1 "$log"
    return 0
  fi
  cat "$log"
  return 1
}

stage "format check" make --no-print-directory format-check
stage "Release build" build build

asan_log=$(mktemp)
trap 'rm -f "$asan_log"' EXIT
build build-asan >"$asan_log" 2>&1 &
asan_build=$!
stage "Release suite" suite build
stage "ASan+UBSan build (beside it)" wait_for_build "$asan_build" "$asan_log"
stage "ASan+UBSan suite" suite build-asan

# The suites end every process they start (tests/guard.py); anything still here is a defect.
leftovers=$(pgrep -a -f "$PWD/build(-asan)?/certgate " || true)  # this tree only, not a running demo
if [[ -n "$leftovers" ]]; then
  fail_stage "no certgate left running"
  echo "certgate processes still running after the suites:"
  echo "$leftovers"
fi

summarize
