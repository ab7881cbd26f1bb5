#!/usr/bin/env bash
# certgate benchmark (`make bench`): certgate vs nginx vs HAProxy as mutual-TLS terminating reverse proxies
# in front of one shared upstream, measured by the server's own CPU time per operation.
#
# TIME BUDGET (defaults, this 2-core machine): each load run = WARMUP + DURATION + ~0.5 s = ~6.5 s.
#   5 load scenarios x ROUNDS (3) x servers (2 today, 3 with certgate)   = 30-45 runs  -> 3.3-4.9 min
#   idle scenario: IDLE_CONNS full handshakes + IDLE_HOLD per server     = ~20 s each -> 0.7-1.0 min
#   setup (PKI, build check, server start, sanity checks, 7 crypto-floor measurements)  -> ~0.3 min
#   total ~4.5 min now, ~6 min with certgate; hard limit 10 min.
# Knobs (environment): WORKERS ROUNDS DURATION WARMUP HS_CONNS KA_CONNS KA_THREADS IDLE_CONNS IDLE_HOLD
#                      SERVERS SCENARIOS BUILD CERTGATE LOADGEN_ARGS (extra loadgen options for experiments)
#                      NO_INSTALL=1 NO_WRITE=1 (do not touch results/ and docs/) WAIT_QUIET=seconds
set -euo pipefail

WORKERS=${WORKERS:-1}          # worker processes/threads of every server under test (client gets the other core)
ROUNDS=${ROUNDS:-3}            # interleaved rounds A B C A B C ...; per-server result = median of its rounds
DURATION=${DURATION:-5}        # measured window per run, seconds
WARMUP=${WARMUP:-1}            # warmup before each window (not measured), seconds
HS_CONNS=${HS_CONNS:-16}       # handshake scenarios: 16 client threads, one connection each
KA_CONNS=${KA_CONNS:-64}       # keep-alive scenario connections ...
KA_THREADS=${KA_THREADS:-2}    # ... over this many client threads
IDLE_CONNS=${IDLE_CONNS:-10000}
IDLE_HOLD=${IDLE_HOLD:-3}      # seconds the idle connections are held (RSS read 1 s after the last one opened)
SERVERS=${SERVERS:-"nginx haproxy certgate"}
SCENARIOS=${SCENARIOS:-"full13 resume13 keepalive keepalive_https full12 idle"}
JOBS=${JOBS:-2}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
WORK=$ROOT/bench/work
RESULTS=$ROOT/bench/results
LOADGEN=$BUILD/bench/certgate-loadgen
CERTGATE=${CERTGATE:-$BUILD/certgate}
source "$ROOT/bench/lib.sh"

# ------------------------------------------------------------------------------------------- prerequisites
if [[ -z "${NO_INSTALL:-}" ]]; then
  bash "$ROOT/scripts/install-deps.sh" bench
fi
command -v nginx >/dev/null || die "nginx not installed (bash scripts/install-deps.sh bench)"
command -v haproxy >/dev/null || die "haproxy not installed (bash scripts/install-deps.sh bench)"
nginx -V 2>&1 | grep -q -- '--with-http_ssl_module' || die "this nginx has no http_ssl_module (install nginx instead of nginx-light)"

if [[ ! -f "$BUILD/build.ninja" && ! -f "$BUILD/Makefile" ]]; then
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
log "building certgate-loadgen"
cmake --build "$BUILD" --target certgate-loadgen -j "$JOBS" >/dev/null || die "loadgen build failed"
"$LOADGEN" --self-test >/dev/null || die "loadgen self-test failed"

# 10,000 idle connections: client and servers need > 10k descriptors each.
# (Containers may cap the hard limit, e.g. 20000, and forbid raising it: then use what there is.)
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
NOFILE=$(ulimit -n)
(( NOFILE > IDLE_CONNS + 500 )) || log "warning: ulimit -n $NOFILE is low for $IDLE_CONNS idle connections"

