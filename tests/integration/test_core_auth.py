"""Client certificate validation, modes, per-route trust, 421/404 and HTML error pages.

One gateway for the module:
  req.test      mode required (global), max_verify_depth 1 (global), trust = global bundle (ca1 + ca3)
  deep.test     only overrides max_verify_depth: 2 (mode and trust inherited)
  opt.test      mode optional
  app.test/a    ca_file ca1.pem        app.test/b    ca_file ca2.pem   (route trust replaces the global one)
  public.test   mode off
  nohost.test   in the server certificate, but no route
"""

from __future__ import annotations

import pytest

from harness.checks import (MSG_FAILED, MSG_NO_CERT, assert_json_message, assert_log, assert_no_reason_leak,
                            find_log, hvals, token, upstream_headers)
from harness.clients import TLSClient, curl
from harness.configs import gateway_config, route


@pytest.fixture(scope="module")
def gw(module_gateway, std_pki, upstream):
    up = upstream.url
    routes = [
        route("https://req.test", up),
        route("https://deep.test", up, mtls={"max_verify_depth": 2}),
        route("https://opt.test", up, mtls={"mode": "optional"}),
        route("https://app.test/a", up, mtls={"ca_file": "ca1.pem"}),
        route("https://app.test/b", up, mtls={"ca_file": "ca2.pem"}),
        route("https://public.test", up, mtls={"mode": "off"}),
    ]
    return module_gateway(gateway_config(std_pki, routes))


def _get(gw, std, host, path, cert=None, headers=(), chain=False, **kw):
    c = std[cert] if isinstance(cert, str) else cert
    return curl(host, gw.port, path, cacert=std.server_ca.cert_path,
                cert=(c.send_path if chain else c.cert_path) if c else None, key=c.key_path if c else None,
                headers=headers, **kw)


# (case id, certificate name, send chain?, host, expected reason)
INVALID = [
    ("untrusted-ca", "untrusted", False, "req.test", "untrusted_issuer"),
    ("ca-not-in-bundle", "carol", False, "req.test", "untrusted_issuer"),
    ("expired", "expired", False, "req.test", "expired"),
    ("not-yet-valid", "not_yet_valid", False, "req.test", "not_yet_valid"),
    ("ca-as-leaf", "ca_as_leaf", False, "req.test", "ca_as_leaf"),
    ("root-as-leaf", "ca1", False, "req.test", "ca_as_leaf"),
    ("eku-server-auth-only", "server_only", False, "req.test", "bad_purpose"),
    ("intermediate-chain-depth-1", "deep", True, "req.test", "depth_exceeded"),
    ("leaf-only-unknown-intermediate", "deep", False, "deep.test", "untrusted_issuer"),
]

VALID = ["alice", "bob", "rsa_client", "no_eku", "both_eku", "no_bc", "tricky"]


# --- required ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", VALID)
def test_required_valid_certificate(gw, std_pki, upstream, name):
    t = token()
    r = _get(gw, std_pki, "req.test", f"/t/{t}", name)
    assert r.status == 200, r
    hs = upstream_headers(r)
    assert hvals(hs, "X-Client-Cert-Verify") == ["SUCCESS"]
    assert hvals(hs, "X-Client-Cert-Fingerprint") == [std_pki[name].fingerprint_sha256]
    e = find_log(gw, r.local_port, t)
    assert_log(e, status=200, reason="allowed", verify="SUCCESS", route="https://req.test", sni="req.test",
               host="req.test", port=gw.port, method="GET", path=f"/t/{t}", client_port=r.local_port,
               fingerprint=std_pki[name].fingerprint_sha256)
    assert e["bytes_out"] >= len(r.body)


def test_required_valid_chain_with_depth_2(gw, std_pki):
    t = token()
    r = _get(gw, std_pki, "deep.test", f"/t/{t}", "deep", chain=True)
    assert r.status == 200, r
    assert hvals(upstream_headers(r), "X-Client-Cert-Verify") == ["SUCCESS"]
    assert_log(find_log(gw, r.local_port, t), status=200, reason="allowed", verify="SUCCESS",
               route="https://deep.test", fingerprint=std_pki.deep.fingerprint_sha256)


@pytest.mark.parametrize("host", ["req.test", "deep.test"])
def test_required_without_certificate(gw, std_pki, upstream, host):
    t = token()
    r = _get(gw, std_pki, host, f"/t/{t}")
    assert_json_message(r, 401, MSG_NO_CERT, exact_body=True)
    assert_no_reason_leak(r)
    assert upstream.find(lambda rec: t in rec.path) == [], "a refused request reached the upstream"
    e = find_log(gw, r.local_port, t)
    assert_log(e, status=401, reason="no_certificate", verify="NONE", route=f"https://{host}", sni=host,
               host=host, port=gw.port, path=f"/t/{t}", fingerprint=None)


