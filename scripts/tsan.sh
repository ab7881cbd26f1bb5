#!/usr/bin/env bash
# ThreadSanitizer pass: builds build-tsan (-DCERTGATE_SANITIZE=thread), runs the unit tests and the
# integration files that exercise threads: two workers everywhere, SIGHUP reload and SIGTERM drain
# (core_lifecycle), the CRL file watcher and the revocation fetch thread handing results to workers
# (revocation), ticket key rotation and the session cache (tls_resumption), JWT key rotation on reload
# (jwt_assertion), the upstream pool (core_proxy, upstream_failures), connection caps shared by workers
# (connection_limits) and TCP sessions (tls_tcp). Every TSan report fails the run, even when the tests
# pass: reports go to build-tsan/tsan-reports/ (one file per process) and are printed.
set -uo pipefail
cd "$(dirname "$0")/.."

JOBS=${JOBS:-$(nproc)}
INTEGRATION=${TSAN_INTEGRATION:-'^integration\.(core_lifecycle|revocation|tls_resumption|jwt_assertion|core_proxy|upstream_failures|connection_limits|tls_tcp)$'}

make --no-print-directory build-tsan JOBS="$JOBS" || exit 1

reports=$PWD/build-tsan/tsan-reports
rm -rf "$reports"
mkdir -p "$reports"
# halt_on_error=0: a report does not change the behaviour the tests check; it fails the run at the end.
export TSAN_OPTIONS="suppressions=$PWD/scripts/tsan.supp log_path=$reports/tsan second_deadlock_stack=1 halt_on_error=0"

status=0
echo "=== TSan: unit tests"
(cd build-tsan/tests/unit && ./unit_tests --gtest_brief=1) || status=1
echo "=== TSan: integration subset ($INTEGRATION)"
(cd build-tsan && ctest --output-on-failure -j "$JOBS" -R "$INTEGRATION") || status=1

shopt -s nullglob
found=("$reports"/tsan*)
if [[ ${#found[@]} -gt 0 ]]; then
  status=1
  echo "=== TSan reported ${#found[@]} process(es) with warnings:"
  for f in "${found[@]}"; do
    echo "--- $f"
    cat "$f"
  done
else
  echo "=== TSan: no reports"
fi
exit $status
