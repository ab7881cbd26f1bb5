#!/usr/bin/env bash
# `make test`: format check, then the whole suite on the Release build and on the ASan+UBSan build.
# Every stage runs even when an earlier one failed; the exit status is decided at the end, after a summary
# (and a check that no certgate process is left running).
set -uo pipefail
cd "$(dirname "$0")/.."

JOBS=${JOBS:-$(nproc)}
source scripts/stages.sh

# suite DIR: configure (through make, which knows the flags), build everything, run ctest.
suite() {
  local dir=$1
  make --no-print-directory "$dir/build.ninja" || return 1
  cmake --build "$dir" -j "$JOBS" || return 1
  (cd "$dir" && ctest --output-on-failure -j "$JOBS")
}

stage "format check" make --no-print-directory format-check
stage "Release build + suite" suite build
stage "ASan+UBSan build + suite" suite build-asan

# The suites end every process they start (tests/guard.py); anything still here is a defect.
leftovers=$(pgrep -a -f "$PWD/build(-asan)?/certgate " || true)  # this tree only, not a running demo
if [[ -n "$leftovers" ]]; then
  fail_stage "no certgate left running"
  echo "certgate processes still running after the suites:"
  echo "$leftovers"
fi

summarize
