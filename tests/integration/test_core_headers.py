"""Headers to the upstream: identity headers, X-Forwarded-*, Host, spoofing, hop-by-hop, echo://."""

from __future__ import annotations

import pytest

from harness.checks import hvals, token, upstream_headers
from harness.clients import TLSClient, curl
from harness.configs import gateway_config, route

IDENTITY = ["X-Client-Cert-Verify", "X-Client-Cert-Subject-DN", "X-Client-Cert-Issuer-DN", "X-Client-Cert-Serial",
            "X-Client-Cert-Fingerprint", "X-Client-Cert-SAN", "X-Client-Cert-Not-After"]
PROTECTED = IDENTITY + [
    "X-Client-Cert", "X-Consumer-ID", "X-Consumer-Username", "X-Consumer-Custom-ID", "X-Consumer-Groups",
    "X-Credential-Identifier", "X-Anonymous-Consumer", "Cf-Client-Cert-Der-Base64", "Cf-Client-Cert-Sha256",
    "X-Forwarded-Client-Cert", "X-Certgate-Jwt-Assertion",
]
HOP_BY_HOP = ["Keep-Alive", "TE", "Trailer", "Upgrade", "Proxy-Connection", "X-Hop-Custom", "X-Hop-Other"]


@pytest.fixture(scope="module")
def gw(module_gateway, std_pki, upstream):
    up = upstream.url
    routes = [
        route("https://req.test", up),
        route("https://opt.test", up, mtls={"mode": "optional"}),
        route("https://public.test", up, mtls={"mode": "off"}),
        route("https://noid.test", up, headers={"identity": False}),
        route("https://keep.test", up, preserve_host=True),
        route("https://echo.test", "echo://"),
        route("https://off-echo.test", "echo://", mtls={"mode": "off"}),
        route("https://opt-echo.test", "echo://", mtls={"mode": "optional"}),
    ]
    return module_gateway(gateway_config(std_pki, routes))


def client(gw, std, sni, cert=None, **kw):
    c = std[cert] if cert else None
    return TLSClient(gw.port, sni, cacert=std.server_ca.cert_path, cert=c.cert_path if c else None,
                     key=c.key_path if c else None, **kw)


def expected_identity(c) -> dict:
    return {
        "X-Client-Cert-Verify": "SUCCESS",
        "X-Client-Cert-Subject-DN": c.subject_rfc2253,
        "X-Client-Cert-Issuer-DN": c.issuer_rfc2253,
        "X-Client-Cert-Serial": c.serial_hex,
        "X-Client-Cert-Fingerprint": c.fingerprint_sha256,
        "X-Client-Cert-SAN": c.san_header,
        "X-Client-Cert-Not-After": c.not_after_rfc3339,
    }


def echo_headers(r) -> dict:
    assert r.status == 200, r
    assert r.media_type == "application/json", r
    d = r.json()
    assert set(d) >= {"method", "path", "headers"}, d
    assert isinstance(d["headers"], dict)
    for k in d["headers"]:
        assert k == k.lower(), f"echo header name not lowercased: {k!r}"
    return d["headers"]


# --- identity headers -------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["alice", "tricky", "rsa_client"])
def test_identity_headers_exact(gw, std_pki, name):
    c = std_pki[name]
    with client(gw, std_pki, "req.test", name) as cl:
        hs = upstream_headers(cl.get(f"/t/{token()}"))
    for h, want in expected_identity(c).items():
        got = hvals(hs, h)
        if h == "X-Client-Cert-SAN" and not want:
            assert got in ([], [""]), f"{h}: {got}"  # no SAN extension: absent or empty
            continue
        assert got == [want], f"{h}: got {got}, want [{want!r}]"


