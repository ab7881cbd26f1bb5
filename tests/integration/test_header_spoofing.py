"""Header spoofing through look-alike names (issue 12): CGI, WSGI, Rack and PHP upstreams read '_' as '-',
so `X_Client_Cert_Verify: SUCCESS` is HTTP_X_CLIENT_CERT_VERIFY to them. Every request here is raw bytes
over TLS to a real certgate, and the upstream is Python's stock wsgiref server answering its environ.

Gateways (one per `headers_with_underscores` value), each with two routes to the WSGI app:
  public.test  mtls off
  opt.test     mtls optional (the client sends no certificate)
and `trusted_proxies: [127.0.0.1]` on a third gateway for the Forwarded / X-Real-IP rules.
"""

from __future__ import annotations

import json

import pytest

from harness.checks import assert_log, token
from harness.configs import gateway_config, route
from harness.raw_http import exchange
from harness.wsgi import WsgiEnvironUpstream

# Every header name the gateway owns or manages.
OWNED = [
    "X-Client-Cert-Verify", "X-Client-Cert-Subject-DN", "X-Client-Cert-Issuer-DN", "X-Client-Cert-Serial",
    "X-Client-Cert-Fingerprint", "X-Client-Cert-SAN", "X-Client-Cert-Not-After", "X-Client-Cert",
    "Ssl-Client-Cert", "X-Consumer-ID", "X-Consumer-Username", "X-Consumer-Custom-ID", "X-Consumer-Groups",
    "X-Credential-Identifier", "X-Anonymous-Consumer", "Cf-Client-Cert-Der-Base64", "Cf-Client-Cert-Sha256",
    "X-Forwarded-Client-Cert", "X-Certgate-Jwt-Assertion", "X-Forwarded-For", "X-Forwarded-Proto",
    "X-Forwarded-Host", "X-Real-IP",
]
ROUTES = [("public.test", None), ("opt.test", "NONE")]  # host, expected HTTP_X_CLIENT_CERT_VERIFY


def underscore_variants(name: str) -> list[str]:
    """All dashes as '_', each single dash as '_', and a lower-case all-underscore spelling."""
    parts = name.split("-")
    out = ["_".join(parts), "_".join(parts).lower()]
    for i in range(1, len(parts)):
        out.append("-".join(parts[:i]) + "_" + "-".join(parts[i:]))
    return list(dict.fromkeys(out))


def env_var(name: str) -> str:
    return "HTTP_" + name.replace("-", "_").upper()


@pytest.fixture(scope="module")
def wsgi():
    up = WsgiEnvironUpstream().start()
    yield up
    up.stop()


def _config(std, up, mode=None, **extra):
    cfg = gateway_config(std, [route("https://public.test", up.url, mtls={"mode": "off"}),
                               route("https://opt.test", up.url, mtls={"mode": "optional"})])
    if mode:
        cfg["headers_with_underscores"] = mode
    cfg.update(extra)
    return cfg


@pytest.fixture(scope="module")
def gw_drop(module_gateway, std_pki, wsgi):
    return module_gateway(_config(std_pki, wsgi))  # drop is the default


@pytest.fixture(scope="module")
def gw_allow(module_gateway, std_pki, wsgi):
    return module_gateway(_config(std_pki, wsgi, "allow"))


@pytest.fixture(scope="module")
def gw_reject(module_gateway, std_pki, wsgi):
    return module_gateway(_config(std_pki, wsgi, "reject"))


@pytest.fixture(scope="module")
def gw_trusted(module_gateway, std_pki, wsgi):
    return module_gateway(_config(std_pki, wsgi, "allow", trusted_proxies=["127.0.0.1"]))


def raw_get(gw, std, host, path, headers):
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}"] + [f"{k}: {v}" for k, v in headers] + ["Connection: close"]
    data = ("\r\n".join(lines) + "\r\n\r\n").encode()
    r, _, port = exchange(gw.port, host, data, cacert=std.server_ca.cert_path)
    assert r is not None, "the gateway closed the connection without a response"
    return r, port


def environ_of(r) -> dict:
    assert r.status == 200, r
    return json.loads(r.body)


def assert_no_spoof(env: dict, host: str, verify):
    spoofed = {k: v for k, v in env.items() if "spoof" in v}
    assert spoofed == {}, f"client values reached the WSGI app: {spoofed}"
    assert env.get("HTTP_X_CLIENT_CERT_VERIFY") == verify, env.get("HTTP_X_CLIENT_CERT_VERIFY")
    assert env.get("HTTP_X_FORWARDED_FOR") == "127.0.0.1", env.get("HTTP_X_FORWARDED_FOR")
    assert env.get("HTTP_X_FORWARDED_PROTO") == "https"
    assert env.get("HTTP_X_FORWARDED_HOST") == host
    assert env.get("HTTP_X_REAL_IP") == "127.0.0.1"
    for name in OWNED:  # nothing else of the gateway's appears on a request without a certificate
        if name not in ("X-Client-Cert-Verify", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host",
                        "X-Real-IP"):
            assert env_var(name) not in env, (name, env.get(env_var(name)))