@pytest.mark.parametrize("case,name,chain,host,reason", INVALID, ids=[c[0] for c in INVALID])
def test_required_invalid_certificate(gw, std_pki, upstream, case, name, chain, host, reason):
    t = token()
    r = _get(gw, std_pki, host, f"/t/{t}", name, chain=chain)
    assert_json_message(r, 401, MSG_FAILED, exact_body=True)
    assert_no_reason_leak(r)
    assert upstream.find(lambda rec: t in rec.path) == [], "a refused request reached the upstream"
    e = find_log(gw, r.local_port, t)
    assert_log(e, status=401, reason=reason, verify=f"FAILED:{reason}", route=f"https://{host}", sni=host,
               path=f"/t/{t}", fingerprint=std_pki[name].fingerprint_sha256)


# --- optional ---------------------------------------------------------------------------------------------

def test_optional_without_certificate(gw, std_pki):
    t = token()
    r = _get(gw, std_pki, "opt.test", f"/t/{t}")
    assert r.status == 200, r
    hs = upstream_headers(r)
    assert hvals(hs, "X-Client-Cert-Verify") == ["NONE"]
    for h in ("X-Client-Cert-Subject-DN", "X-Client-Cert-Fingerprint", "X-Client-Cert-Serial"):
        assert hvals(hs, h) == [], f"{h} sent without a certificate"
    assert_log(find_log(gw, r.local_port, t), status=200, reason="allowed", verify="NONE",
               route="https://opt.test", fingerprint=None)


def test_optional_valid_certificate(gw, std_pki):
    t = token()
    r = _get(gw, std_pki, "opt.test", f"/t/{t}", "alice")
    assert r.status == 200, r
    assert hvals(upstream_headers(r), "X-Client-Cert-Verify") == ["SUCCESS"]
    assert_log(find_log(gw, r.local_port, t), status=200, reason="allowed", verify="SUCCESS",
               fingerprint=std_pki.alice.fingerprint_sha256)


OPTIONAL_INVALID = [(c[0], c[1], c[2], c[4]) for c in INVALID if c[3] == "req.test"] + [
    ("leaf-only-unknown-intermediate", "deep", False, "untrusted_issuer")]


@pytest.mark.parametrize("case,name,chain,reason", OPTIONAL_INVALID, ids=[c[0] for c in OPTIONAL_INVALID])
def test_optional_invalid_certificate(gw, std_pki, case, name, chain, reason):
    t = token()
    r = _get(gw, std_pki, "opt.test", f"/t/{t}", name, chain=chain)
    assert r.status == 200, r
    assert hvals(upstream_headers(r), "X-Client-Cert-Verify") == [f"FAILED:{reason}"]
    assert_log(find_log(gw, r.local_port, t), status=200, reason="allowed", verify=f"FAILED:{reason}",
               route="https://opt.test", fingerprint=std_pki[name].fingerprint_sha256)


# --- per-route trust --------------------------------------------------------------------------------------

PER_ROUTE = [
    ("alice", "/a", 200, None), ("alice", "/b", 401, "untrusted_issuer"),
    ("carol", "/a", 401, "untrusted_issuer"), ("carol", "/b", 200, None),
    # bob's ca3 is in the global bundle only: a route's ca_file replaces the global trust
    ("bob", "/a", 401, "untrusted_issuer"), ("bob", "/b", 401, "untrusted_issuer"),
]


@pytest.mark.parametrize("name,prefix,status,reason", PER_ROUTE)
def test_per_route_trust_fresh_connections(gw, std_pki, name, prefix, status, reason):
    t = token()
    r = _get(gw, std_pki, "app.test", f"{prefix}/{t}", name)
    e = find_log(gw, r.local_port, t)
    if status == 200:
        assert r.status == 200, r
        assert hvals(upstream_headers(r), "X-Client-Cert-Verify") == ["SUCCESS"]
        assert_log(e, status=200, reason="allowed", verify="SUCCESS", route=f"https://app.test{prefix}")
    else:
        assert_json_message(r, 401, MSG_FAILED, exact_body=True)
        assert_no_reason_leak(r)
        assert_log(e, status=401, reason=reason, verify=f"FAILED:{reason}", route=f"https://app.test{prefix}")