def test_identity_header_values_for_alice_literally(gw, std_pki):
    # the same, spelled out, so a misreading of the formats is obvious in the failure
    with client(gw, std_pki, "req.test", "alice") as cl:
        hs = upstream_headers(cl.get(f"/t/{token()}"))
    assert hvals(hs, "X-Client-Cert-Subject-DN") == [
        "emailAddress=alice@example.com,CN=alice,OU=Engineering,O=Example Org"]
    assert hvals(hs, "X-Client-Cert-Issuer-DN") == ["CN=ca1 root,O=certgate tests"]
    assert hvals(hs, "X-Client-Cert-Serial") == ["0ABCDE0123456789"]
    assert hvals(hs, "X-Client-Cert-SAN") == [
        "email:alice@example.com, DNS:alice.example.test, URI:spiffe://example.test/alice, IP:192.0.2.10, "
        "DNS:second.example.test"]
    na = hvals(hs, "X-Client-Cert-Not-After")
    assert len(na) == 1 and na[0].endswith("T12:00:00Z") and len(na[0]) == 20, na


def test_identity_headers_disabled(gw, std_pki):
    with client(gw, std_pki, "noid.test", "alice") as cl:
        r = cl.get(f"/t/{token()}")
    assert r.status == 200, r
    hs = upstream_headers(r)
    sent = [k for k, _ in hs if k.lower().startswith("x-client-cert")]
    assert sent == [], f"headers.identity false, yet sent {sent}"


# --- X-Forwarded-*, Host ----------------------------------------------------------------------------------

def _xff_list(hs):
    return [p.strip() for v in hvals(hs, "X-Forwarded-For") for p in v.split(",")]


def test_forwarded_headers_and_host(gw, std_pki, upstream):
    with client(gw, std_pki, "req.test", "alice") as cl:
        hs = upstream_headers(cl.get(f"/t/{token()}"))
    assert _xff_list(hs) == ["127.0.0.1"]
    assert hvals(hs, "X-Forwarded-Proto") == ["https"]
    assert hvals(hs, "X-Forwarded-Host") == ["req.test"]
    assert hvals(hs, "Host") == [f"127.0.0.1:{upstream.port}"]


def test_forwarded_for_is_appended(gw, std_pki):
    with client(gw, std_pki, "req.test", "alice") as cl:
        hs = upstream_headers(cl.get(f"/t/{token()}", headers=[("X-Forwarded-For", "203.0.113.7")]))
    assert _xff_list(hs) == ["203.0.113.7", "127.0.0.1"]


def test_forwarded_proto_and_host_are_not_client_controlled(gw, std_pki, upstream):
    with client(gw, std_pki, "req.test", "alice") as cl:
        hs = upstream_headers(cl.get(f"/t/{token()}", headers=[("X-Forwarded-Proto", "http"),
                                                                ("X-Forwarded-Host", "evil.test")]))
    assert hvals(hs, "X-Forwarded-Proto") == ["https"]
    assert hvals(hs, "X-Forwarded-Host") == ["req.test"]
    assert hvals(hs, "Host") == [f"127.0.0.1:{upstream.port}"]


def test_forwarded_host_keeps_port_or_not_with_curl(gw, std_pki, upstream):
    # curl sends `Host: req.test:PORT`; X-Forwarded-Host is the original host (port kept or dropped)
    c = std_pki.alice
    r = curl("req.test", gw.port, f"/t/{token()}", cacert=std_pki.server_ca.cert_path, cert=c.cert_path,
             key=c.key_path)
    hs = upstream_headers(r)
    assert hvals(hs, "X-Forwarded-Host") in (["req.test"], [f"req.test:{gw.port}"])
    assert hvals(hs, "Host") == [f"127.0.0.1:{upstream.port}"]


def test_preserve_host(gw, std_pki):
    with client(gw, std_pki, "keep.test", "alice") as cl:
        hs = upstream_headers(cl.get(f"/t/{token()}"))
    assert hvals(hs, "Host") == ["keep.test"]
    assert hvals(hs, "X-Forwarded-Host") == ["keep.test"]
    c = std_pki.alice
    r = curl("keep.test", gw.port, f"/t/{token()}", cacert=std_pki.server_ca.cert_path, cert=c.cert_path,
             key=c.key_path)
    assert hvals(upstream_headers(r), "Host") == [f"keep.test:{gw.port}"]


