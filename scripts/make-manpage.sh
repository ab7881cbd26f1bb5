#!/usr/bin/env bash
# Generates the certgate(1) man page from the binary's own --help texts with help2man, so the page never
# disagrees with the program. Usage: make-manpage.sh CERTGATE_BINARY OUTPUT.1
set -euo pipefail
bin=$1
out=$2
command -v help2man >/dev/null || { echo "make-manpage: help2man is missing (apt-get install help2man)" >&2; exit 1; }

include=$(mktemp)
trap 'rm -f "$include"' EXIT
{
  echo "[DESCRIPTION]"
  echo "certgate is a mutual-TLS access gateway: it terminates TLS, asks clients for an X.509 certificate,"
  echo "validates it against the route's trust bundle, revocation data and policy, maps it to an identity and"
  echo "proxies the request upstream with identity headers the upstream can trust."
  echo
  echo "[COMMANDS]"
  for sub in serve validate-config check pki clients; do
    echo ".SS \"certgate $sub\""
    echo ".nf"
    "$bin" "$sub" --help | sed -e 's/\\/\\\\/g' -e 's/^\./\\\&./'
    echo ".fi"
  done
  echo
  echo "[FILES]"
  echo "The configuration file is YAML; every key is described in docs/configuration.md of the source tree"
  echo "(installed under share/doc/certgate). An example is installed as etc/certgate/certgate.example.yaml."
  echo
  echo "[SIGNALS]"
  echo "SIGHUP reloads the configuration (a bad file keeps the running one); SIGTERM drains and exits."
} > "$include"

help2man --no-info --no-discard-stderr --name "mutual-TLS access gateway" --section 1 \
  --include "$include" --output "$out" "$bin"
