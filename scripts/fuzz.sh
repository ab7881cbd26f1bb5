#!/usr/bin/env bash
# Builds the libFuzzer targets (build-fuzz, clang) and runs each for a bounded time on a copy of its seed
# corpus (fuzz/corpus/<target>), so the repository stays clean. Usage: scripts/fuzz.sh [seconds] [target...]
# Any crash, sanitizer report, leak, timeout or out-of-memory fails the run; the input that caused it is
# saved under build-fuzz/fuzz-run/<target>/ and its path printed.
set -uo pipefail
cd "$(dirname "$0")/.."

SECONDS_EACH=${1:-${FUZZ_SECONDS:-30}}
shift || true
JOBS=${JOBS:-$(nproc)}
ALL_TARGETS=(config_loader request_target http_headers xfcc header_certificate proxy_v2 ticket_chain pem_crl)
[[ $# -gt 0 ]] && TARGETS=("$@") || TARGETS=("${ALL_TARGETS[@]}")

make --no-print-directory build-fuzz JOBS="$JOBS" || exit 1

RUN=build-fuzz/fuzz-run
rm -rf "$RUN"
mkdir -p "$RUN"

# run_one TARGET: writes $RUN/TARGET/{log,cpu,rc}; the corpus copy grows with what the run finds.
run_one() {
  local t=$1 dir=$RUN/$1
  mkdir -p "$dir/corpus" "$dir/artifacts"
  cp -r "fuzz/corpus/$t/." "$dir/corpus/"
  local dict=()
  [[ -f fuzz/dict/$t.dict ]] && dict=(-dict="fuzz/dict/$t.dict")
  # -timeout: one input taking 10 s is a finding (a hang), far above any parser's normal cost.
  # -rss_limit_mb: two targets run side by side on a shared machine; 2 GiB each is ample for parsers.
  /usr/bin/time -f '%U %S' -o "$dir/cpu" \
    "build-fuzz/fuzz/fuzz_$t" -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 -artifact_prefix="$dir/artifacts/" "${dict[@]}" "$dir/corpus" >"$dir/log" 2>&1
  echo $? >"$dir/rc"
}
export -f run_one
export RUN SECONDS_EACH

echo "fuzz: ${#TARGETS[@]} targets, ${SECONDS_EACH} s each, $JOBS at a time"
printf '%s\n' "${TARGETS[@]}" | xargs -P "$JOBS" -I{} bash -c 'run_one {}'

status=0
total_cpu=0
printf '%-20s %-7s %12s %8s %8s\n' target result executions cpu_s corpus
for t in "${TARGETS[@]}"; do
  dir=$RUN/$t
  rc=$(cat "$dir/rc" 2>/dev/null || echo 1)
  execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$dir/log" | grep -o '[0-9]*$' || echo '?')
  cpu=$(tail -n 1 "$dir/cpu" 2>/dev/null | awk '{printf "%.1f", $1 + $2}')  # time's last line: user sys
  cpu=${cpu:-0}
  total_cpu=$(awk -v a="$total_cpu" -v b="$cpu" 'BEGIN {printf "%.1f", a + b}')
  corpus=$(find "$dir/corpus" -type f | wc -l)
  result=ok
  if [[ "$rc" != 0 ]]; then
    result=FAILED
    status=1
  fi
  printf '%-20s %-7s %12s %8s %8s\n' "$t" "$result" "$execs" "$cpu" "$corpus"
done
echo "fuzz: ${total_cpu} CPU seconds in total"

for t in "${TARGETS[@]}"; do
  dir=$RUN/$t
  [[ "$(cat "$dir/rc" 2>/dev/null)" == 0 ]] && continue
  echo
  echo "=== $t failed (exit $(cat "$dir/rc" 2>/dev/null)); last lines of $dir/log:"
  tail -n 40 "$dir/log"
  for f in "$dir"/artifacts/*; do
    [[ -e "$f" ]] && echo "fuzz: $t: crash input saved at $f (reproduce: build-fuzz/fuzz/fuzz_$t $f)"
  done
done
exit $status