# --- spoofing ---------------------------------------------------------------------------------------------

def _case_variants(name: str) -> list[str]:
    alt = "".join(ch.upper() if i % 2 else ch.lower() for i, ch in enumerate(name))
    return [name, name.lower(), name.upper(), alt]


def spoofed_headers() -> list[tuple[str, str]]:
    out = []
    for i, name in enumerate(PROTECTED):
        for j, variant in enumerate(_case_variants(name)):
            out.append((variant, f"spoofed-{i}-{j}"))
    return out


SPOOF_CASES = [
    # (id, sni, certificate, expected identity headers: dict of exact values, or "none"/"off"/"disabled")
    ("required-valid", "req.test", "alice", "valid"),
    ("optional-no-cert", "opt.test", None, "none"),
    ("optional-invalid-cert", "opt.test", "expired", "failed"),
    ("off", "public.test", None, "off"),
    ("identity-disabled", "noid.test", "alice", "disabled"),
]


@pytest.mark.parametrize("case,sni,cert,kind", SPOOF_CASES, ids=[c[0] for c in SPOOF_CASES])
def test_spoofed_headers_are_removed(gw, std_pki, case, sni, cert, kind):
    with client(gw, std_pki, sni, cert) as cl:
        r = cl.get(f"/t/{token()}", headers=spoofed_headers() + [("X-Regular", "kept")])
    assert r.status == 200, r
    hs = upstream_headers(r)
    leaked = [(k, v) for k, v in hs if "spoofed" in v]
    assert leaked == [], f"client-supplied values reached the upstream: {leaked}"
    for name in PROTECTED:
        assert len(hvals(hs, name)) <= 1, f"{name} arrived {len(hvals(hs, name))} times"
    assert hvals(hs, "X-Regular") == ["kept"]
    if kind == "valid":
        for h, want in expected_identity(std_pki[cert]).items():
            assert hvals(hs, h) == [want], h
    elif kind == "none":
        assert hvals(hs, "X-Client-Cert-Verify") == ["NONE"]
        for h in IDENTITY[1:]:
            assert hvals(hs, h) == [], h
    elif kind == "failed":
        assert hvals(hs, "X-Client-Cert-Verify") == ["FAILED:expired"]
    elif kind == "off":
        assert hvals(hs, "X-Client-Cert-Verify") in ([], ["NONE"])
        for h in IDENTITY[1:]:
            assert hvals(hs, h) == [], h
    elif kind == "disabled":
        for h in IDENTITY:
            assert hvals(hs, h) == [], h


@pytest.mark.parametrize("sni,cert", [("echo.test", "alice"), ("off-echo.test", None), ("opt-echo.test", None)])
def test_spoofed_headers_are_removed_for_echo(gw, std_pki, sni, cert):
    with client(gw, std_pki, sni, cert) as cl:
        h = echo_headers(cl.get("/spoof", headers=spoofed_headers()))
    leaked = {k: v for k, v in h.items() if "spoofed" in v}
    assert leaked == {}, leaked


def test_spoofed_headers_removed_on_every_request_of_a_connection(gw, std_pki):
    with client(gw, std_pki, "req.test", "alice") as cl:
        for _ in range(3):
            hs = upstream_headers(cl.get(f"/t/{token()}", headers=spoofed_headers()))
            assert [(k, v) for k, v in hs if "spoofed" in v] == []
            assert hvals(hs, "X-Client-Cert-Verify") == ["SUCCESS"]
        assert cl.connect_count == 1


# --- hop-by-hop -------------------------------------------------------------------------------------------