# Busy cores of the whole machine over 2 s (user+nice+system+irq+softirq from /proc/stat).
busy_cores() {
  local a b
  a=$(head -n1 /proc/stat); sleep 2; b=$(head -n1 /proc/stat)
  awk -v a="$a" -v b="$b" 'BEGIN { split(a, x); split(b, y); t = 0
    for (i in x) if (i == 2 || i == 3 || i == 4 || i == 7 || i == 8) t += y[i] - x[i]
    printf "%.2f", t / 200 }'
}
# WAIT_QUIET=N: wait up to N seconds for the machine to be quiet (< 0.15 busy cores) before measuring.
# Meant for shared development machines; the time budget above assumes it is not set.
# Runs measured while others used > 0.25 core are then repeated (up to 3 times) once it is quiet again.
WAITED=0
wait_quiet() {
  local limit=$1 waited=0 busy
  while busy=$(busy_cores); awk -v b="$busy" 'BEGIN { exit !(b >= 0.15) }' && ((waited < limit)); do
    log "machine busy ($busy cores used by others), waiting for it to be quiet"
    sleep 8; waited=$((waited + 10))
  done
  WAITED=$((WAITED + waited))
}
[[ -n "${WAIT_QUIET:-}" ]] && wait_quiet "$WAIT_QUIET"
busy=$(busy_cores)
log "machine busy before start: $busy cores"
awk -v b="$busy" 'BEGIN { exit !(b >= 0.15) }' &&
  log "warning: other processes are using the CPU; CPU per operation will be inflated (WAIT_QUIET=600 waits)"

rm -rf "$WORK"
mkdir -p "$WORK" "$RESULTS"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
log "load average at start: $LOAD_START"

# -------------------------------------------------------------------------------------------------- PKI
log "creating PKI in bench/work (ECDSA P-256 root, server, client)"
make_bench_pki "$WORK" > "$WORK/pki.log" 2>&1 || { cat "$WORK/pki.log" >&2; die "PKI creation failed"; }

# ------------------------------------------------------------------------------------------- free ports
read -r UP_PORT NGINX_PORT HAPROXY_PORT CERTGATE_PORT UP_TLS_PORT < <(free_ports 5)

# ------------------------------------------------------------------------------------------------ configs
mkdir -p "$WORK/nginx-tmp"
NGINX_TEMP="client_body_temp_path $WORK/nginx-tmp/body; proxy_temp_path $WORK/nginx-tmp/proxy;
  fastcgi_temp_path $WORK/nginx-tmp/fastcgi; uwsgi_temp_path $WORK/nginx-tmp/uwsgi; scgi_temp_path $WORK/nginx-tmp/scgi;"

# Shared upstream: plain HTTP, keep-alive, small static 200 body. It also echoes the identity header it
# received, so the sanity check can show that every server under test forwards the client subject.
cat > "$WORK/upstream.conf" <<EOF
worker_processes 1;
pid $WORK/upstream.pid;
error_log $WORK/upstream.err warn;
events { worker_connections 4096; }
http {
  access_log off;
  $NGINX_TEMP
  keepalive_requests 1000000;
  keepalive_timeout 300s;
  server {
    listen 127.0.0.1:$UP_PORT;
    location / {
      default_type text/plain;
      add_header X-Upstream-Saw-Subject "\$http_x_client_subject\$http_x_client_cert_subject_dn" always;
      return 200 "certgate bench upstream: hello\n";
    }
  }
  # The same answer over TLS (keepalive_https: each server proxies /tls-upstream/ here with verification).
  server {
    listen 127.0.0.1:$UP_TLS_PORT ssl;
    ssl_certificate $WORK/server.pem;
    ssl_certificate_key $WORK/server.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    location / {
      default_type text/plain;
      add_header X-Upstream-Saw-Subject "\$http_x_client_subject\$http_x_client_cert_subject_dn" always;
      return 200 "certgate bench upstream: hello\n";
    }
  }
}
EOF

cat > "$WORK/nginx.conf" <<EOF
worker_processes $WORKERS;
worker_rlimit_nofile $NOFILE;
pid $WORK/nginx.pid;
error_log $WORK/nginx.err warn;
events { worker_connections $((NOFILE - 100)); }
http {
  access_log off;
  $NGINX_TEMP
  keepalive_requests 1000000;
  keepalive_timeout 300s;
  upstream backend {
    server 127.0.0.1:$UP_PORT;
    keepalive 64;
    keepalive_requests 1000000;
  }
  upstream backend_tls {
    server 127.0.0.1:$UP_TLS_PORT;
    keepalive 64;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:$NGINX_PORT ssl;
    server_name localhost bench.localhost;
    ssl_certificate $WORK/server.pem;
    ssl_certificate_key $WORK/server.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_tickets on;
    ssl_client_certificate $WORK/ca.pem;
    ssl_verify_client on;
    ssl_verify_depth 1;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Client-Subject \$ssl_client_s_dn;
      proxy_set_header X-Client-Fingerprint \$ssl_client_fingerprint;
    }
    location /tls-upstream/ {
      proxy_pass https://backend_tls;
      proxy_ssl_verify on;
      proxy_ssl_trusted_certificate $WORK/ca.pem;
      proxy_ssl_name localhost;
      proxy_ssl_server_name on;
      proxy_ssl_session_reuse on;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Client-Subject \$ssl_client_s_dn;
      proxy_set_header X-Client-Fingerprint \$ssl_client_fingerprint;
    }
  }
}
EOF

