"""Certificate forwarding formats (headers.client_cert): escaped PEM compared byte for byte with a real
nginx's $ssl_client_escaped_cert, Cloudflare's headers against values computed here, X-Forwarded-Client-Cert
read back with an independent parser written from Envoy's documented grammar, the four XFCC modes, and
the removal of every client-sent copy.

Gateways (routes by path on req.test unless said otherwise):
  gw          trusted_proxies excludes 127.0.0.1 (the test client is an ordinary client)
    /all      client_cert: [escaped_pem, cloudflare, xfcc], xfcc details include chain
    /ak       escaped_pem under authentik's header name ssl-client-cert
    /opt      optional mTLS, all formats
    /none     no formats
    /fwd /app /san     xfcc forward_only / append_forward / sanitize
  trusted_gw  the same XFCC routes with trusted_proxies [127.0.0.1/32], and a server certificate with URI
              SANs (XFCC By=)
"""

from __future__ import annotations

import base64
import hashlib
import urllib.parse

import pytest

from harness import nginx
from harness.checks import hvals, token, upstream_headers
from harness.clients import TLSClient, curl
from harness.configs import gateway_config, listener, route

ALL_FORMATS = ["escaped_pem", "cloudflare", "xfcc"]
XFCC_ALL = {"mode": "sanitize_set", "details": ["cert", "chain", "subject", "uri", "dns"]}
BY = ["spiffe://certgate.test/gateway", "https://gw.certgate.test/id"]


# --- an independent XFCC parser (Envoy's documented grammar) ----------------------------------------------
# XFCC = element *("," element); element = pair *(";" pair); pair = key "=" value; keys are case-insensitive;
# a value containing , ; = or " is double-quoted; inside quotes, a backslash escapes the next character.

def parse_xfcc(value: str) -> list[list[tuple[str, str]]]:
    elements: list[list[tuple[str, str]]] = []
    pairs: list[tuple[str, str]] = []
    i, n = 0, len(value)
    while True:
        while i < n and value[i] in " \t":
            i += 1
        start = i
        while i < n and value[i] not in '=,;"':
            i += 1
        key = value[start:i].strip()
        if not key or i >= n or value[i] != "=":
            raise ValueError(f"no key=value at {start}: {value[start:start + 40]!r}")
        i += 1
        if i < n and value[i] == '"':
            i += 1
            out = []
            while True:
                if i >= n:
                    raise ValueError("unterminated quoted value")
                c = value[i]
                i += 1
                if c == '"':
                    break
                if c == "\\":
                    if i >= n:
                        raise ValueError("dangling backslash")
                    out.append(value[i])
                    i += 1
                else:
                    out.append(c)
            val = "".join(out)
        else:
            start = i
            while i < n and value[i] not in ",;":
                if value[i] == '"':
                    raise ValueError("quote inside an unquoted value")
                i += 1
            val = value[start:i].strip()
        pairs.append((key, val))
        while i < n and value[i] in " \t":
            i += 1
        if i >= n:
            elements.append(pairs)
            return elements
        if value[i] == ",":
            elements.append(pairs)
            pairs = []
        elif value[i] != ";":
            raise ValueError(f"unexpected {value[i]!r} at {i}")
        i += 1


def values(element, key) -> list[str]:
    return [v for k, v in element if k.lower() == key.lower()]


def escaped_pem(cert) -> str:
    """RFC 3986 unreserved characters stay, everything else is %XX (uppercase), as nginx does."""
    return urllib.parse.quote(cert.pem().decode(), safe="-._~")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# --- fixtures ---------------------------------------------------------------------------------------------

def _routes(up, std):
    return [
        route("https://req.test/all", up, headers={"client_cert": ALL_FORMATS, "xfcc": XFCC_ALL}),
        route("https://req.test/ak", up, headers={"client_cert": ["escaped_pem"], "escaped_pem_header": "ssl-client-cert"}),
        route("https://req.test/none", up),
        route("https://req.test/fwd", up, headers={"client_cert": ["xfcc"], "xfcc": {"mode": "forward_only"}}),
        route("https://req.test/app", up, headers={"client_cert": ["xfcc"], "xfcc": {"mode": "append_forward"}}),
        route("https://req.test/san", up, headers={"client_cert": ["xfcc"], "xfcc": {"mode": "sanitize"}}),
        route("https://req.test/minimal", up, headers={"client_cert": ["xfcc"], "xfcc": {"details": []}}),
        route("https://opt.test", up, mtls={"mode": "optional"}, headers={"client_cert": ALL_FORMATS}),
        route("https://opt.test/app", up, mtls={"mode": "optional"},
              headers={"client_cert": ["xfcc"], "xfcc": {"mode": "append_forward"}}),
        route("https://deep.test", up, mtls={"max_verify_depth": 2}, headers={"client_cert": ALL_FORMATS, "xfcc": XFCC_ALL}),
        route("https://echo.test", "echo://", headers={"client_cert": ALL_FORMATS}),
    ]


