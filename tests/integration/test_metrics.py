"""GET /metrics of the admin listener: the bearer token, the Prometheus text format (promtool), a real
Prometheus server scraping it, and the request counters by route, status class and reason after requests
with a valid, a missing, a revoked and a policy-denied certificate."""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest

from harness.admin import Prometheus, admin_request, metric, new_token, parse_metrics
from harness.clients import curl
from harness.configs import gateway_config, listener, route
from harness.revocation import Toolkit


@pytest.fixture(scope="module")
def tk(certgate_bin, std_pki):
    """A CA with alice (good), bob (revoked, in ca.crl) and carol (good, but not allowed on req.test)."""
    tk = Toolkit(certgate_bin, std_pki.dir / "metrics-pki")
    tk("init-ca", "ca", "--name", "Metrics CA")
    for name in ("alice", "bob", "carol"):
        tk("issue", "client", "--ca", "ca", "--cn", name, "--out", name)
    tk("revoke", "--ca", "ca", "--cert", "bob.pem", "--reason", "keyCompromise")
    tk("crl", "--ca", "ca", "--out", "ca.crl")
    return tk


@pytest.fixture(scope="module")
def token_file(std_pki):
    path = std_pki.dir / "metrics-admin.token"
    new_token(path)
    return path


@pytest.fixture(scope="module")
def gw(module_gateway, std_pki, tk, token_file):
    ca = str(tk.dir / "ca" / "ca.pem")
    crl = str(tk.dir / "ca.crl")
    cfg = gateway_config(std_pki, [
        route("https://app.test", "echo://", mtls={"mode": "required", "ca_file": ca, "crl_file": crl}),
        route("https://req.test", "echo://", mtls={"mode": "required", "ca_file": ca}),
    ], listeners=[listener(std_pki)], client_ca_file=None)
    cfg["routes"][1]["policy"] = [{"allow": {"common_name": {"in": ["alice"]}}}]
    cfg["admin"] = {"address": "127.0.0.1:${PORT1}", "token_file": token_file.name}
    return module_gateway(cfg)


def admin_port(gw) -> int:
    return gw.ports[1]


def token(token_file) -> str:
    return token_file.read_text().strip()


def get(gw, std, tk, host, name=None):
    cert = key = None
    if name:
        cert, key = tk.dir / f"{name}.pem", tk.dir / f"{name}.key"
    return curl(host, gw.port, "/", cacert=std.server_ca.cert_path, cert=cert, key=key)


def scrape(gw, token_file) -> dict:
    r = admin_request(admin_port(gw), "/metrics", token=token(token_file))
    assert r.status == 200, r
    return parse_metrics(r.text)


def test_metrics_need_the_token(gw, token_file):
    assert admin_request(admin_port(gw), "/metrics").status == 401
    assert admin_request(admin_port(gw), "/metrics", token="x" * 48).status == 401
    assert admin_request(admin_port(gw), "/metrics", headers={"Authorization": "Basic Zm9vOmJhcg=="}).status == 401
    r = admin_request(admin_port(gw), "/metrics", token=token(token_file))
    assert r.status == 200
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert "certgate_requests_total" in r.text


def test_counters_by_reason(gw, std_pki, tk, token_file):
    before = scrape(gw, token_file)
    assert get(gw, std_pki, tk, "app.test", "alice").status == 200
    assert get(gw, std_pki, tk, "app.test", "alice").status == 200
    assert get(gw, std_pki, tk, "app.test").status == 401
    assert get(gw, std_pki, tk, "app.test", "bob").status == 401
    assert get(gw, std_pki, tk, "req.test", "carol").status == 403
    assert get(gw, std_pki, tk, "req.test", "alice").status == 200
    # The access log line (and the count, written just before it) follows the response: wait for it.
    deadline = time.monotonic() + 30
    while True:
        after = scrape(gw, token_file)
        done = metric(after, "certgate_requests_total") - metric(before, "certgate_requests_total")
        if done >= 6 or time.monotonic() > deadline:
            break
        time.sleep(0.1)

    def delta(**labels):
        return (metric(after, "certgate_requests_total", **labels) -
                metric(before, "certgate_requests_total", **labels))

    assert delta(route="https://app.test", status_class="2xx", reason="allowed") == 2
    assert delta(route="https://app.test", status_class="4xx", reason="no_certificate") == 1
    assert delta(route="https://app.test", status_class="4xx", reason="revoked") == 1
    assert delta(route="https://req.test", status_class="4xx", reason="policy_denied") == 1
    assert delta(route="https://req.test", status_class="2xx", reason="allowed") == 1
    assert delta() == 6
    # Every request is in its route's duration histogram.
    assert (metric(after, "certgate_request_duration_seconds_count", route="https://app.test") -
            metric(before, "certgate_request_duration_seconds_count", route="https://app.test")) == 4
    assert metric(after, "certgate_revocation_checks_total", result="revoked") >= 1
    assert metric(after, "certgate_handshakes_total", result="ok") >= 6
    assert metric(after, "certgate_config_generation") == 1
    listeners = [ls for (n, ls) in after if n == "certgate_open_connections"]
    assert [dict(ls)["listener"] for ls in listeners] == [f"127.0.0.1:{gw.port}"]


def test_no_client_controlled_labels(gw, std_pki, tk, token_file):
    # An unknown host and odd paths must not become label values: they count under route="none".
    r = curl("nohost.test", gw.port, "/%22quote", cacert=std_pki.server_ca.cert_path, check=False)
    assert r.status == 404
    samples = scrape(gw, token_file)
    routes = {dict(ls).get("route") for (n, ls) in samples if n == "certgate_requests_total"}
    assert routes <= {"none", "https://app.test", "https://req.test"}
    assert metric(samples, "certgate_requests_total", route="none", reason="unknown_host") >= 1


def test_promtool_accepts_the_exposition(gw, std_pki, tk, token_file):
    assert shutil.which("promtool"), "promtool is not installed: run scripts/install-deps.sh (Debian: prometheus)"
    get(gw, std_pki, tk, "app.test", "alice")
    text = admin_request(admin_port(gw), "/metrics", token=token(token_file)).body
    r = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, timeout=60)
    assert r.returncode == 0, (r.stdout + r.stderr).decode()


def test_prometheus_scrapes_with_the_token(gw, std_pki, tk, token_file, tmp_path):
    assert shutil.which("prometheus"), "prometheus is not installed: run scripts/install-deps.sh"
    assert get(gw, std_pki, tk, "app.test", "alice").status == 200
    prom = Prometheus(tmp_path / "prometheus", admin_port(gw), token_file).start()
    try:
        query = 'sum(certgate_requests_total{route="https://app.test",reason="allowed"})'
        deadline = time.monotonic() + 120
        result = []
        while time.monotonic() < deadline:
            result = prom.query(query)
            if result and float(result[0]["value"][1]) >= 1:
                break
            time.sleep(0.5)
        assert result and float(result[0]["value"][1]) >= 1, prom.log.read_text(errors="replace")[-2000:]
        up = prom.query('up{job="certgate"}')
        assert up and up[0]["value"][1] == "1"
    finally:
        prom.stop()
