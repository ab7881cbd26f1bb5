"""https:// upstreams: TLS from certgate to a real nginx (Debian's nginx-light), verified against a test CA,
with the upstream's name checked, upstream mTLS, and session resumption towards the upstream.

The upstream's certificate is issued by its own CA ("upstream-ca") for upstream.test; certgate connects to
127.0.0.1 and checks the name given by tls_upstream_server_name.
"""

from __future__ import annotations

import pytest

from harness.checks import token
from harness.clients import curl
from harness.configs import gateway_config, route
from harness.gateway import free_port, validate_config, write_config
from harness.nginx import Nginx, available
from harness.yamlgen import line_of

BODY = "dn=$ssl_client_s_dn reused=$ssl_session_reused host=$host uri=$request_uri"


@pytest.fixture(autouse=True)
def nginx_is_installed():
    assert available(), "nginx is not installed: run scripts/install-deps.sh"


@pytest.fixture(scope="module")
def upstream_pki(std_pki):
    ca = std_pki.pki.root_ca("upstream-ca")
    cert = std_pki.pki.server_cert(ca, "upstream", hosts=["upstream.test"])
    return ca, cert


@pytest.fixture(scope="module")
def tls_nginx(upstream_pki):
    ng = Nginx(upstream_pki[1], BODY, keepalive_requests=1).start()  # a new connection per request
    yield ng
    ng.stop()


@pytest.fixture(scope="module")
def mtls_nginx(upstream_pki, std_pki):
    ng = Nginx(upstream_pki[1], BODY, client_ca=std_pki.ca1).start()
    yield ng
    ng.stop()


def _https_route(frm, port, **tls):
    r = route(frm, f"https://127.0.0.1:{port}/base", mtls={"mode": "off"})
    r.update(tls)
    return r


@pytest.fixture(scope="module")
def gw(module_gateway, std_pki, upstream_pki, tls_nginx, mtls_nginx):
    ca_file = str(upstream_pki[0].cert_path)
    alice = std_pki["alice"]
    routes = [
        _https_route("https://app.test", tls_nginx.port, tls_custom_ca_file=ca_file,
                     tls_upstream_server_name="upstream.test"),
        _https_route("https://public.test", tls_nginx.port, tls_upstream_server_name="upstream.test"),
        _https_route("https://base.test", tls_nginx.port, tls_custom_ca_file=ca_file,
                     tls_upstream_server_name="wrong.test"),
        _https_route("https://keep.test", tls_nginx.port, tls_skip_verify=True),
        _https_route("https://req.test", mtls_nginx.port, tls_custom_ca_file=ca_file,
                     tls_upstream_server_name="upstream.test"),
        _https_route("https://proxy.test", mtls_nginx.port, tls_custom_ca_file=ca_file,
                     tls_upstream_server_name="upstream.test", tls_client_cert_file=str(alice.cert_path),
                     tls_client_key_file=str(alice.key_path)),
    ]
    return module_gateway(gateway_config(std_pki, routes))


def _get(gw, std, host, path="/x"):
    return curl(host, gw.port, path, cacert=std.server_ca.cert_path)


def test_verified_upstream_with_custom_ca(gw, std_pki):
    t = token()
    r = _get(gw, std_pki, "app.test", f"/p/{t}")
    assert r.status == 200, r
    assert f"uri=/base/p/{t}" in r.text
    e = gw.wait_for_log(lambda e: t in str(e.get("path")))
    assert e["status"] == 200 and e["reason"] == "allowed"


def test_sessions_to_the_upstream_are_resumed(gw, std_pki):
    # nginx closes after each request (keepalive_requests 1): every request opens a new TLS connection,
    # and the second one offers the session the first one got.
    bodies = [_get(gw, std_pki, "app.test", f"/r/{i}").text for i in range(3)]
    assert all("reused=" in b for b in bodies), bodies
    assert "reused=r" in bodies[-1], bodies


def test_system_trust_store_does_not_know_the_test_ca(gw, std_pki):
    t = token()
    r = _get(gw, std_pki, "public.test", f"/{t}")
    assert r.status == 502, r
    e = gw.wait_for_log(lambda e: t in str(e.get("path")))
    assert e["reason"] == "upstream_tls_failed"
    assert "reason=upstream_tls_failed" in gw.stderr_text()
    assert "upstream_tls_failed" not in r.text, "a reason reached the client"


def test_wrong_upstream_server_name_is_refused(gw, std_pki):
    t = token()
    r = _get(gw, std_pki, "base.test", f"/{t}")
    assert r.status == 502, r
    assert gw.wait_for_log(lambda e: t in str(e.get("path")))["reason"] == "upstream_tls_failed"
    assert "name=wrong.test" in gw.stderr_text()


def test_skip_verify_only_when_written_and_warned(gw, std_pki):
    assert _get(gw, std_pki, "keep.test").status == 200
    assert "does not verify its upstream's certificate (tls_skip_verify)" in gw.stderr_text()


def test_upstream_that_requires_a_client_certificate(gw, std_pki):
    without = _get(gw, std_pki, "req.test")
    assert without.status == 400, without  # nginx: "No required SSL certificate was sent"
    r = _get(gw, std_pki, "proxy.test")
    assert r.status == 200, r
    assert "CN=alice," in r.text, r.text


@pytest.mark.parametrize("case", ["key_mismatch", "ca_without_ca", "keys_on_http", "cert_without_key"])
def test_bad_upstream_tls_config_is_refused_with_file_line(certgate_bin, std_pki, upstream_pki, case):
    alice, bob = std_pki["alice"], std_pki["bob"]
    extra = {
        "key_mismatch": {"tls_client_cert_file": str(alice.cert_path), "tls_client_key_file": str(bob.key_path)},
        "ca_without_ca": {"tls_custom_ca_file": str(upstream_pki[1].cert_path)},
        "keys_on_http": {"tls_custom_ca_file": str(upstream_pki[0].cert_path)},
        "cert_without_key": {"tls_client_cert_file": str(alice.cert_path)},
    }[case]
    scheme = "http" if case == "keys_on_http" else "https"
    r = route("https://app.test", f"{scheme}://127.0.0.1:9", mtls={"mode": "off"})
    r.update(extra)
    cfg = gateway_config(std_pki, [r])
    path = write_config(std_pki.dir, cfg, name=f"bad-upstream-tls-{case}.yaml", ports=[free_port()])
    code, _, err = validate_config(certgate_bin, path)
    assert code == 1, err
    text = path.read_text()
    needle = next(iter(extra)) if case == "keys_on_http" else 'from: "https://app.test"'
    assert f"{path}:{line_of(text, needle)}:" in err, (err, text)