@pytest.fixture(scope="module")
def gw(module_gateway, std_pki, upstream):
    cfg = gateway_config(std_pki, _routes(upstream.url, std_pki))
    cfg["trusted_proxies"] = ["192.0.2.0/24", "2001:db8::/32"]
    return module_gateway(cfg)


@pytest.fixture(scope="module")
def trusted_gw(module_gateway, std_pki, upstream):
    hosts = ["localhost", "req.test", "opt.test", "deep.test", "echo.test"]
    server = std_pki.pki.issue("server-with-uri", std_pki.server_ca, sans=[("DNS", h) for h in hosts] +
                               [("URI", u) for u in BY], eku=["serverAuth"])
    cfg = gateway_config(std_pki, _routes(upstream.url, std_pki), listeners=[listener(std_pki, [server])])
    cfg["trusted_proxies"] = ["127.0.0.1/32"]
    return module_gateway(cfg)


def get(gw, std, path, cert="alice", host="req.test", headers=(), chain=False):
    c = std[cert] if cert else None
    return curl(host, gw.port, path, cacert=std.server_ca.cert_path,
                cert=(c.send_path if chain else c.cert_path) if c else None, key=c.key_path if c else None,
                headers=headers)


def sent(gw, std, path, cert="alice", **kw):
    r = get(gw, std, path, cert, **kw)
    assert r.status == 200, r
    return upstream_headers(r)


# --- escaped PEM: byte-identical to nginx -----------------------------------------------------------------

@pytest.fixture(scope="module")
def nginx_server(std_pki):
    if not nginx.available():
        pytest.fail("nginx is not installed: scripts/install-deps.sh installs Debian's nginx-light")
    ng = nginx.Nginx(std_pki.server).start()
    yield ng
    ng.stop()


@pytest.mark.parametrize("name", ["alice", "rsa_client", "tricky", "deep"])
def test_escaped_pem_equals_nginx_ssl_client_escaped_cert(gw, std_pki, nginx_server, name):
    c = std_pki[name]
    from_nginx = curl("req.test", nginx_server.port, "/", cacert=std_pki.server_ca.cert_path, cert=c.send_path,
                      key=c.key_path)
    assert from_nginx.status == 200, from_nginx
    want = from_nginx.body.decode()
    assert want.startswith("-----BEGIN%20CERTIFICATE-----%0A"), want[:80]
    deep = name == "deep"  # sends its intermediate; nginx and certgate both forward the leaf only
    hs = sent(gw, std_pki, f"/{token()}" if deep else f"/all/{token()}", name, host="deep.test" if deep else "req.test",
              chain=deep)
    got = hvals(hs, "X-Client-Cert")
    assert got == [want], f"certgate: {got}\nnginx:    {want!r}"
    assert urllib.parse.unquote(got[0]).encode() == c.pem()  # the leaf only, as nginx


def test_escaped_pem_under_authentik_header_name(gw, std_pki):
    hs = sent(gw, std_pki, f"/ak/{token()}")
    assert hvals(hs, "ssl-client-cert") == [escaped_pem(std_pki.alice)]
    assert hvals(hs, "X-Client-Cert") == []
    assert hvals(hs, "X-Forwarded-Client-Cert") == [] and hvals(hs, "Cf-Client-Cert-Sha256") == []


# --- Cloudflare -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["alice", "rsa_client"])
def test_cloudflare_headers(gw, std_pki, name):
    c = std_pki[name]
    hs = sent(gw, std_pki, f"/all/{token()}", name)
    assert hvals(hs, "Cf-Client-Cert-Der-Base64") == [base64.b64encode(c.der()).decode()]
    assert hvals(hs, "Cf-Client-Cert-Sha256") == [hashlib.sha256(c.der()).hexdigest()]


# --- XFCC -------------------------------------------------------------------------------------------------

