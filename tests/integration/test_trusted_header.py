"""Trusted-header input: certgate behind a load balancer that terminated TLS. From an address in
trusted_proxies the certificate in client_certificate_header is validated exactly like one from a TLS
handshake (trust, depth, expiry, reason codes, headers, access log); from any other address the header is
removed and ignored.

The test client plays the load balancer: it connects over TLS from 127.0.0.1 without a client
certificate and sends the header.
"""

from __future__ import annotations

import base64
import datetime
import urllib.parse

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from harness.checks import MSG_FAILED, MSG_NO_CERT, assert_json_message, find_log, hvals, token, upstream_headers
from harness.clients import TLSClient, curl
from harness.configs import gateway_config, route

HEADER = "ssl-client-cert"


def escaped(*certs) -> str:
    return urllib.parse.quote(b"".join(c.pem() for c in certs).decode(), safe="-._~")


def b64der(*certs) -> str:
    return ",".join(base64.b64encode(c.der()).decode() for c in certs)


def xfcc(*certs) -> str:
    return f'By=spiffe://lb;Hash={certs[0].fingerprint_sha256};Cert="{escaped(certs[0])}";Chain="{escaped(*certs)}"'


def _routes(up):
    return [
        route("https://req.test", up),
        route("https://deep.test", up, mtls={"max_verify_depth": 2}),
        route("https://opt.test", up, mtls={"mode": "optional"}),
        route("https://echo.test", "echo://"),
    ]


def _gateway(make, std, up, trusted, fmt, name=HEADER):
    cfg = gateway_config(std, _routes(up))
    cfg["trusted_proxies"] = trusted
    cfg["client_certificate_header"] = {"name": name, "format": fmt}
    return make(cfg)


@pytest.fixture(scope="module")
def trusted(module_gateway, std_pki, upstream):
    return _gateway(module_gateway, std_pki, upstream.url, ["10.0.0.0/8", "127.0.0.1"], "escaped_pem")


@pytest.fixture(scope="module")
def untrusted(module_gateway, std_pki, upstream):
    return _gateway(module_gateway, std_pki, upstream.url, ["192.0.2.0/24", "::1"], "escaped_pem")


def lb_get(gw, std, value=None, host="req.test", cert=None, headers=(), name=HEADER):
    """A request as the load balancer sends it: no client certificate (unless `cert`), the header."""
    hdrs = list(headers) + ([(name, value)] if value is not None else [])
    c = std[cert] if cert else None
    return curl(host, gw.port, f"/lb/{token()}", cacert=std.server_ca.cert_path, cert=c.cert_path if c else None,
                key=c.key_path if c else None, headers=hdrs)


# --- from a trusted proxy ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["alice", "rsa_client", "bob"])
def test_trusted_header_is_validated_like_tls(trusted, std_pki, name):
    c = std_pki[name]
    r = lb_get(trusted, std_pki, escaped(c))
    assert r.status == 200, r
    hs = upstream_headers(r)
    assert hvals(hs, "X-Client-Cert-Verify") == ["SUCCESS"]
    assert hvals(hs, "X-Client-Cert-Fingerprint") == [c.fingerprint_sha256]
    assert hvals(hs, "X-Client-Cert-Subject-DN") == [c.subject_rfc2253]
    assert hvals(hs, HEADER) == []  # the input header never reaches the upstream
    e = find_log(trusted, r.local_port)
    assert (e["status"], e["reason"], e["verify"], e["cert_fingerprint"]) == (200, "allowed", "SUCCESS",
                                                                              c.fingerprint_sha256)


@pytest.mark.parametrize("name,reason", [("untrusted", "untrusted_issuer"), ("carol", "untrusted_issuer"),
                                         ("expired", "expired"), ("ca_as_leaf", "ca_as_leaf"),
                                         ("server_only", "bad_purpose")])
def test_trusted_header_rejections_match_tls(trusted, std_pki, name, reason):
    r = lb_get(trusted, std_pki, escaped(std_pki[name]))
    assert_json_message(r, 401, MSG_FAILED)
    e = find_log(trusted, r.local_port)
    assert (e["status"], e["reason"], e["verify"]) == (401, reason, f"FAILED:{reason}")
    assert reason not in r.text


