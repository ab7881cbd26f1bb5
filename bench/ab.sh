#!/usr/bin/env bash
# Server CPU per keep-alive request of two certgate binaries in the same run (`make bench-ab`).
#
# Both binaries serve at once (one worker each, the bench's keep-alive config, the same nginx upstream);
# rounds alternate A B A B ... so that the machine's drift hits both alike, and each binary's figure is the
# median of its rounds. This is bench/run.sh's method (docs/performance.md) for two builds of certgate
# instead of certgate against nginx. For differences of a few percent use bench/instructions.sh as well:
# on a shared machine single rounds here vary by far more than that.
#
# Usage: BEFORE=/path/to/previous/certgate [AFTER=build/certgate] bash bench/ab.sh
# Knobs: ROUNDS (15) DURATION (4s) WARMUP (1s) KA_CONNS (64) KA_THREADS (2) NO_INSTALL=1
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
AFTER=${AFTER:-$BUILD/certgate}
BEFORE=${BEFORE:?BEFORE=path of the certgate binary to compare with}
LOADGEN=$BUILD/bench/certgate-loadgen
ROUNDS=${ROUNDS:-15}
DURATION=${DURATION:-4s}
WARMUP=${WARMUP:-1s}
KA_CONNS=${KA_CONNS:-64}
KA_THREADS=${KA_THREADS:-2}
WORK=$ROOT/bench/work-ab
source "$ROOT/bench/lib.sh"

[[ -n "${NO_INSTALL:-}" ]] || bash "$ROOT/scripts/install-deps.sh" bench
command -v nginx >/dev/null || die "nginx not installed (bash scripts/install-deps.sh bench)"
cmake --build "$BUILD" --target certgate certgate-loadgen >/dev/null || die "build failed"

rm -rf "$WORK"
mkdir -p "$WORK"
make_bench_pki "$WORK" > "$WORK/pki.log" 2>&1 || { cat "$WORK/pki.log" >&2; die "PKI creation failed"; }
read -r UP_PORT PORT_before PORT_after ADMIN_before ADMIN_after < <(free_ports 5)
head -c 24 /dev/urandom | base64 > "$WORK/admin.token"
start_plain_upstream "$WORK" "$UP_PORT"

declare -A BIN=([before]=$BEFORE [after]=$AFTER) PORT=([before]=$PORT_before [after]=$PORT_after)
declare -A ADMIN=([before]=$ADMIN_before [after]=$ADMIN_after)
for name in before after; do
  certgate_config 1 "${PORT[$name]}" "$UP_PORT" "$WORK" > "$WORK/$name.yaml"
  admin_block "${BIN[$name]}" "${ADMIN[$name]}" "$WORK/admin.token" >> "$WORK/$name.yaml"
  start_server "$name" "$WORK/$name.out" "${BIN[$name]}" serve --config "$WORK/$name.yaml"
  wait_listen "${SPID[$name]}" "${PORT[$name]}" || { tail -n 30 "$WORK/$name.out" >&2; die "$name failed to start"; }
done

declare -A CPU=()
for r in $(seq "$ROUNDS"); do
  for name in before after; do
    out=$("$LOADGEN" --port "${PORT[$name]}" --cert "$WORK/client.pem" --key "$WORK/client.key" \
          --cacert "$WORK/ca.pem" --connections "$KA_CONNS" --threads "$KA_THREADS" --requests-per-conn 0 \
          --duration "$DURATION" --warmup "$WARMUP" --server-pid "${SPID[$name]}" --json)
    [[ $(json_field "$out" errors_total) == 0 ]] || die "loadgen saw errors: $out"
    us=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["server"]["cpu_per_request_us"])' "$out")
    other=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get("machine", {}).get("other_cores", 0))' "$out")
    log "round $r $name: $us us/request (other load $other cores)"
    CPU[$name]="${CPU[$name]:-} $us"
  done
done
python3 - "${CPU[before]}" "${CPU[after]}" <<'EOF'
import statistics, sys
b = [float(x) for x in sys.argv[1].split()]
a = [float(x) for x in sys.argv[2].split()]
mb, ma = statistics.median(b), statistics.median(a)
print(f"server CPU per keep-alive request, median of {len(b)} rounds: before {mb:.2f} us "
      f"(range {min(b):.1f}-{max(b):.1f}), after {ma:.2f} us (range {min(a):.1f}-{max(a):.1f}), "
      f"after/before {ma / mb:.4f} ({(ma / mb - 1) * 100:+.2f} %)")
EOF
