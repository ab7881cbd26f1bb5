"""`mtls.allowed_signature_algorithms` (docs/configuration.md, "mTLS"): every certificate of the client's
path but the trust anchor must be signed with a listed algorithm, else reason `bad_signature_algorithm`
(401, or alert 42 on a reject_connection host). The PKI (EC P-256 keys throughout):

    sig-root (self-signed with SHA-384: the anchor's own signature is never checked)
    ├── leaf256   ecdsa-with-SHA256
    ├── leaf384   ecdsa-with-SHA384
    ├── leaf_sha1 ecdsa-with-SHA1
    └── inter384  (signed ecdsa-with-SHA384) ── via384 (ecdsa-with-SHA256)
"""

from __future__ import annotations

import re
import ssl
import warnings

import pytest
from cryptography.hazmat.primitives import hashes

from harness.clients import curl, fetch, s_client
from harness.configs import gateway_config, listener, route
from harness.gateway import validate_config, write_config
from harness.pki import PKI

MSG_FAILED = "TLS certificate failed verification"
ONLY_256 = ["ecdsa-with-SHA256"]
HOSTS = ["only256", "both", "sha1", "any", "optional", "reject"]


def _sha1_leaf(p, root):
    with warnings.catch_warnings():  # deprecated on purpose: the test needs a SHA-1 signature
        warnings.simplefilter("ignore")
        return p.leaf(root, "leaf_sha1", sig_hash=hashes.SHA1())


@pytest.fixture(scope="module")
def spki(tmp_path_factory):
    p = PKI(tmp_path_factory.mktemp("sigalg"))
    server_ca = p.root_ca("sig-server-ca")
    server = p.server_cert(server_ca, "server", hosts=[f"{h}.localhost" for h in HOSTS])
    root = p.root_ca("sig-root", sig_hash=hashes.SHA384())
    inter = p.intermediate(root, "inter384", path_len=0, sig_hash=hashes.SHA384())
    return {
        "server_ca": server_ca,
        "server": server,
        "root": root,
        "leaf256": p.leaf(root, "leaf256"),
        "leaf384": p.leaf(root, "leaf384", sig_hash=hashes.SHA384()),
        "leaf_sha1": _sha1_leaf(p, root),
        "via384": p.leaf(inter, "via384"),
    }


@pytest.fixture(scope="module")
def gw(module_gateway, std_pki, spki):
    ca = str(spki["root"].cert_path)

    def mtls(allowed=None, mode="required"):
        d = {"mode": mode, "ca_file": ca, "max_verify_depth": 2}
        if allowed is not None:
            d["allowed_signature_algorithms"] = allowed
        return d

    routes = [
        route("https://only256.localhost", "echo://", mtls=mtls(ONLY_256)),
        route("https://both.localhost", "echo://", mtls=mtls(["ecdsa-with-SHA256", "ecdsa-with-SHA384"])),
        route("https://sha1.localhost", "echo://", mtls=mtls(["ecdsa-with-SHA256", "ecdsa-with-SHA1"])),
        route("https://any.localhost", "echo://", mtls=mtls()),
        route("https://optional.localhost", "echo://", mtls=mtls(ONLY_256, "optional")),
        route("https://reject.localhost", "echo://", mtls=mtls(ONLY_256, "reject_connection")),
    ]
    server = {"cert_file": str(spki["server"].cert_path), "key_file": str(spki["server"].key_path)}
    return module_gateway(gateway_config(std_pki, routes, listeners=[{**listener(std_pki), "certificates": [server]}]))


def _get(gw, spki, host: str, cert):
    return curl(f"{host}.localhost", gw.port, "/", cacert=spki["server_ca"].cert_path,
                cert=cert.chain_path or cert.cert_path, key=cert.key_path)


def _status_and_body(gw, spki, host: str, cert):
    if cert.name != "leaf_sha1":
        r = _get(gw, spki, host, cert)
        return r.status, r.json()
    # curl's OpenSSL refuses to even load a SHA-1 signed certificate at its security level; Python's ssl
    # can lower the level before loading it.
    ctx = ssl.create_default_context(cafile=str(spki["server_ca"].cert_path))
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    ctx.load_cert_chain(cert.cert_path, cert.key_path)
    r = fetch(gw.port, f"{host}.localhost", ctx)
    return r.status, r.body