def test_xfcc_round_trip_with_independent_parser(gw, std_pki):
    alice = std_pki.alice
    hs = sent(gw, std_pki, f"/all/{token()}")
    raw = hvals(hs, "X-Forwarded-Client-Cert")
    assert len(raw) == 1, hs
    elements = parse_xfcc(raw[0])
    assert len(elements) == 1, raw
    e = elements[0]
    assert [k for k, _ in e] == ["Hash", "Cert", "Chain", "Subject", "URI", "DNS", "DNS"], raw  # no By: no URI SAN
    assert values(e, "Hash") == [hashlib.sha256(alice.der()).hexdigest()]
    assert urllib.parse.unquote(values(e, "Cert")[0]).encode() == alice.pem()
    assert values(e, "Cert") == [escaped_pem(alice)]
    assert urllib.parse.unquote(values(e, "Chain")[0]).encode() == alice.pem()  # the client sent no intermediates
    assert values(e, "Subject") == [alice.subject_rfc2253]
    assert values(e, "URI") == ["spiffe://example.test/alice"]
    assert values(e, "DNS") == ["alice.example.test", "second.example.test"]
    # Envoy's quoting: Subject, Cert and Chain always quoted
    assert f';Subject="{alice.subject_rfc2253}";' in raw[0]


def test_xfcc_chain_and_escaped_subject(gw, std_pki):
    deep = std_pki.deep
    hs = sent(gw, std_pki, f"/{token()}", "deep", host="deep.test", chain=True)
    e = parse_xfcc(hvals(hs, "X-Forwarded-Client-Cert")[0])[0]
    assert urllib.parse.unquote(values(e, "Chain")[0]).encode() == deep.pem() + std_pki.inter1.pem()
    assert urllib.parse.unquote(values(e, "Cert")[0]).encode() == deep.pem()
    assert values(e, "URI") == [""]  # as Envoy: the key is there without a URI SAN

    tricky = std_pki.tricky  # RFC 2253 escapes: CN=Bob\+Smith,O=Example\, Inc.
    raw = hvals(sent(gw, std_pki, f"/all/{token()}", "tricky"), "X-Forwarded-Client-Cert")[0]
    assert "\\" in tricky.subject_rfc2253
    assert values(parse_xfcc(raw)[0], "Subject") == [tricky.subject_rfc2253]


def test_xfcc_minimal_details_is_hash_only(gw, std_pki):
    hs = sent(gw, std_pki, f"/minimal/{token()}")
    assert hvals(hs, "X-Forwarded-Client-Cert") == [f"Hash={std_pki.alice.fingerprint_sha256}"]


def test_xfcc_by_lists_the_server_certificate_uri_sans(trusted_gw, std_pki):
    hs = sent(trusted_gw, std_pki, f"/all/{token()}")
    e = parse_xfcc(hvals(hs, "X-Forwarded-Client-Cert")[0])[0]
    assert values(e, "By") == BY
    assert [k for k, _ in e][:3] == ["By", "By", "Hash"]


CLIENT_XFCC = [("X-Forwarded-Client-Cert", 'By=spiffe://edge;Hash=00ff;Subject="CN=upstream-client"'),
               ("x-forwarded-client-cert", "Hash=abcd;URI=spiffe://second")]
CLIENT_XFCC_JOINED = 'By=spiffe://edge;Hash=00ff;Subject="CN=upstream-client",Hash=abcd;URI=spiffe://second'


@pytest.mark.parametrize("mode,trusted,expect", [
    ("san", False, "none"), ("san", True, "none"),
    ("fwd", False, "none"), ("fwd", True, "client"),
    ("app", False, "own"), ("app", True, "client+own"),
    ("all", False, "own"), ("all", True, "own"),  # sanitize_set
])
def test_xfcc_modes(gw, trusted_gw, std_pki, mode, trusted, expect):
    g = trusted_gw if trusted else gw
    hs = sent(g, std_pki, f"/{mode}/{token()}", headers=CLIENT_XFCC)
    got = hvals(hs, "X-Forwarded-Client-Cert")
    if expect == "none":
        assert got == [], got
        return
    assert len(got) == 1, got
    elements = parse_xfcc(got[0])
    own_hash = std_pki.alice.fingerprint_sha256
    if expect == "client":
        assert got == [CLIENT_XFCC_JOINED]
    elif expect == "own":
        assert len(elements) == 1 and values(elements[0], "Hash") == [own_hash], got
    else:
        assert got[0].startswith(CLIENT_XFCC_JOINED + ","), got
        assert len(elements) == 3 and values(elements[2], "Hash") == [own_hash], got


