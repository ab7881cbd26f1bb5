#!/usr/bin/env bash
# Instructions per keep-alive request, two certgate binaries compared (`make bench-instructions`).
#
# CPU time per request on a shared 2-core machine moves by tens of percent from run to run, so a change of
# a few percent (the cost of metrics, say) cannot be shown with it. An instruction count can: each binary
# runs under Valgrind's callgrind, which counts every instruction certgate executes on all its threads
# (OpenSSL and the allocator included). Two windows of keep-alive load, a short one and a long one, are
# counted separately over the same number of connections; the difference divided by the difference in
# requests is the cost of one request, with start-up and handshakes cancelled out.
#
# Usage: BEFORE=/path/to/previous/certgate [AFTER=build/certgate] bash bench/instructions.sh
# Knobs: CONNS (4) SHORT (2s) LONG (8s) ROUNDS (2) NO_INSTALL=1; KEEP=1 keeps each binary's long-window profile as
# bench/work-instructions/<before|after>.callgrind (`callgrind_annotate` shows where the difference is).
# Each binary gets the bench's keep-alive config (one worker, access log off, a plain-HTTP nginx upstream);
# a binary that has the admin listener also gets an `admin:` block, so its metrics are scraped too.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
AFTER=${AFTER:-$BUILD/certgate}
BEFORE=${BEFORE:?BEFORE=path of the certgate binary to compare with}
LOADGEN=$BUILD/bench/certgate-loadgen
CONNS=${CONNS:-4}
SHORT=${SHORT:-2s}
LONG=${LONG:-8s}
ROUNDS=${ROUNDS:-2}
WORK=$ROOT/bench/work-instructions
source "$ROOT/bench/lib.sh"

[[ -n "${NO_INSTALL:-}" ]] || bash "$ROOT/scripts/install-deps.sh" bench
command -v valgrind >/dev/null || die "valgrind not installed (bash scripts/install-deps.sh bench)"
command -v nginx >/dev/null || die "nginx not installed (bash scripts/install-deps.sh bench)"
cmake --build "$BUILD" --target certgate certgate-loadgen >/dev/null || die "build failed"

rm -rf "$WORK"
mkdir -p "$WORK"
make_bench_pki "$WORK" > "$WORK/pki.log" 2>&1 || { cat "$WORK/pki.log" >&2; die "PKI creation failed"; }
read -r UP_PORT GW_PORT ADMIN_PORT < <(free_ports 3)
head -c 24 /dev/urandom | base64 > "$WORK/admin.token"

start_plain_upstream "$WORK" "$UP_PORT"

# config BINARY: the bench's keep-alive config, with the admin listener when BINARY knows it.
config() {
  certgate_config 1 "$GW_PORT" "$UP_PORT" "$WORK"
  admin_block "$1" "$ADMIN_PORT" "$WORK/admin.token"
}

# window PID SECONDS [KEEP_AS]: zero the counters, run keep-alive load, dump; prints
# "<instructions> <requests>".
window() {
  local pid=$1 duration=$2 keep_as=${3:-} out dump
  callgrind_control -z "$pid" >/dev/null 2>&1
  out=$("$LOADGEN" --port "$GW_PORT" --cert "$WORK/client.pem" --key "$WORK/client.key" --cacert "$WORK/ca.pem" \
        --connections "$CONNS" --threads 1 --requests-per-conn 0 --timeout 60s --duration "$duration" --json)
  [[ $(json_field "$out" errors_total) == 0 ]] || die "loadgen saw errors: $out"
  callgrind_control -d "$pid" >/dev/null 2>&1
  dump=$(ls -t "$WORK"/callgrind.out.* | head -n 1)
  echo "$(awk '/^(summary|totals):/ { print $2; exit }' "$dump") $(json_field "$out" requests)"
  [[ -n $keep_as ]] && cp "$dump" "$WORK/$keep_as.callgrind"
  rm -f "$WORK"/callgrind.out.*
}

# measure NAME BINARY: prints instructions per request for one round.
measure() {
  local name=$1 bin=$2
  config "$bin" > "$WORK/$name.yaml"
  start_server "$name" "$WORK/$name.out" valgrind --tool=callgrind --callgrind-out-file="$WORK/callgrind.out.%p" \
    "$bin" serve --config "$WORK/$name.yaml"
  wait_listen "${SPID[$name]}" "$GW_PORT" 600 || { tail -n 30 "$WORK/$name.out" >&2; die "$name failed to start"; }
  "$LOADGEN" --port "$GW_PORT" --cert "$WORK/client.pem" --key "$WORK/client.key" --cacert "$WORK/ca.pem" \
    --connections "$CONNS" --threads 1 --duration 1s --timeout 60s >/dev/null  # warm caches and pools
  local ia ra ib rb
  read -r ia ra < <(window "${SPID[$name]}" "$SHORT")
  read -r ib rb < <(window "${SPID[$name]}" "$LONG" "${KEEP:+$name}")
  stop_server "$name"
  awk -v ia="$ia" -v ra="$ra" -v ib="$ib" -v rb="$rb" 'BEGIN { printf "%.0f %d\n", (ib - ia) / (rb - ra), rb - ra }'
}

declare -A SUM=()
for r in $(seq "$ROUNDS"); do
  for name in before after; do
    bin=$BEFORE
    [[ $name == after ]] && bin=$AFTER
    read -r per n < <(measure "$name" "$bin")
    log "round $r $name: $per instructions per request (over $n requests)"
    SUM[$name]="${SUM[$name]:-} $per"
  done
done
awk -v b="${SUM[before]}" -v a="${SUM[after]}" 'BEGIN {
  nb = split(b, xb); na = split(a, xa); sb = 0; sa = 0
  for (i = 1; i <= nb; i++) sb += xb[i]; for (i = 1; i <= na; i++) sa += xa[i]
  sb /= nb; sa /= na
  printf "instructions per keep-alive request: before %.0f, after %.0f, after/before %.4f (%+.2f%%)\n",
         sb, sa, sa / sb, (sa / sb - 1) * 100 }'