def test_trusted_header_chain_and_depth(trusted, std_pki):
    deep, inter = std_pki.deep, std_pki.inter1
    assert lb_get(trusted, std_pki, escaped(deep, inter), host="deep.test").status == 200
    r = lb_get(trusted, std_pki, escaped(deep, inter))  # req.test: depth 1
    assert_json_message(r, 401, MSG_FAILED)
    assert find_log(trusted, r.local_port)["reason"] == "depth_exceeded"


@pytest.mark.parametrize("value", ["garbage", "%zz",
                                   "-----BEGIN%20CERTIFICATE-----%0AAAAA%0A-----END%20CERTIFICATE-----%0A"])
def test_malformed_header_is_an_invalid_certificate(trusted, std_pki, value):
    r = lb_get(trusted, std_pki, value)
    assert_json_message(r, 401, MSG_FAILED)
    e = find_log(trusted, r.local_port)
    assert (e["reason"], e["verify"]) == ("invalid_certificate", "FAILED:invalid_certificate")
    opt = lb_get(trusted, std_pki, value, host="opt.test")
    assert opt.status == 200
    assert hvals(upstream_headers(opt), "X-Client-Cert-Verify") == ["FAILED:invalid_certificate"]


def test_header_sent_twice_is_an_invalid_certificate(trusted, std_pki):
    a = escaped(std_pki.alice)
    r = lb_get(trusted, std_pki, a, headers=[(HEADER.upper(), a)])
    assert_json_message(r, 401, MSG_FAILED)
    assert find_log(trusted, r.local_port)["reason"] == "invalid_certificate"


def test_no_header_from_trusted_proxy_is_no_certificate(trusted, std_pki):
    r = lb_get(trusted, std_pki)
    assert_json_message(r, 401, MSG_NO_CERT)
    assert find_log(trusted, r.local_port)["reason"] == "no_certificate"
    # the proxy's own TLS certificate is not its clients' identity
    r = lb_get(trusted, std_pki, cert="alice")
    assert_json_message(r, 401, MSG_NO_CERT)
    opt = lb_get(trusted, std_pki, host="opt.test")
    assert hvals(upstream_headers(opt), "X-Client-Cert-Verify") == ["NONE"]


def test_keep_alive_connection_carries_several_clients(trusted, std_pki):
    with TLSClient(trusted.port, "req.test", cacert=std_pki.server_ca.cert_path) as cl:
        for name in ["alice", "bob", "alice", "untrusted", "rsa_client", "tricky", "bob"]:
            c = std_pki[name]
            r = cl.get(f"/t/{token()}", headers=[(HEADER, escaped(c))])
            if name == "untrusted":
                assert r.status == 401, r
                continue
            assert r.status == 200, (name, r)
            assert hvals(upstream_headers(r), "X-Client-Cert-Fingerprint") == [c.fingerprint_sha256], name
        assert cl.connect_count == 1


def test_host_differing_from_sni_is_not_misdirected(trusted, std_pki):
    # the load balancer's SNI names certgate's host; the request's Host is the one the client asked for
    with TLSClient(trusted.port, "req.test", cacert=std_pki.server_ca.cert_path, host_header="deep.test") as cl:
        r = cl.get(f"/t/{token()}", headers=[(HEADER, escaped(std_pki.deep, std_pki.inter1))])
    assert r.status == 200, r


@pytest.mark.parametrize("fmt,encode", [("base64_der", b64der), ("xfcc", xfcc)])
def test_other_input_formats(module_gateway, std_pki, upstream, fmt, encode):
    name = "X-Forwarded-Client-Cert" if fmt == "xfcc" else "X-SSL-Client-Der"
    g = _gateway(module_gateway, std_pki, upstream.url, ["127.0.0.1/32"], fmt, name=name)
    alice, deep, inter = std_pki.alice, std_pki.deep, std_pki.inter1
    r = lb_get(g, std_pki, encode(alice), name=name)
    assert r.status == 200, r
    hs = upstream_headers(r)
    assert hvals(hs, "X-Client-Cert-Fingerprint") == [alice.fingerprint_sha256]
    assert hvals(hs, name) == []
    assert lb_get(g, std_pki, encode(deep, inter), host="deep.test", name=name).status == 200
    assert lb_get(g, std_pki, encode(std_pki.untrusted), name=name).status == 401
    bad = lb_get(g, std_pki, "Hash=00" if fmt == "xfcc" else "bm90IGEgY2VydA==", name=name)
    assert bad.status == 401 and find_log(g, bad.local_port)["reason"] == "invalid_certificate"
    if fmt == "xfcc":  # the last element is the nearest proxy's: the one that counts
        assert lb_get(g, std_pki, xfcc(std_pki.untrusted) + "," + xfcc(alice), name=name).status == 200
        assert lb_get(g, std_pki, xfcc(alice) + "," + xfcc(std_pki.untrusted), name=name).status == 401


