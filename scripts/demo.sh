#!/usr/bin/env bash
# `make demo`: creates a demo PKI and config in demo/ (once), then runs the gateway in the foreground.
# CERTGATE_DEMO_DIR, CERTGATE_DEMO_PORT and CERTGATE_DEMO_ADMIN_PORT override the directory, the port and
# the admin API's port (the test suite uses them).
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${CERTGATE_BIN:-build/certgate}
DIR=${CERTGATE_DEMO_DIR:-demo}
PORT=${CERTGATE_DEMO_PORT:-8443}
ADMIN_PORT=${CERTGATE_DEMO_ADMIN_PORT:-9901}

if [[ ! -d "$DIR" ]]; then
  echo "Creating the demo PKI in $DIR/ ..."
  mkdir -p "$DIR"
  "$BIN" pki init-ca "$DIR/ca" --name "certgate demo CA"
  # curl and browsers resolve *.localhost to 127.0.0.1; OpenSSL does not match a wildcard directly
  # under a single label, so the demo hosts are listed by name as well.
  "$BIN" pki issue server --ca "$DIR/ca" --dns localhost --dns echo.localhost --dns public.localhost \
    --dns '*.localhost' --ip 127.0.0.1 --out "$DIR/server"
  "$BIN" pki issue client --ca "$DIR/ca" --cn alice --email alice@example.com --out "$DIR/client"
  "$BIN" pki p12 --cert "$DIR/client.pem" --key "$DIR/client.key" --password changeit --out "$DIR/client.p12"
  "$BIN" pki p12 --cert "$DIR/client.pem" --key "$DIR/client.key" --password changeit --legacy \
    --out "$DIR/client-legacy.p12"
fi

if [[ ! -f "$DIR/admin.token" ]]; then
  # The admin API's bearer token: random, readable by the owner only.
  (umask 077 && openssl rand -hex 24 > "$DIR/admin.token")
fi

if [[ ! -f "$DIR/certgate.yaml" ]]; then
  cat > "$DIR/certgate.yaml" <<YAML
# The certgate demo: one listener, two hosts. See README.md for what each key means.
listeners:
  - address: 127.0.0.1:$PORT
    certificates:
      - cert_file: server.pem
        key_file: server.key
client_ca_file: ca/ca.pem
routes:
  # mTLS required: shows the identity headers certgate sends upstream.
  - from: https://echo.localhost
    to: echo://
    mtls:
      mode: required
  # mTLS off: no certificate is requested, so browsers do not prompt.
  - from: https://public.localhost
    to: echo://
    mtls:
      mode: off
# The admin API (metrics, status page, reload) on loopback, with the generated bearer token.
admin:
  address: 127.0.0.1:$ADMIN_PORT
  token_file: admin.token
YAML
fi

cat <<TEXT

certgate demo: https://echo.localhost:$PORT (mTLS required) and https://public.localhost:$PORT (mTLS off)

Try it from another terminal, in $(pwd):

  # with the client certificate: 200, and the echo shows the X-Client-Cert-* headers the upstream gets
  curl --cacert $DIR/ca/ca.pem --cert $DIR/client.pem --key $DIR/client.key https://echo.localhost:$PORT/hello

  # without it: 401 {"message":"No required TLS certificate was sent"}
  curl --cacert $DIR/ca/ca.pem https://echo.localhost:$PORT/hello

  # the public host: no certificate request at all (no browser prompt), 200
  curl --cacert $DIR/ca/ca.pem https://public.localhost:$PORT/hello

  # the admin API: Prometheus metrics with the bearer token (status page: http://127.0.0.1:$ADMIN_PORT/)
  curl -H "Authorization: Bearer \$(cat $DIR/admin.token)" http://127.0.0.1:$ADMIN_PORT/metrics

  # explain a decision without sending a request
  $BIN check --config $DIR/certgate.yaml --route https://echo.localhost/hello --cert $DIR/client.pem

In a browser: import $DIR/client.p12 (password: changeit) as a personal certificate
(Firefox: Settings > Privacy & Security > Certificates > View Certificates > Your Certificates > Import;
Chrome/Edge: Settings > Privacy and security > Security > Manage certificates > Import; macOS Keychain and
older Windows importers may need $DIR/client-legacy.p12), and trust $DIR/ca/ca.pem as a CA for websites
(or accept the warning). Then open https://echo.localhost:$PORT/ and pick "alice" when asked.

Stop with Ctrl-C.

TEXT
exec "$BIN" serve --config "$DIR/certgate.yaml"
