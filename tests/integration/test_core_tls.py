"""TLS: CertificateRequest only for hosts that use mTLS, TLS 1.2 and 1.3, ALPN http/1.1, SNI certificate
selection."""

from __future__ import annotations

import pytest

from harness.clients import curl, s_client
from harness.configs import cert_entry, gateway_config, listener, route


@pytest.fixture(scope="module")
def gw(module_gateway, std_pki):
    routes = [
        route("https://public.test", "echo://", mtls={"mode": "off"}),
        route("https://req.test", "echo://"),
        route("https://opt.test", "echo://", mtls={"mode": "optional"}),
        route("https://mixed.test", "echo://", mtls={"mode": "off"}),
        route("https://mixed.test/admin", "echo://", mtls={"mode": "required"}),
        route("https://*.wild.test", "echo://"),
        route("https://*.pubwild.test", "echo://", mtls={"mode": "off"}),
    ]
    listeners = [listener(std_pki, address="127.0.0.1:${PORT0}", default_host="req.test"),
                 listener(std_pki, address="127.0.0.1:${PORT1}", default_host="public.test")]
    return module_gateway(gateway_config(std_pki, routes, listeners=listeners))


def _sc(gw, sni, tls, **kw):
    r = s_client(gw.ports[kw.pop("listener", 0)], servername=sni, tls=tls, **kw)
    assert r.handshake_ok, r.output
    assert r.protocol == f"TLSv{tls}", r.output
    return r


@pytest.mark.parametrize("tls", ["1.3", "1.2"])
@pytest.mark.parametrize("sni,requested", [
    ("public.test", False),
    ("req.test", True),
    ("opt.test", True),
    ("mixed.test", True),  # one route of the host uses mTLS
    ("a.wild.test", True),
    ("a.pubwild.test", False),
])
def test_certificate_request_only_for_mtls_hosts(gw, sni, requested, tls):
    r = _sc(gw, sni, tls)
    assert r.has_certificate_request == requested, (
        f"{sni} over TLS {tls}: CertificateRequest {'missing' if requested else 'sent'}\n{r.output}")


@pytest.mark.parametrize("tls", ["1.3", "1.2"])
@pytest.mark.parametrize("listener_idx,requested", [(0, True), (1, False)])
def test_no_sni_uses_default_host(gw, tls, listener_idx, requested):
    r = _sc(gw, None, tls, listener=listener_idx)
    assert r.has_certificate_request == requested, r.output


@pytest.mark.parametrize("tls", ["1.2", "1.3"])
def test_tls_versions_with_client_certificate(gw, std_pki, tls):
    a = std_pki.alice
    r = curl("req.test", gw.port, "/v", cacert=std_pki.server_ca.cert_path, cert=a.cert_path, key=a.key_path, tls=tls)
    assert r.status == 200, r
    assert r.json()["headers"]["x-client-cert-verify"] == "SUCCESS"
    s = _sc(gw, "req.test", tls, cert=a.cert_path, key=a.key_path, ign_eof=True,
            stdin=b"GET /sclient HTTP/1.1\r\nHost: req.test\r\nConnection: close\r\n\r\n")
    assert "HTTP/1.1 200" in s.output, s.output
    assert "SUCCESS" in s.output
    assert s.returncode is not None, "the gateway did not close the connection after `Connection: close`"


@pytest.mark.parametrize("offer", ["http/1.1", "h2,http/1.1"])
def test_alpn_http11(gw, offer):
    r = _sc(gw, "public.test", "1.3", alpn=offer)
    assert r.alpn == "http/1.1", r.output


def test_curl_offering_h2_gets_http11(gw, std_pki):
    r = curl("public.test", gw.port, "/h", cacert=std_pki.server_ca.cert_path, http2=True)
    assert r.status == 200, r
    assert r.http_version == "1.1", r.extra.get("info")


# --- SNI certificate selection ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sni_certs(std_pki):
    p = std_pki.pki
    alpha = p.issue("alpha-wild", std_pki.server_ca, cn="alpha wildcard", sans=[("DNS", "*.alpha.test")],
                    eku=["serverAuth"])
    beta = p.issue("beta-only", std_pki.server_ca, cn="beta server", sans=[("DNS", "beta.test")], eku=["serverAuth"])
    return {"alpha": alpha, "beta": beta}


@pytest.fixture(scope="module", params=["alpha-first", "beta-first"])
def sni_gw(request, module_gateway, std_pki, sni_certs):
    order = ["alpha", "beta"] if request.param == "alpha-first" else ["beta", "alpha"]
    lst = {"address": "127.0.0.1:${PORT}", "protocol": "https",
           "certificates": [cert_entry(std_pki, sni_certs[n]) for n in order]}
    routes = [route("https://x.alpha.test", "echo://", mtls={"mode": "off"}),
              route("https://beta.test", "echo://", mtls={"mode": "off"})]
    gw = module_gateway(gateway_config(std_pki, routes, listeners=[lst]))
    return gw, order[0]


@pytest.mark.parametrize("sni,want", [
    ("x.alpha.test", "alpha"),
    ("X.ALPHA.test", "alpha"),
    ("beta.test", "beta"),
    ("unknown.test", "first"),
    ("alpha.test", "first"),  # a wildcard covers exactly one label
    ("a.b.alpha.test", "first"),
    (None, "first"),
])
def test_sni_selects_certificate(sni_gw, sni_certs, sni, want):
    gw, first = sni_gw
    want = first if want == "first" else want
    r = s_client(gw.port, servername=sni, tls="1.3")
    assert r.handshake_ok, r.output
    assert r.server_cert is not None, r.output
    assert r.server_cert == sni_certs[want].cert, (
        f"SNI {sni!r}: got {r.server_cert_dns_names}, want {want} ({sni_certs[want].sans})")


@pytest.mark.parametrize("tls", ["1.2", "1.3"])
def test_sni_certificate_verifies_with_curl(sni_gw, std_pki, tls):
    gw, _ = sni_gw
    for host in ("x.alpha.test", "beta.test"):
        r = curl(host, gw.port, "/", cacert=std_pki.server_ca.cert_path, tls=tls)
        assert r.status == 200, (host, r)