def test_per_route_trust_keep_alive_ca1(gw, std_pki):
    c = std_pki.alice
    with TLSClient(gw.port, "app.test", cacert=std_pki.server_ca.cert_path, cert=c.cert_path, key=c.key_path) as cl:
        t1, t2 = token(), token()
        r1 = cl.get(f"/a/{t1}")
        r2 = cl.get(f"/b/{t2}")
        assert r1.status == 200, r1
        assert_json_message(r2, 401, MSG_FAILED)
        assert cl.connect_count == 1, "the second request did not use the same connection"
        e1, e2 = find_log(gw, cl.local_port, t1), find_log(gw, cl.local_port, t2)
        assert (e1["reason"], e2["reason"]) == ("allowed", "untrusted_issuer")
        assert e1["client"] == e2["client"]


def test_per_route_trust_keep_alive_ca2(gw, std_pki):
    c = std_pki.carol
    with TLSClient(gw.port, "app.test", cacert=std_pki.server_ca.cert_path, cert=c.cert_path, key=c.key_path) as cl:
        t1, t2, t3 = token(), token(), token()
        r1 = cl.get(f"/a/{t1}")
        r2 = cl.get(f"/b/{t2}")
        assert_json_message(r1, 401, MSG_FAILED)
        assert r2.status == 200, r2  # a refusal on /a must not stick to the connection
        r3 = cl.get(f"/a/{t3}")  # nor must an acceptance on /b
        assert_json_message(r3, 401, MSG_FAILED)
        assert hvals(upstream_headers(r2), "X-Client-Cert-Verify") == ["SUCCESS"]


# --- Host vs SNI, unknown host ----------------------------------------------------------------------------

def test_host_of_mtls_route_on_connection_without_cert_request(gw, std_pki, upstream):
    # SNI public.test (mode off: no certificate asked), Host names the mTLS host req.test
    t = token()
    r = _get(gw, std_pki, "public.test", f"/t/{t}", headers=["Host: req.test"])
    assert_json_message(r, 421)
    assert upstream.find(lambda rec: t in rec.path) == []
    e = find_log(gw, r.local_port, t)
    assert_log(e, status=421, reason="misdirected_request", sni="public.test")


def test_host_differs_from_sni_with_valid_cert(gw, std_pki, upstream):
    t = token()
    r = _get(gw, std_pki, "req.test", f"/t/{t}", "alice", headers=["Host: deep.test"])
    assert_json_message(r, 421)
    assert upstream.find(lambda rec: t in rec.path) == []
    assert_log(find_log(gw, r.local_port, t), status=421, reason="misdirected_request", sni="req.test")


@pytest.mark.parametrize("host_header", ["req.test", "REQ.Test", "req.test:{port}"])
def test_host_matching_sni_is_accepted(gw, std_pki, host_header):
    t = token()
    r = _get(gw, std_pki, "req.test", f"/t/{t}", "alice", headers=[f"Host: {host_header.format(port=gw.port)}"])
    assert r.status == 200, r


def test_unknown_host_is_404(gw, std_pki, upstream):
    t = token()
    r = _get(gw, std_pki, "nohost.test", f"/t/{t}")
    assert_json_message(r, 404)
    assert upstream.find(lambda rec: t in rec.path) == []
    assert_log(find_log(gw, r.local_port, t), status=404, reason="unknown_host", sni="nohost.test",
               host="nohost.test", port=gw.port)


def test_off_route_needs_no_certificate(gw, std_pki):
    t = token()
    r = _get(gw, std_pki, "public.test", f"/t/{t}")
    assert r.status == 200, r
    assert_log(find_log(gw, r.local_port, t), status=200, reason="allowed", route="https://public.test",
               fingerprint=None)


# --- HTML error pages -------------------------------------------------------------------------------------

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"

ACCEPT = [
    ("text/html", "html"),
    (BROWSER_ACCEPT, "html"),
    ("application/json;q=0.5, text/html", "html"),
    ("application/json", "json"),
    ("*/*", "json"),
    ("text/html;q=0.2, application/json", "json"),
]


@pytest.mark.parametrize("accept,kind", ACCEPT)
@pytest.mark.parametrize("cert,reason,message", [(None, "no_certificate", MSG_NO_CERT),
                                                 ("expired", "expired", MSG_FAILED)])
def test_error_page_follows_accept(gw, std_pki, accept, kind, cert, reason, message):
    t = token()
    r = _get(gw, std_pki, "req.test", f"/t/{t}", cert, headers=[f"Accept: {accept}"])
    assert r.status == 401, r
    assert_no_reason_leak(r)
    if kind == "html":
        assert r.media_type == "text/html", r
        assert "<html" in r.text.lower(), r
    else:
        assert_json_message(r, 401, message, exact_body=True)
    assert_log(find_log(gw, r.local_port, t), status=401, reason=reason)