def test_hop_by_hop_headers_do_not_reach_upstream(gw, std_pki):
    headers = [
        ("Connection", "keep-alive, X-Hop-Custom, x-hop-other"),
        ("X-Hop-Custom", "1"), ("X-Hop-Other", "2"),
        ("Keep-Alive", "timeout=5, max=100"), ("TE", "trailers"), ("Trailer", "X-Checksum"),
        ("Upgrade", "example/1"), ("Proxy-Connection", "keep-alive"), ("X-Regular", "kept"),
    ]
    with client(gw, std_pki, "req.test", "alice") as cl:
        r = cl.get(f"/t/{token()}", headers=headers)
    hs = upstream_headers(r)
    for h in HOP_BY_HOP:
        assert hvals(hs, h) == [], f"hop-by-hop header {h} reached the upstream: {hs}"
    for v in hvals(hs, "Connection"):
        assert "x-hop" not in v.lower(), v
    assert hvals(hs, "X-Regular") == ["kept"]


def test_hop_by_hop_headers_not_in_echo(gw, std_pki):
    headers = [("Connection", "X-Hop-Custom"), ("X-Hop-Custom", "1"), ("Keep-Alive", "timeout=5"),
               ("TE", "trailers"), ("Trailer", "X-Checksum"), ("Proxy-Connection", "keep-alive")]
    with client(gw, std_pki, "echo.test", "alice") as cl:
        h = echo_headers(cl.get("/hop", headers=headers))
    for name in HOP_BY_HOP:
        assert name.lower() not in h, (name, h)


# --- echo:// ----------------------------------------------------------------------------------------------

def test_echo_upstream(gw, std_pki):
    alice = std_pki.alice
    with client(gw, std_pki, "echo.test", "alice") as cl:
        r = cl.get("/some/path", headers=[("X-Repeat", "a"), ("X-Repeat", "b"), ("X-Single", "Value With Caps")])
    h = echo_headers(r)
    d = r.json()
    assert d["method"] == "GET"
    assert d["path"] == "/some/path"
    assert h["x-repeat"] == "a, b"
    assert h["x-single"] == "Value With Caps"
    for name, want in expected_identity(alice).items():
        assert h.get(name.lower()) == want, name
    assert h.get("x-forwarded-proto") == "https"
    assert h.get("x-forwarded-host") == "echo.test"
    assert [p.strip() for p in h.get("x-forwarded-for", "").split(",")] == ["127.0.0.1"]


def test_echo_post(gw, std_pki):
    with client(gw, std_pki, "echo.test", "alice") as cl:
        r = cl.request("POST", "/post/here", body=b"hello", headers=[("Content-Type", "text/plain")])
    h = echo_headers(r)
    assert r.json()["method"] == "POST"
    assert r.json()["path"] == "/post/here"
    assert h.get("content-type") == "text/plain"


def test_echo_matches_what_an_upstream_receives(gw, std_pki):
    """The identity and forwarding headers the echo reports equal those a real upstream gets."""
    hdrs = [("X-Repeat", "a"), ("X-Repeat", "b"), ("Accept", "application/json")]
    with client(gw, std_pki, "echo.test", "alice") as cl:
        echoed = echo_headers(cl.get("/cmp", headers=hdrs))
    with client(gw, std_pki, "req.test", "alice") as cl:
        real = upstream_headers(cl.get(f"/t/{token()}", headers=hdrs))
    real_joined: dict = {}
    for k, v in real:
        real_joined[k.lower()] = real_joined[k.lower()] + ", " + v if k.lower() in real_joined else v
    ignore = {"host", "connection", "x-forwarded-host", "content-length"}
    assert {k for k in echoed if k not in ignore} == {k for k in real_joined if k not in ignore}
    for k in [h.lower() for h in IDENTITY] + ["x-forwarded-proto", "x-forwarded-for", "x-repeat", "accept"]:
        assert echoed.get(k) == real_joined.get(k), k
