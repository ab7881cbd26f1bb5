#!/usr/bin/env bash
# Installs the Debian packages certgate needs to build, test and demo.
# Idempotent: does nothing (and prints nothing) when everything is present.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config clang-format
  libssl-dev openssl
  libboost1.81-all-dev
  libyaml-cpp-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libre2-dev libmimalloc-dev
  libsystemd-dev  # sd_notify: READY/RELOADING/STOPPING for Type=notify
  systemd        # tests: systemd-analyze verify on packaging/certgate.service
  curl python3 python3-pytest python3-cryptography python3-jwt python3-websockets
  help2man     # the man page is generated from --help
  nginx-light  # tests: X-Client-Cert is compared with a real nginx's $ssl_client_escaped_cert
  golang-cfssl mkcert  # tests: docs/interop.md's recipes run with the real tools
  prometheus   # tests: promtool checks /metrics, and a real Prometheus server scrapes it
  chromium     # tests: headless Chromium renders the refusal pages and the admin status page
)
# Optional extra groups: `install-deps.sh bench` adds the peers the benchmark compares against, and
# valgrind for bench/instructions.sh.
if [[ "${1:-}" == "bench" ]]; then
  packages+=(haproxy valgrind)
fi
# `install-deps.sh deep` (make test-deep) adds clang for the libFuzzer targets in fuzz/.
if [[ "${1:-}" == "deep" ]]; then
  packages+=(clang-14 libclang-rt-14-dev)
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "install-deps: installing ${missing[*]}"
SUDO=""
[[ $(id -u) -eq 0 ]] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