cat > "$WORK/haproxy.cfg" <<EOF
global
  nbthread $WORKERS
  # HAProxy sizes its FD needs as 2 x maxconn; with a capped ulimit (containers) that would refuse to start.
  # Idle client connections need one descriptor each (server connections are pooled), so allow it.
  maxconn $((IDLE_CONNS + 1000))
  no strict-limits
  ssl-default-bind-options ssl-min-ver TLSv1.2
defaults
  mode http
  maxconn $((IDLE_CONNS + 1000))
  timeout connect 5s
  timeout client 300s
  timeout server 300s
  timeout http-request 300s
  timeout http-keep-alive 300s
  http-reuse always
frontend fe
  bind 127.0.0.1:$HAPROXY_PORT ssl crt $WORK/server-haproxy.pem ca-file $WORK/ca.pem verify required
  http-request set-header X-Client-Subject %{+Q}[ssl_c_s_dn]
  http-request set-header X-Client-SHA1 %[ssl_c_sha1,hex]
  use_backend be_tls if { path_beg /tls-upstream/ }
  default_backend be
backend be
  http-reuse always
  server up 127.0.0.1:$UP_PORT
backend be_tls
  http-reuse always
  server up_tls 127.0.0.1:$UP_TLS_PORT ssl verify required ca-file $WORK/ca.pem sni str(localhost)
EOF

certgate_config "$WORKERS" "$CERTGATE_PORT" "$UP_PORT" "$WORK" > "$WORK/certgate.yaml"
cat >> "$WORK/certgate.yaml" <<EOF
  - from: https://localhost/tls-upstream
    to: https://127.0.0.1:$UP_TLS_PORT
    tls_custom_ca_file: $WORK/ca.pem
    tls_upstream_server_name: localhost
EOF

# -------------------------------------------------------------------------------------------- start servers
declare -A PORT=([nginx]=$NGINX_PORT [haproxy]=$HAPROXY_PORT [certgate]=$CERTGATE_PORT)

show_log() { log "---- $1 ----"; tail -n 30 "$1" >&2 || true; }

start_server upstream "$WORK/upstream.out" nginx -p "$WORK" -e "$WORK/upstream.err" -c "$WORK/upstream.conf" -g 'daemon off;'
wait_listen "${SPID[upstream]}" "$UP_PORT" || { show_log "$WORK/upstream.out"; show_log "$WORK/upstream.err"; die "upstream nginx failed to start"; }

ACTIVE=()
for s in $SERVERS; do
  case $s in
    nginx)
      start_server nginx "$WORK/nginx.out" nginx -p "$WORK" -e "$WORK/nginx.err" -c "$WORK/nginx.conf" -g 'daemon off;'
      wait_listen "${SPID[nginx]}" "$NGINX_PORT" || { show_log "$WORK/nginx.out"; show_log "$WORK/nginx.err"; die "nginx failed to start"; }
      ACTIVE+=(nginx) ;;
    haproxy)
      start_server haproxy "$WORK/haproxy.out" haproxy -db -f "$WORK/haproxy.cfg"
      wait_listen "${SPID[haproxy]}" "$HAPROXY_PORT" || { show_log "$WORK/haproxy.out"; die "HAProxy failed to start"; }
      ACTIVE+=(haproxy) ;;
    certgate)
      # certgate is developed in parallel: skip it (loudly) rather than fail the comparison.
      if [[ ! -x "$CERTGATE" ]]; then
        log "certgate not built/failed to start: $CERTGATE does not exist (run 'make build'); skipping certgate"
        continue
      fi
      start_server certgate "$WORK/certgate.out" "$CERTGATE" serve --config "$WORK/certgate.yaml"
      if ! wait_listen "${SPID[certgate]}" "$CERTGATE_PORT"; then
        log "certgate not built/failed to start: no listener on port $CERTGATE_PORT; skipping certgate"
        show_log "$WORK/certgate.out"
        stop_group "${GROUP[certgate]}"
        continue
      fi
      ACTIVE+=(certgate) ;;
    *) die "unknown server '$s' in SERVERS" ;;
  esac
done
log "servers: upstream :$UP_PORT, $(for s in "${ACTIVE[@]}"; do printf '%s :%s (pid %s) ' "$s" "${PORT[$s]}" "${SPID[$s]}"; done)"

