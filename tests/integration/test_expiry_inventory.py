"""Expiry alerts and the client-certificate inventory (docs/operations.md).

A CA that expires in 20 days gives exactly one `certificate_expiry` warning (threshold 30) at start and one
webhook POST with the same JSON to a receiver on loopback; a reload scans again without repeating it, and a
second CA that expires in 10 days then alerts with threshold 14. A receiver that fails first gets the alert
again after the backoff; an https receiver gets it when `webhook_ca_file` trusts its certificate. `certgate clients` (through the admin API) lists the client certificates used with
their counts, and `--expiring-within 30d` only the one that expires in 20 days; against a stub admin API it sends the path, query and bearer token of the contract and
prints the answer as a table or as JSON.
"""

from __future__ import annotations

import datetime as _dt
import json
import signal
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Optional

import pytest

from harness.clients import curl
from harness.gateway import Gateway, run_certgate, validate_config
from harness.pki import PKI, utcnow

WAIT = 30.0  # seconds; generous for a loaded 2-core machine and ASan


class WebhookReceiver:
    """A loopback HTTP server that records POST bodies; answers 503 to the first `fail_first` of them."""

    def __init__(self, fail_first: int = 0, tls: Optional[tuple[Path, Path]] = None):
        self.bodies: list[dict] = []
        self.attempts = 0
        self.fail_first = fail_first
        self.cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.cond:
                    receiver.attempts += 1
                    failing = receiver.attempts <= receiver.fail_first
                    if not failing:
                        receiver.bodies.append({"json": json.loads(body), "content_type":
                                                self.headers.get("Content-Type"), "path": self.path})
                    receiver.cond.notify_all()
                self.send_response(503 if failing else 204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.scheme = "http"
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(str(tls[0]), str(tls[1]))
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            self.scheme = "https"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.server.server_address[1]}/hooks/certgate"

    def start(self) -> "WebhookReceiver":
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, count: int, timeout: float = WAIT) -> list[dict]:
        with self.cond:
            self.cond.wait_for(lambda: len(self.bodies) >= count, timeout)
            return list(self.bodies)


@pytest.fixture
def receiver():
    r = WebhookReceiver().start()
    yield r
    r.stop()


@pytest.fixture
def flaky_receiver():
    r = WebhookReceiver(fail_first=1).start()
    yield r
    r.stop()


@pytest.fixture
def pki(tmp_path) -> PKI:
    p = PKI(tmp_path / "pki")
    now = utcnow()
    server_ca = p.root_ca("server-ca")
    p.server_cert(server_ca, "server", hosts=["app.test", "other.test"])
    p.root_ca("soon-ca", cn="Soon CA", not_after=now + _dt.timedelta(days=20))
    p.root_ca("sooner-ca", cn="Sooner CA", not_after=now + _dt.timedelta(days=10))
    return p


def config_text(pki: PKI, webhook_url: str, *, extra_route: bool = False, admin: str = "",
                webhook_ca: str = "") -> str:
    text = f"""workers: 2
listeners:
  - address: 127.0.0.1:${{PORT0}}
    certificates:
      - cert_file: server.pem
        key_file: server.key
client_ca_file: soon-ca.pem
alerts:
  webhook_url: {webhook_url}
  webhook_timeout: 5s
"""
    if webhook_ca:
        text += f"  webhook_ca_file: {webhook_ca}\n"
    text += """routes:
  - from: https://app.test
    to: echo://
"""
    if extra_route:
        text += """  - from: https://other.test
    to: echo://
    mtls: {ca_file: sooner-ca.pem}
"""
    return text + admin


def expiry_lines(gw: Gateway) -> list[dict]:
    out = []
    for line in gw.stderr_text().splitlines():
        if '"event":"certificate_expiry"' in line:
            assert "[warning]" in line, line
            out.append(json.loads(line[line.index("{"):]))
    return out