@pytest.mark.parametrize("host,name,status,reason", [
    ("only256", "leaf256", 200, "allowed"),
    ("only256", "leaf384", 401, "bad_signature_algorithm"),
    ("only256", "via384", 401, "bad_signature_algorithm"),   # the intermediate's signature
    ("only256", "leaf_sha1", 401, "bad_signature_algorithm"),
    ("both", "leaf384", 200, "allowed"),
    ("both", "via384", 200, "allowed"),
    ("any", "leaf384", 200, "allowed"),
    ("any", "via384", 200, "allowed"),
    # SHA-1 stays refused by OpenSSL's security level, listed or not.
    ("sha1", "leaf_sha1", 401, "weak_key"),
    ("any", "leaf_sha1", 401, "weak_key"),
])
def test_signature_algorithm_list(gw, std_pki, spki, host, name, status, reason):
    got, body = _status_and_body(gw, spki, host, spki[name])
    assert got == status, body
    if status == 401:
        assert body["message"] == MSG_FAILED
    e = gw.wait_for_log(lambda e: e.get("host", "").startswith(f"{host}.localhost") and e.get("status") == status
                        and e.get("reason") == reason)
    assert e["reason"] == reason, e


def test_refusal_names_the_certificate_and_algorithm(gw, std_pki, spki):
    assert _get(gw, spki, "only256", spki["via384"]).status == 401
    pattern = (r"reason=bad_signature_algorithm .*the certificate at depth 1 \(CN=inter384[^)]*\) is signed with "
               r"ecdsa-with-SHA384, which mtls.allowed_signature_algorithms does not list \(ecdsa-with-SHA256\)")
    assert re.search(pattern, gw.stderr_text()), gw.stderr_text()[-3000:]


def test_optional_route_passes_with_the_reason(gw, std_pki, spki):
    r = _get(gw, spki, "optional", spki["leaf384"])
    assert r.status == 200, r
    headers = r.json()["headers"]
    assert headers["x-client-cert-verify"] == "FAILED:bad_signature_algorithm"
    assert "x-client-cert-subject-dn" not in headers


@pytest.mark.parametrize("tls", ["1.3", "1.2"])
def test_reject_connection_refuses_in_the_handshake(gw, spki, tls):
    cert = spki["leaf384"]
    r = s_client(gw.port, servername="reject.localhost", tls=tls, cert=cert.cert_path, key=cert.key_path,
                 ign_eof=True, stdin=b"GET / HTTP/1.1\r\nHost: reject.localhost\r\nConnection: close\r\n\r\n")
    assert "SSL alert number 42" in r.output, r.output
    assert "HTTP/1.1" not in r.output
    assert re.search(r"handshake rejected .* sni=reject\.localhost .*reason=bad_signature_algorithm alert=42",
                     gw.stderr_text()), gw.stderr_text()[-3000:]
    ok = spki["leaf256"]
    r = s_client(gw.port, servername="reject.localhost", tls=tls, cert=ok.cert_path, key=ok.key_path, ign_eof=True,
                 stdin=b"GET / HTTP/1.1\r\nHost: reject.localhost\r\nConnection: close\r\n\r\n")
    assert "HTTP/1.1 200" in r.output, r.output


def test_unknown_algorithm_is_a_config_error_with_its_line(certgate_bin, std_pki, spki, tmp_path):
    cfg = gateway_config(std_pki, [route("https://app.localhost", "echo://")],
                         mtls={"mode": "required", "allowed_signature_algorithms": ["ecdsa-with-SHA256", "sha257"]})
    path = write_config(std_pki.dir, cfg, name="sigalg-bad.yaml", ports=[8443])
    rc, out, err = validate_config(certgate_bin, path)
    assert rc != 0
    assert re.search(r"sigalg-bad\.yaml:\d+: mtls\.allowed_signature_algorithms: 'sha257' is not a signature "
                     r"algorithm", out + err), out + err


def test_reject_connection_routes_of_one_host_must_agree_on_the_list(certgate_bin, std_pki, spki):
    ca = str(spki["root"].cert_path)
    routes = [route("https://app.localhost", "echo://", mtls={"mode": "reject_connection", "ca_file": ca,
                                                              "allowed_signature_algorithms": ONLY_256}),
              route("https://app.localhost/other", "echo://", mtls={"mode": "reject_connection", "ca_file": ca})]
    path = write_config(std_pki.dir, gateway_config(std_pki, routes), name="sigalg-disagree.yaml", ports=[8443])
    rc, out, err = validate_config(certgate_bin, path)
    assert rc != 0
    assert re.search(r"sigalg-disagree\.yaml:\d+: route https://app\.localhost/other uses reject_connection with "
                     r"another trust bundle, max_verify_depth or allowed_signature_algorithms", out + err), out + err