LG_COMMON=(--host 127.0.0.1 --sni localhost --cert "$WORK/client.pem" --key "$WORK/client.key"
           --cacert "$WORK/ca.pem" --json)

# ------------------------------------------------------------------------------------------ sanity checks
# One mTLS request through each server: 200, and the upstream saw the client subject.
SANE=()
for s in "${ACTIVE[@]}"; do
  hdr=$(curl -s -o /dev/null -D - --max-time 5 --cacert "$WORK/ca.pem" --cert "$WORK/client.pem" \
        --key "$WORK/client.key" --resolve "localhost:${PORT[$s]}:127.0.0.1" "https://localhost:${PORT[$s]}/" || true)
  status=$(printf '%s' "$hdr" | head -n1 | tr -d '\r')
  saw=$(printf '%s' "$hdr" | grep -i '^x-upstream-saw-subject:' | cut -d' ' -f2- | tr -d '\r' || true)
  noclient=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 --cacert "$WORK/ca.pem" \
        --resolve "localhost:${PORT[$s]}:127.0.0.1" "https://localhost:${PORT[$s]}/" 2>/dev/null || true)
  if [[ "$status" != *" 200"* ]]; then
    if [[ $s == certgate ]]; then
      log "certgate not built/failed to start: sanity request got '${status:-no response}'; skipping certgate"
      show_log "$WORK/certgate.out"
      stop_group "${GROUP[certgate]}"
      continue
    fi
    show_log "$WORK/$s.out"; [[ -f "$WORK/$s.err" ]] && show_log "$WORK/$s.err"
    die "$s: sanity request failed: '${status:-no response}'"
  fi
  log "$s: mTLS request -> '$status', upstream saw subject '$saw'; without a client certificate -> ${noclient:-000}"
  SANE+=("$s")
done
ACTIVE=("${SANE[@]}")
((${#ACTIVE[@]} > 0)) || die "no server to benchmark"
# keepalive_https: each server must reach the TLS upstream (verified against the bench CA) before it is measured.
if [[ " $SCENARIOS " == *" keepalive_https "* ]]; then
  for s in "${ACTIVE[@]}"; do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 --cacert "$WORK/ca.pem" --cert "$WORK/client.pem" \
          --key "$WORK/client.key" --resolve "localhost:${PORT[$s]}:127.0.0.1" \
          "https://localhost:${PORT[$s]}/tls-upstream/" || true)
    [[ $code == 200 ]] || { show_log "$WORK/$s.out"; [[ -f "$WORK/$s.err" ]] && show_log "$WORK/$s.err"
                            die "$s: request through the https:// upstream got '${code:-000}'"; }
    log "$s: mTLS request through the https:// upstream -> $code"
  done
fi

# ------------------------------------------------------------------------------------------- crypto floor
# Measured before every scenario and at the end (the VM's speed drifts by several % over minutes); the
# report uses the median and shows the range.
FLOORS=$WORK/crypto_floor.jsonl
: > "$FLOORS"
measure_floor() { "$LOADGEN" --crypto-floor --json >> "$FLOORS" || die "crypto floor measurement failed"; }
log "crypto floor"
"$LOADGEN" --crypto-floor | sed 's/^/    /' >&2

# ------------------------------------------------------------------------------------------------- runs
RUNS=$WORK/runs.jsonl
: > "$RUNS"

# run_one SCENARIO SERVER ROUND
run_one() {
  local sc=$1 s=$2 r=$3 args=(--path /)
  case $sc in
    full13)    args+=(--tls 1.3 --connections "$HS_CONNS" --threads "$HS_CONNS" --requests-per-conn 1) ;;
    resume13)  args+=(--tls 1.3 --connections "$HS_CONNS" --threads "$HS_CONNS" --requests-per-conn 1 --resume) ;;
    full12)    args+=(--tls 1.2 --connections "$HS_CONNS" --threads "$HS_CONNS" --requests-per-conn 1) ;;
    keepalive) args+=(--tls 1.3 --connections "$KA_CONNS" --threads "$KA_THREADS" --requests-per-conn 0) ;;
    # The same through each server's https:// upstream (nginx: proxy_pass https:// with proxy_ssl_verify).
    keepalive_https) args=(--path /tls-upstream/ --tls 1.3 --connections "$KA_CONNS" --threads "$KA_THREADS"
                           --requests-per-conn 0) ;;
    idle)      args+=(--tls 1.3 --idle "$IDLE_CONNS" --connections 64 --threads 2 --duration "$IDLE_HOLD") ;;
    *) die "unknown scenario $sc" ;;
  esac
  [[ $sc == idle ]] || args+=(--duration "$DURATION" --warmup "$WARMUP")
  # shellcheck disable=SC2206 # LOADGEN_ARGS is a word list on purpose (experiments, e.g. "--no-tickets")
  args+=(${LOADGEN_ARGS:-})
  local out other attempt
  for attempt in 1 2 3 4; do
    if ! out=$("$LOADGEN" "${LG_COMMON[@]}" --port "${PORT[$s]}" --server-pid "${SPID[$s]}" \
                 --upstream-pid "${SPID[upstream]}" --label "$sc $s $r" "${args[@]}" 2> "$WORK/loadgen.err"); then
      cat "$WORK/loadgen.err" >&2
      die "loadgen failed ($sc $s round $r)"
    fi
    kill -0 "${SPID[$s]}" 2>/dev/null || { show_log "$WORK/$s.out"; die "$s died during $sc"; }
    # With WAIT_QUIET, a run during which other processes used the CPU is repeated once it is quiet again.
    other=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get("machine", {}).get("other_cores", 0))' "$out")
    if [[ -z "${WAIT_QUIET:-}" || $attempt -eq 4 ]] || ! awk -v o="$other" 'BEGIN { exit !(o > 0.25) }'; then
      break
    fi
    log "  $sc $s round $r: other processes used $other cores, waiting for quiet to repeat it"
    wait_quiet 300
  done
  printf '%s\n' "$out" >> "$RUNS"
  python3 - "$out" <<'EOF' >&2