def wait_until(predicate, timeout: float = WAIT, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def start_gateway(certgate_bin, tmp_path, pki, text) -> Gateway:
    gw = Gateway(certgate_bin, tmp_path / "gw", text, config_dir=pki.dir).start()
    # The port accepts once it listens; the start-up scan's lines come before the "listening" line.
    wait_until(lambda: "listening on" in gw.stderr_text(), what="the listening line")
    return gw


def test_ca_expiring_in_20_days_alerts_once_in_the_log_and_by_webhook(certgate_bin, tmp_path, pki, receiver):
    gw = start_gateway(certgate_bin, tmp_path, pki, config_text(pki, receiver.url))
    try:
        # The start-up scan runs before the workers start, so its lines precede the "listening" line.
        lines = expiry_lines(gw)
        assert len(lines) == 1, gw.stderr_text()
        alert = lines[0]
        soon = pki.certs["soon-ca"]
        assert alert["event"] == "certificate_expiry"
        assert alert["kind"] == "ca"
        assert alert["subject"] == soon.subject_rfc2253
        assert alert["threshold"] == 30
        assert alert["days_left"] in (19, 20)
        assert alert["not_after"] == soon.not_after_rfc3339
        assert alert["fingerprint"] == soon.fingerprint_sha256
        assert alert["source"].endswith("soon-ca.pem")

        posts = receiver.wait_for(1)
        assert len(posts) == 1
        assert posts[0]["json"] == alert
        assert posts[0]["content_type"] == "application/json"
        assert posts[0]["path"] == "/hooks/certgate"

        # A client certificate in use goes into the inventory (merged on a worker's tick) and into the next
        # scan; it expires in a year, so it adds no alert.
        client = pki.leaf(soon, "device", cn="device")
        r = curl("app.test", gw.port, "/", cacert=pki.certs["server-ca"].cert_path, cert=client.cert_path,
                 key=client.key_path)
        assert r.status == 200

        # A reload scans again: the 20-day CA does not repeat (once per day); the new 10-day CA alerts at 14.
        gw.config_path.write_text(config_text(pki, receiver.url, extra_route=True).replace(
            "${PORT0}", str(gw.port)))
        gw.signal(signal.SIGHUP)
        wait_until(lambda: "reload done" in gw.stderr_text(), what="the reload")
        posts = receiver.wait_for(2)
        lines = expiry_lines(gw)
        assert [(a["subject"], a["threshold"]) for a in lines] == [
            (soon.subject_rfc2253, 30), (pki.certs["sooner-ca"].subject_rfc2253, 14)]
        assert [p["json"] for p in posts] == lines
        assert gw.stop() == 0
        assert len(receiver.bodies) == 2
    finally:
        gw.stop()


def test_webhook_retries_after_a_failure(certgate_bin, tmp_path, pki, flaky_receiver):
    gw = start_gateway(certgate_bin, tmp_path, pki, config_text(pki, flaky_receiver.url))
    try:
        posts = flaky_receiver.wait_for(1)
        assert len(posts) == 1
        assert flaky_receiver.attempts == 2
        assert posts[0]["json"]["subject"] == pki.certs["soon-ca"].subject_rfc2253
        assert "failed (attempt 1 of 8): HTTP 503; retrying in 1 s" in gw.stderr_text()
    finally:
        gw.stop()


def test_https_webhook_verified_against_webhook_ca_file(certgate_bin, tmp_path, pki):
    server = pki.certs["server"]
    r = WebhookReceiver(tls=(server.cert_path, server.key_path)).start()
    try:
        gw = start_gateway(certgate_bin, tmp_path, pki, config_text(pki, r.url, webhook_ca="server-ca.pem"))
        try:
            posts = r.wait_for(1)
            assert [p["json"]["subject"] for p in posts] == [pki.certs["soon-ca"].subject_rfc2253]
        finally:
            gw.stop()
    finally:
        r.stop()


def test_https_webhook_with_an_untrusted_certificate_is_retried(certgate_bin, tmp_path, pki):
    server = pki.certs["server"]
    r = WebhookReceiver(tls=(server.cert_path, server.key_path)).start()
    try:
        gw = start_gateway(certgate_bin, tmp_path, pki, config_text(pki, r.url))  # system CAs only
        try:
            wait_until(lambda: "failed (attempt 1 of 8): TLS: " in gw.stderr_text(), what="the TLS failure")
            assert r.bodies == []
        finally:
            gw.stop()
    finally:
        r.stop()


def test_config_errors_name_the_line(certgate_bin, tmp_path, pki):
    path = pki.dir / "bad.yaml"
    path.write_text(config_text(pki, "ftp://127.0.0.1/x").replace("${PORT0}", "8443"))
    code, _, err = validate_config(certgate_bin, path)
    assert code == 1
    assert "bad.yaml:9: alerts.webhook_url must be an http:// or https:// URL" in err


# --- the inventory through `certgate clients` (needs the admin listener) ------------------------------

def test_clients_lists_certificates_with_counts_and_expiring_filter(certgate_bin, tmp_path, pki, receiver):
    now = utcnow()
    client_ca = pki.root_ca("client-ca", cn="Client CA")
    alice = pki.leaf(client_ca, "alice", cn="alice", not_after=now + _dt.timedelta(days=20))
    bob = pki.leaf(client_ca, "bob", cn="bob", days=300)
    (pki.dir / "admin.token").write_text("s3cret-admin-token\n")
    text = config_text(pki, receiver.url).replace("client_ca_file: soon-ca.pem", "client_ca_file: client-ca.pem")
    text += "admin:\n  address: 127.0.0.1:${PORT1}\n  token_file: admin.token\n"
    gw = start_gateway(certgate_bin, tmp_path, pki, text)
    try:
        for cert, n in ((alice, 3), (bob, 2)):
            for _ in range(n):
                r = curl("app.test", gw.port, "/", cacert=pki.certs["server-ca"].cert_path,
                         cert=cert.cert_path, key=cert.key_path)
                assert r.status == 200

        def listing(*extra):
            code, out, err = run_certgate(certgate_bin, ["clients", "--config", str(gw.config_path), "--json",
                                                         *extra])
            assert code == 0, err
            return json.loads(out)

        def counted():
            rows = {c["subject"]: c for c in listing()["clients"]}
            done = rows.get("CN=alice", {}).get("count") == 3 and rows.get("CN=bob", {}).get("count") == 2
            return rows if done else None

        rows = wait_until(counted, what="both clients in the inventory")  # merged on the workers' tick
        assert set(rows) == {"CN=alice", "CN=bob"}
        assert rows["CN=alice"]["fingerprint"] == alice.fingerprint_sha256
        assert rows["CN=alice"]["last_route"] == "https://app.test"
        assert rows["CN=alice"]["last_reason"] == "allowed"
        assert rows["CN=bob"]["serial"] == bob.serial_hex

        soon = listing("--expiring-within", "30d")["clients"]
        assert [c["subject"] for c in soon] == ["CN=alice"]
        code, out, err = run_certgate(certgate_bin, ["clients", "--config", str(gw.config_path),
                                                     "--expiring-within", "30d"])
        assert code == 0, err
        assert "CN=alice" in out and "CN=bob" not in out

        # Without the token the admin API refuses, and the command says so with exit code 1.
        code, _, err = run_certgate(certgate_bin, ["clients", "--admin", f"http://127.0.0.1:{gw.ports[1]}"])
        assert code == 1
        assert "HTTP 401" in err
    finally:
        gw.stop()


def test_clients_usage_errors(certgate_bin):
    code, _, err = run_certgate(certgate_bin, ["clients"])
    assert code == 2
    assert "no admin API" in err
    code, _, err = run_certgate(certgate_bin, ["clients", "--admin", "http://127.0.0.1:9", "--expiring-within",
                                               "soon"])
    assert code == 2
    code, _, err = run_certgate(certgate_bin, ["clients", "--admin", "http://127.0.0.1:9"])
    assert code == 1
    assert "cannot connect" in err


class StubAdminApi:
    """Stands in for the admin listener to check the command's side of the contract: the request it sends
    (path, query, bearer token) and how it prints the answer. The gateway's side is tested above."""

    ANSWER = {"max_entries": 100000, "size": 2, "clients": [
        {"fingerprint": "ab" * 32, "subject": "CN=alice", "issuer": "CN=Client CA", "serial": "0A",
         "not_after": "2027-01-01T00:00:00Z", "days_left": 20, "first_seen": "2026-12-01T10:00:00Z",
         "last_seen": "2026-12-01T10:05:00Z", "count": 3, "last_route": "https://app.test",
         "last_consumer": "alice", "last_reason": "allowed"}]}

    def __init__(self, token: str):
        self.paths: list[str] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                stub.paths.append(self.path)
                ok = self.headers.get("Authorization") == f"Bearer {token}"
                body = json.dumps(stub.ANSWER if ok else {"error": "unauthorized"}).encode()
                self.send_response(200 if ok else 401)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stub_admin():
    s = StubAdminApi("stub-token")
    yield s
    s.stop()


def test_clients_command_request_and_output(certgate_bin, tmp_path, stub_admin):
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets/admin.token").write_text("  stub-token\n")
    config = tmp_path / "certgate.yaml"  # only the admin block is read: the rest need not compile
    config.write_text(f"admin:\n  address: {stub_admin.address}\n  token_file: secrets/admin.token\n")

    code, out, err = run_certgate(certgate_bin, ["clients", "--config", str(config), "--expiring-within", "30d",
                                                 "--json"])
    assert code == 0, err
    assert json.loads(out) == StubAdminApi.ANSWER
    assert stub_admin.paths[-1] == "/clients?expiring_within=30d"

    code, out, err = run_certgate(certgate_bin, ["clients", "--config", str(config)])
    assert code == 0, err
    assert stub_admin.paths[-1] == "/clients"
    header, row, summary = out.splitlines()
    assert header.split()[:3] == ["SUBJECT", "ISSUER", "NOT"]
    assert row.startswith("CN=alice") and "https://app.test" in row and " 3 " in row
    assert summary == "1 of 2 certificate(s) shown (inventory bound 100000)"

    # --admin and --token-file win over the config; a wrong token is HTTP 401 and exit code 1.
    (tmp_path / "wrong.token").write_text("nope\n")
    code, _, err = run_certgate(certgate_bin, ["clients", "--config", str(config), "--token-file",
                                               str(tmp_path / "wrong.token")])
    assert code == 1
    assert "HTTP 401" in err
    code, _, err = run_certgate(certgate_bin, ["clients", "--admin", f"http://{stub_admin.address}",
                                               "--token-file", str(tmp_path / "secrets/admin.token")])
    assert code == 0, err
