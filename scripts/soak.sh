#!/usr/bin/env bash
# `make soak`: both suites (the Release and the ASan+UBSan tree, already built) RUNS times in a row while
# HOG busy loops compete for the CPU, the way the suite must hold on a shared 2-core machine
# (tests/integration/README.md). After each suite, no certgate may be left running or listening. Prints
# one summary line per suite run and fails if any run failed.
set -uo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-5}
HOG=${HOG:-$(nproc)}
JOBS=${JOBS:-$(nproc)}
for tree in build build-asan; do
  [[ -x $tree/certgate ]] || { echo "$tree is not built (make build build-asan)"; exit 2; }
done

hogs=()
stop_hogs() { ((${#hogs[@]})) && kill "${hogs[@]}" 2>/dev/null; }
trap stop_hogs EXIT
for _ in $(seq "$HOG"); do
  bash -c 'while :; do :; done' &
  hogs+=($!)
done
echo "soak: $RUNS runs of both suites, $HOG busy loops beside them, ctest -j $JOBS"

status=0
summaries=()
for run in $(seq "$RUNS"); do
  for tree in build build-asan; do
    log=$(mktemp)
    start=$(date +%s)
    (cd "$tree" && ctest --output-on-failure -j "$JOBS") > "$log" 2>&1
    rc=$?
    result=$(grep -E 'tests passed|tests failed' "$log" | tail -n 1)
    left=$(pgrep -a -f "$PWD/$tree/certgate " || true)
    listening=$(ss -Hltnp 2>/dev/null | grep '"certgate"' || true)
    line="run $run $tree: $result ($(($(date +%s) - start)) s)"
    if ((rc != 0)) || [[ -n $left || -n $listening ]]; then
      status=1
      line+=" FAILED"
      grep -E '\(Failed\)|\(Timeout\)|\*\*\*Exception' "$log"
      [[ -n $left ]] && echo "left running: $left"
      [[ -n $listening ]] && echo "left listening: $listening"
      cp "$log" "$tree/soak-run-$run.log"
      echo "full output: $tree/soak-run-$run.log"
    fi
    rm -f "$log"
    echo "$line"
    summaries+=("$line")
  done
done
echo "=== soak summary"
printf '%s\n' "${summaries[@]}"
exit $status