def _crl_revoking(std, *certs):
    """A CRL from ca1 revoking `certs`, written next to the config (cryptography, not certgate)."""
    ca = std.ca1
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    builder = (x509.CertificateRevocationListBuilder().issuer_name(ca.cert.subject)
               .last_update(now - datetime.timedelta(minutes=5)).next_update(now + datetime.timedelta(days=7))
               .add_extension(x509.CRLNumber(1), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False))
    for c in certs:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(c.cert.serial_number)
            .revocation_date(now - datetime.timedelta(minutes=1)).build())
    crl = builder.sign(ca.key, hashes.SHA256())
    path = std.dir / f"trusted-header-{token()}.crl"
    path.write_bytes(crl.public_bytes(serialization.Encoding.PEM))
    return path.name


def test_revocation_identity_and_policy_apply_to_header_certificates(module_gateway, std_pki, upstream):
    up = upstream.url
    revoked = route("https://req.test/revoked", up, mtls={"crl_file": _crl_revoking(std_pki, std_pki.alice)})
    policed = route("https://req.test/bob-only", up)
    policed["policy"] = [{"allow": {"common_name": {"is": "bob"}}}]
    mapped = route("https://req.test/mapped", up)
    mapped["identity"] = {"certificate_attribute": "common_name", "consumer_attribute": "username"}
    cfg = gateway_config(std_pki, [revoked, policed, mapped, route("https://req.test", up)])
    cfg["consumers"] = [{"username": "bob", "custom_id": "emp-7"}]
    cfg["trusted_proxies"] = ["127.0.0.1"]
    cfg["client_certificate_header"] = {"name": HEADER, "format": "escaped_pem"}
    g = module_gateway(cfg)

    def at(path, name):
        return curl("req.test", g.port, f"{path}/{token()}", cacert=std_pki.server_ca.cert_path,
                    headers=[(HEADER, escaped(std_pki[name]))])

    r = at("/revoked", "alice")
    assert_json_message(r, 401, MSG_FAILED)
    assert find_log(g, r.local_port)["reason"] == "revoked"
    assert at("/revoked", "bob").status == 200  # bob is from ca3: ca1's CRL does not cover him
    r = at("/bob-only", "alice")
    assert r.status == 403 and find_log(g, r.local_port)["reason"] == "policy_denied"
    assert at("/bob-only", "bob").status == 200
    r = at("/mapped", "bob")
    assert r.status == 200 and hvals(upstream_headers(r), "X-Consumer-Custom-ID") == ["emp-7"]
    r = at("/mapped", "alice")
    assert r.status == 401 and find_log(g, r.local_port)["reason"] == "consumer_not_found"


# --- from any other address -------------------------------------------------------------------------------

def test_untrusted_source_header_is_stripped_and_ignored(untrusted, std_pki):
    r = lb_get(untrusted, std_pki, escaped(std_pki.alice))
    assert_json_message(r, 401, MSG_NO_CERT)
    opt = lb_get(untrusted, std_pki, escaped(std_pki.alice), host="opt.test",
                 headers=[(HEADER.upper(), "second copy"), ("Ssl-Client-Cert", "third")])
    hs = upstream_headers(opt)
    assert hvals(hs, HEADER) == []
    assert hvals(hs, "X-Client-Cert-Verify") == ["NONE"]
    # a real TLS client certificate is used as usual; the header does not replace it
    r = lb_get(untrusted, std_pki, escaped(std_pki.bob), cert="alice")
    assert r.status == 200
    hs = upstream_headers(r)
    assert hvals(hs, "X-Client-Cert-Fingerprint") == [std_pki.alice.fingerprint_sha256]
    assert hvals(hs, HEADER) == []


def test_untrusted_source_echo_never_sees_the_header(untrusted, std_pki):
    c = std_pki.alice
    with TLSClient(untrusted.port, "echo.test", cacert=std_pki.server_ca.cert_path, cert=c.cert_path,
                   key=c.key_path) as cl:
        h = cl.get("/x", headers=[(HEADER, "spoofed"), (HEADER.title(), "spoofed")]).json()["headers"]
    assert HEADER not in h