@pytest.mark.parametrize("mode", ["drop", "allow"])
@pytest.mark.parametrize("host,verify", ROUTES)
@pytest.mark.parametrize("name", OWNED)
def test_no_underscore_variant_reaches_the_wsgi_app(request, mode, host, verify, name, std_pki):
    gw = request.getfixturevalue(f"gw_{mode}")
    variants = underscore_variants(name)
    headers = [(v, f"spoof-{i}") for i, v in enumerate(variants)]
    tok = token()
    r, port = raw_get(gw, std_pki, host, f"/s/{tok}", headers)
    assert_no_spoof(environ_of(r), host, verify)
    e = gw.log_for_client_port(port)
    assert_log(e, status=200, reason="allowed", host=host, path=f"/s/{tok}")


@pytest.mark.parametrize("host,verify", ROUTES)
def test_every_variant_at_once(gw_allow, std_pki, host, verify):
    headers = [(v, f"spoof-{n}-{i}") for n in OWNED for i, v in enumerate(underscore_variants(n))]
    assert len(headers) > 60
    for start in range(0, len(headers), 90):  # limits.max_headers is 100
        r, _ = raw_get(gw_allow, std_pki, host, f"/all/{token()}", headers[start:start + 90])
        assert_no_spoof(environ_of(r), host, verify)


def test_drop_removes_every_underscore_name_allow_keeps_ordinary_ones(gw_drop, gw_allow, std_pki):
    headers = [("X_App_Token", "t1"), ("X-App-Other", "t2")]
    env = environ_of(raw_get(gw_drop, std_pki, "public.test", "/", headers)[0])
    assert "HTTP_X_APP_TOKEN" not in env
    assert env.get("HTTP_X_APP_OTHER") == "t2"
    env = environ_of(raw_get(gw_allow, std_pki, "public.test", "/", headers)[0])
    assert env.get("HTTP_X_APP_TOKEN") == "t1"
    assert env.get("HTTP_X_APP_OTHER") == "t2"


@pytest.mark.parametrize("host", ["public.test", "opt.test"])
@pytest.mark.parametrize("name", ["X_App_Token", "X_Client_Cert_Verify"])
def test_reject_answers_400(gw_reject, std_pki, host, name):
    tok = token()
    r, port = raw_get(gw_reject, std_pki, host, f"/r/{tok}", [(name, "spoof")])
    assert r.status == 400, r
    assert r.json() == {"message": "Bad Request", "request_id": r.header("X-Request-Id")}
    assert "underscore" not in r.text and name not in r.text
    assert_log(gw_reject.log_for_client_port(port), status=400, reason="bad_request", path=f"/r/{tok}")
    assert "detail=\"a header name with '_'\"" in gw_reject.stderr_text()


def test_reject_passes_requests_without_underscores(gw_reject, std_pki):
    env = environ_of(raw_get(gw_reject, std_pki, "opt.test", "/", [("X-App-Other", "t2")])[0])
    assert env.get("HTTP_X_APP_OTHER") == "t2"


# --- X-Real-IP and Forwarded ------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["drop", "allow"])
def test_client_address_headers_are_replaced(request, mode, std_pki):
    gw = request.getfixturevalue(f"gw_{mode}")
    headers = [("X-Real-IP", "spoof-1"), ("x-real-ip", "spoof-2"), ("Forwarded", "for=spoof"),
               ("forwarded", "for=spoof-2")]
    env = environ_of(raw_get(gw, std_pki, "opt.test", "/", headers)[0])
    assert env.get("HTTP_X_REAL_IP") == "127.0.0.1"
    assert "HTTP_FORWARDED" not in env


def test_trusted_proxy_keeps_its_client_address_headers(gw_trusted, std_pki):
    headers = [("X-Real-IP", "203.0.113.9"), ("Forwarded", "for=203.0.113.9"), ("X_Real_IP", "spoof")]
    env = environ_of(raw_get(gw_trusted, std_pki, "opt.test", "/", headers)[0])
    assert env.get("HTTP_X_REAL_IP") == "203.0.113.9"
    assert env.get("HTTP_FORWARDED") == "for=203.0.113.9"
    env = environ_of(raw_get(gw_trusted, std_pki, "opt.test", "/", [])[0])
    assert env.get("HTTP_X_REAL_IP") == "127.0.0.1"  # none sent: the peer's address
