"""CRLs of intermediates that clients send (docs/revocation.md, "CRL files"): the trust bundle holds the root
only, the clients send leaf + intermediate, and the crl_file holds the intermediate's CRL, which certgate
can verify only against the intermediate a verified chain brings. Made with `certgate pki`:

    root  (the trust bundle)
    ├── issuing   alice (good), bob (revoked by issuing's CRL)
    └── doomed    (revoked by the root's CRL)  erin
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.clients import curl
from harness.configs import gateway_config, route
from harness.revocation import Toolkit

MSG_FAILED = "TLS certificate failed verification"


@pytest.fixture(scope="module")
def ipki(certgate_bin, tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("intermediate-crl")
    pki = Toolkit(certgate_bin, d)
    pki("init-ca", "root", "--name", "Sent Root")
    pki("init-intermediate", "issuing", "--ca", "root", "--name", "Sent Issuing")
    pki("init-intermediate", "doomed", "--ca", "root", "--name", "Sent Doomed")
    for name in ("alice", "bob"):
        pki("issue", "client", "--ca", "issuing", "--cn", name, "--out", name)
    pki("issue", "client", "--ca", "doomed", "--cn", "erin", "--out", "erin")
    pki("revoke", "--ca", "issuing", "--cert", "bob.pem", "--reason", "keyCompromise")
    pki("revoke", "--ca", "root", "--cert", "doomed/ca.pem", "--reason", "cACompromise")
    pki("crl", "--ca", "issuing", "--out", "issuing.crl")
    pki("crl", "--ca", "doomed", "--out", "doomed.crl")
    pki("crl", "--ca", "root", "--out", "root.crl")
    (d / "all.crl").write_bytes(b"".join((d / f).read_bytes() for f in ("root.crl", "issuing.crl", "doomed.crl")))
    return d


def _gateway(gateway_factory, std_pki, ipki: Path, crl: str, scope: str):
    routes = [route("https://app.test", "echo://")]
    cfg = gateway_config(std_pki, routes, client_ca_file=str(ipki / "root" / "ca.pem"),
                         mtls={"mode": "required", "max_verify_depth": 2, "crl_file": str(ipki / crl),
                               "crl_scope": scope})
    return gateway_factory(cfg)


def _get(gw, std_pki, ipki: Path, name: str):
    return curl("app.test", gw.port, "/", cacert=std_pki.server_ca.cert_path,
                cert=ipki / f"{name}-chain.pem", key=ipki / f"{name}.key")


@pytest.mark.parametrize("scope,crl", [("leaf", "issuing.crl"), ("chain", "all.crl")])
def test_crl_of_a_client_sent_intermediate_revokes_its_leaves(gateway_factory, std_pki, ipki, scope, crl):
    gw = _gateway(gateway_factory, std_pki, ipki, crl, scope)
    # Not an error at start: a warning that the CRL waits for a chain that brings its issuer.
    assert re.search(r"is issued by 'CN=Sent Issuing', which is not a CA of the trust bundle", gw.stderr_text())
    alice = _get(gw, std_pki, ipki, "alice")
    assert alice.status == 200, alice
    assert alice.json()["headers"]["x-client-cert-verify"] == "SUCCESS"
    bob = _get(gw, std_pki, ipki, "bob")
    assert bob.status == 401, bob
    assert bob.json()["message"] == MSG_FAILED
    e = gw.wait_for_log(lambda e: e.get("status") == 401)
    assert (e["reason"], e["verify"]) == ("revoked", "FAILED:revoked"), e
    assert re.search(r"denied .*reason=revoked .*is revoked by the CRL", gw.stderr_text()), gw.stderr_text()[-3000:]
    # Verified once against the intermediate's key, then reused: one log line however many requests.
    for _ in range(3):
        assert _get(gw, std_pki, ipki, "bob").status == 401
    assert len(re.findall(r"verified with the key of 'CN=Sent Issuing'", gw.stderr_text())) == 1, gw.stderr_text()


def test_chain_scope_applies_the_roots_crl_to_the_sent_intermediate(gateway_factory, std_pki, ipki):
    leaf_only = _gateway(gateway_factory, std_pki, ipki, "all.crl", "leaf")
    assert _get(leaf_only, std_pki, ipki, "erin").status == 200  # doomed's own CRL does not list erin
    chain = _gateway(gateway_factory, std_pki, ipki, "all.crl", "chain")
    erin = _get(chain, std_pki, ipki, "erin")
    assert erin.status == 401, erin
    e = chain.wait_for_log(lambda e: e.get("status") == 401)
    assert e["reason"] == "revoked", e
    assert "CA certificate 'CN=Sent Doomed'" in chain.stderr_text(), chain.stderr_text()[-3000:]
    assert _get(chain, std_pki, ipki, "alice").status == 200


def test_a_crl_that_no_chain_verifies_gives_no_answer(certgate_bin, gateway_factory, std_pki, ipki, tmp_path):
    # A CA outside the root's tree that carries the intermediate's name: its CRL loads (with a warning) but
    # never verifies against the real intermediate, so it answers nothing (ignore_ca_error: bob passes).
    other = Toolkit(certgate_bin, tmp_path)
    other("init-ca", "fake", "--name", "Sent Issuing")
    other("crl", "--ca", "fake", "--out", "fake.crl")
    gw = _gateway(gateway_factory, std_pki, ipki, str(tmp_path / "fake.crl"), "leaf")
    bob = _get(gw, std_pki, ipki, "bob")
    assert bob.status == 200, bob
    assert re.search(r"cannot be used for the certificate with that name .*does not verify", gw.stderr_text()), \
        gw.stderr_text()[-3000:]