import json, sys
j = json.loads(sys.argv[1])
sc, srv, rnd = j["label"].split()
s = j.get("server", {})
if j["mode"] == "idle":
    i = j["idle"]
    print(f"    {sc:9s} {srv:8s} r{rnd}: {i['established']}/{i['target']} held, rss {i['rss_before_kb']/1024:.1f}"
          f" -> {i['rss_held_kb']/1024:.1f} MiB ({i['rss_per_conn_kb']:.1f} KiB/conn), open {i['open_s']:.1f} s,"
          f" {i['server_cpu_per_handshake_us']:.0f} us/handshake, errors {j['errors_total']}")
else:
    hs = not sc.startswith("keepalive")
    per = s.get("cpu_per_handshake_us" if hs else "cpu_per_request_us", 0)
    rate = j["handshakes_per_s"] if hs else j["requests_per_s"]
    lat = j["latency_us"]["request"]
    print(f"    {sc:9s} {srv:8s} r{rnd}: {per:7.1f} us/{'handshake' if hs else 'request  '}"
          f" {rate:9.0f}/s  server {s.get('cores', 0):.2f} cores  client {j['client']['cores']:.2f} cores"
          f"  upstream {j.get('upstream', {}).get('cores', 0):.2f} cores"
          f"  other {j.get('machine', {}).get('other_cores', 0):.2f} cores"
          f"  p50 {lat['p50']:.0f} p99 {lat['p99']:.0f} us  resumed {j['resumed']}  errors {j['errors_total']}")
EOF
}

for sc in $SCENARIOS; do
  rounds=$ROUNDS
  [[ $sc == idle ]] && rounds=1  # memory is not noisy; opening 10k connections is the slow part
  measure_floor
  log "scenario $sc: ${rounds} round(s) over ${ACTIVE[*]}"
  for r in $(seq "$rounds"); do
    for s in "${ACTIVE[@]}"; do run_one "$sc" "$s" "$r"; done
  done
done

measure_floor
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
log "load average at end: $LOAD_END"

# ------------------------------------------------------------------------------------------------ report
REPORT_ARGS=(--runs "$RUNS" --floor "$FLOORS" --workers "$WORKERS" --rounds "$ROUNDS"
  --duration "$DURATION" --warmup "$WARMUP" --hs-conns "$HS_CONNS" --ka-conns "$KA_CONNS" --ka-threads "$KA_THREADS"
  --idle-conns "$IDLE_CONNS" --idle-hold "$IDLE_HOLD" --load-start "$LOAD_START" --load-end "$LOAD_END"
  --elapsed "$(($(date +%s) - T_START - WAITED))")
if [[ -z "${NO_WRITE:-}" ]]; then
  REPORT_ARGS+=(--out "$RESULTS/latest.md" --docs "$ROOT/docs/performance.md")
fi
python3 "$ROOT/bench/report.py" "${REPORT_ARGS[@]}"
log "done in $(($(date +%s) - T_START)) s (of which ${WAITED} s waiting for a quiet machine)${NO_WRITE:+ (NO_WRITE: results not written)}"