@pytest.mark.parametrize("trusted", [False, True])
def test_xfcc_append_forward_without_client_certificate(gw, trusted_gw, std_pki, trusted):
    # optional route, no certificate: a trusted proxy's XFCC passes unchanged, nothing is appended
    g = trusted_gw if trusted else gw
    hs = sent(g, std_pki, f"/app/{token()}", None, host="opt.test", headers=CLIENT_XFCC)
    assert hvals(hs, "X-Forwarded-Client-Cert") == ([CLIENT_XFCC_JOINED] if trusted else [])


# --- only verified certificates are forwarded; client copies never pass ------------------------------------

SPOOFABLE = ["X-Client-Cert", "ssl-client-cert", "Cf-Client-Cert-Der-Base64", "Cf-Client-Cert-Sha256",
             "X-Forwarded-Client-Cert", "X-Certgate-Jwt-Assertion"]


def spoofed():
    out = []
    for i, name in enumerate(SPOOFABLE):
        for j, variant in enumerate([name, name.lower(), name.upper()]):
            out.append((variant, f"spoofed-{i}-{j}"))
    return out


@pytest.mark.parametrize("path,host,cert", [
    ("/all/", "req.test", "alice"), ("/none/", "req.test", "alice"), ("/", "opt.test", None),
    ("/", "opt.test", "expired"), ("/", "opt.test", "untrusted"), ("/fwd/", "req.test", "alice"),
])
def test_client_copies_are_always_removed(gw, std_pki, path, host, cert):
    hs = sent(gw, std_pki, f"{path}{token()}", cert, host=host, headers=spoofed())
    leaked = [(k, v) for k, v in hs if "spoofed" in v]
    assert leaked == [], leaked
    for name in SPOOFABLE:
        assert len(hvals(hs, name)) <= 1, name


def test_no_formats_for_missing_or_invalid_certificate(gw, std_pki):
    for cert in (None, "expired", "untrusted"):
        hs = sent(gw, std_pki, f"/{token()}", cert, host="opt.test")
        for name in SPOOFABLE:
            assert hvals(hs, name) == [], (cert, name)
    hs = sent(gw, std_pki, f"/{token()}", "alice", host="opt.test")
    assert hvals(hs, "X-Client-Cert") == [escaped_pem(std_pki.alice)]


def test_trusted_peer_client_copies_removed_from_other_formats(trusted_gw, std_pki):
    # trust only lets XFCC through, and only on forwarding modes
    hs = sent(trusted_gw, std_pki, f"/all/{token()}", headers=spoofed())
    assert [(k, v) for k, v in hs if "spoofed" in v] == []


def test_formats_reach_echo_upstream(gw, std_pki):
    c = std_pki.alice
    with TLSClient(gw.port, "echo.test", cacert=std_pki.server_ca.cert_path, cert=c.cert_path, key=c.key_path) as cl:
        r = cl.get("/x")
    h = r.json()["headers"]
    assert h["x-client-cert"] == escaped_pem(c)
    assert h["cf-client-cert-sha256"] == c.fingerprint_sha256
    assert values(parse_xfcc(h["x-forwarded-client-cert"])[0], "Hash") == [c.fingerprint_sha256]


def test_formats_on_every_request_of_a_keep_alive_connection(gw, std_pki):
    c = std_pki.alice
    with TLSClient(gw.port, "req.test", cacert=std_pki.server_ca.cert_path, cert=c.cert_path, key=c.key_path) as cl:
        for _ in range(3):
            hs = upstream_headers(cl.get(f"/all/{token()}", headers=spoofed()))
            assert hvals(hs, "X-Client-Cert") == [escaped_pem(c)]
            assert hvals(hs, "Cf-Client-Cert-Der-Base64") == [base64.b64encode(c.der()).decode()]
        assert cl.connect_count == 1


def test_independent_parser_self_check():
    # the parser used above accepts Envoy's documented examples and rejects broken input
    ex = parse_xfcc('By=http://frontend.lyft.com;Hash=468ed33be74eee6556d90c0149c1309e9ba61d6425303443c0748a02dd8de688;'
                    'Subject="/C=US/ST=CA/L=San Francisco/OU=Lyft/CN=Test Client";URI=http://testclient.lyft.com,'
                    'By=http://backend.lyft.com;Hash=9ba61d6425303443c0748a02dd8de688468ed33be74eee6556d90c0149c1309e;'
                    'URI=http://frontend.lyft.com')
    assert len(ex) == 2 and values(ex[0], "subject") == ["/C=US/ST=CA/L=San Francisco/OU=Lyft/CN=Test Client"]
    for bad in ['Hash', 'Subject="x', 'Subject="x"y', 'a=b"c']:
        with pytest.raises(ValueError):
            parse_xfcc(bad)
    assert b64url(b"\xfb\xff") == "-_8"
