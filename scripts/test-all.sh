#!/usr/bin/env bash
# `make test`: format check, then the whole suite on the Release build and on the ASan+UBSan build.
# Every stage runs even when an earlier one failed; the exit status is decided at the end, after a summary
# (and a check that no certgate process is left running).
set -uo pipefail
cd "$(dirname "$0")/.."

JOBS=${JOBS:-$(nproc)}
declare -a names=() results=() times=()

stage() {
  local name=$1
  shift
  local start=$SECONDS
  echo "=== $name"
  if "$@"; then results+=("ok"); else results+=("FAILED"); fi
  names+=("$name")
  times+=("$((SECONDS - start))")
}

# The ASan tree is built in the background while the Release suite runs: the integration tests mostly
# wait on sockets, so the compiler fills the idle CPU (the whole run is ~2 min shorter on 2 cores). Its
# output goes to build-asan/build.log and is shown only when it fails.
asan_build_pid=
start_asan_build() {
  make --no-print-directory build-asan/build.ninja || return 1
  cmake --build build-asan -j "$JOBS" > build-asan/build.log 2>&1 &
  asan_build_pid=$!
}

release_suite() {
  make --no-print-directory build/build.ninja || return 1
  cmake --build build -j "$JOBS" || return 1
  start_asan_build
  (cd build && ctest --output-on-failure -j "$JOBS")
}

asan_suite() {
  if [[ -z "$asan_build_pid" ]] || ! wait "$asan_build_pid"; then
    [[ -f build-asan/build.log ]] && tail -n 60 build-asan/build.log
    # One more try in the foreground: a clear error, or a build that only lost a race with the suite.
    make --no-print-directory build-asan/build.ninja || return 1
    cmake --build build-asan -j "$JOBS" || return 1
  fi
  (cd build-asan && ctest --output-on-failure -j "$JOBS")
}

stage "format check" make --no-print-directory format-check
stage "Release build + suite" release_suite
stage "ASan+UBSan build + suite" asan_suite

# The suites end every process they start (tests/guard.py); anything still here is a defect.
leftovers=$(pgrep -a -f "$PWD/build(-asan)?/certgate " || true)  # this tree only, not a running demo
if [[ -n "$leftovers" ]]; then
  names+=("no certgate left running")
  results+=("FAILED")
  times+=(0)
  echo "certgate processes still running after the suites:"
  echo "$leftovers"
fi

echo
echo "=== summary"
status=0
for i in "${!names[@]}"; do
  printf '%-28s %-7s %5ss\n' "${names[$i]}" "${results[$i]}" "${times[$i]}"
  [[ "${results[$i]}" == "ok" ]] || status=1
done
exit $status
