# Shell pieces shared by the benchmark scripts (bench/run.sh, bench/instructions.sh); source it.
# Needs T_START unset or set; defines log, die, the process bookkeeping and the bench PKI.

T_START=${T_START:-$(date +%s)}
log() { printf '[bench %4ss] %s\n' "$(($(date +%s) - T_START))" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------------------------------- processes
# Every server runs in its own session/process group (setsid), so stopping it also stops its workers.
# Each runs as `setsid timeout MAX_LIFETIME server…`: a server orphaned by a killed script still goes away
# after MAX_LIFETIME. SPID[name] is the server itself (the child of timeout), so that timeout's own memory
# and CPU are not counted; GROUP[name] is the group leader.
MAX_LIFETIME=${MAX_LIFETIME:-3600}
PIDS=()
declare -A SPID=() GROUP=()
stop_group() {
  local pid=$1
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$pid" 2>/dev/null || true
}
stop_server() { stop_group "${GROUP[$1]}"; }
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do stop_group "$pid"; done
  PIDS=()
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

# start_server NAME LOG CMD...: runs CMD in the background, records its pid.
start_server() {
  local name=$1 logf=$2; shift 2
  setsid timeout "$MAX_LIFETIME" "$@" > "$logf" 2>&1 < /dev/null &
  local pid=$! child=""
  PIDS+=("$pid")
  GROUP[$name]=$pid
  for _ in $(seq 100); do
    child=$(pgrep -P "$pid" | head -n1) && [[ -n "$child" ]] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.02
  done
  SPID[$name]=${child:-$pid}
}

# wait_listen PID PORT [TENTHS]: 0 once PORT listens, 1 if PID died or TENTHS/10 s (default 10 s) passed.
wait_listen() {
  local pid=$1 port=$2 tenths=${3:-100}
  for _ in $(seq "$tenths"); do
    kill -0 "$pid" 2>/dev/null || return 1
    [[ -n "$(ss -Hltn "sport = :$port" 2>/dev/null)" ]] && return 0
    sleep 0.1
  done
  return 1
}

# free_ports N: N free loopback TCP ports on one line.
free_ports() {
  python3 - "$1" <<'PY'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

# json_field JSON KEY: a top-level field of a loadgen --json summary.
json_field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

# certgate_config WORKERS PORT UPSTREAM_PORT DIR: the bench's certgate config (the PKI of make_bench_pki in
# DIR, one route to a plain-HTTP upstream); callers append routes or blocks.
certgate_config() {
  cat <<EOF
workers: $1
access_log: off
log_level: warn
listeners:
  - address: 127.0.0.1:$2
    certificates: [{cert_file: $4/server.pem, key_file: $4/server.key}]
client_ca_file: $4/ca.pem
mtls: { mode: required, max_verify_depth: 1 }
routes:
  - from: https://localhost
    to: http://127.0.0.1:$3
EOF
}

# admin_block BINARY PORT TOKEN_FILE: an `admin:` block when BINARY has the admin listener (so that its
# metrics are on), nothing for a binary from before it.
admin_block() {
  if "$1" --help 2>&1 | grep -q clients; then
    printf 'admin: { address: "127.0.0.1:%s", token_file: %s }\n' "$2" "$3"
  fi
}

# start_plain_upstream DIR PORT: an nginx on PORT answering every request with a small 200 (keep-alive).
start_plain_upstream() {
  local dir=$1 port=$2
  mkdir -p "$dir/tmp"
  cat > "$dir/upstream.conf" <<EOF
worker_processes 1;
pid $dir/upstream.pid;
error_log $dir/upstream.err warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $dir/tmp; proxy_temp_path $dir/tmp; fastcgi_temp_path $dir/tmp;
  uwsgi_temp_path $dir/tmp; scgi_temp_path $dir/tmp;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:$port; location / { return 200 "certgate bench upstream: hello\n"; } }
}
EOF
  start_server upstream "$dir/upstream.out" nginx -p "$dir" -e "$dir/upstream.err" -c "$dir/upstream.conf" \
    -g 'daemon off;'
  wait_listen "${SPID[upstream]}" "$port" || die "upstream nginx failed to start"
}

# ---------------------------------------------------------------------------------------------- PKI
# make_bench_pki DIR: ECDSA P-256 root (ca.pem), server (server.pem/.key, localhost), client
# (client.pem/.key), and server-haproxy.pem (certificate and key in one file).
make_bench_pki() (
  cd "$1"
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem \
    -days 30 -subj "/O=certgate bench/CN=certgate bench root CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
  # leaf NAME SUBJECT EXTENSION...: a P-256 key (NAME.key) and a certificate from the root (NAME.pem).
  leaf() {
    local name=$1 subject=$2
    shift 2
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$name.key" -out "$name.csr" \
      -subj "$subject"
    printf '%s\n' "$@" > "$name.ext"
    openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -sha256 \
      -extfile "$name.ext" -out "$name.pem"
  }
  leaf server "/O=certgate bench/CN=localhost" "basicConstraints=critical,CA:FALSE" \
    "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" \
    "subjectAltName=DNS:localhost,IP:127.0.0.1,DNS:bench.localhost"
  leaf client "/O=certgate bench/OU=load/CN=bench-client" "basicConstraints=critical,CA:FALSE" \
    "keyUsage=critical,digitalSignature" "extendedKeyUsage=clientAuth" \
    "subjectAltName=email:bench-client@example.com"
  cat server.pem server.key > server-haproxy.pem
  openssl verify -CAfile ca.pem server.pem client.pem
)
