"""docs/interop.md's recipes, run as written, and what a running certgate makes of their output.

Each recipe is the ```sh block between `<!-- recipe:NAME -->` and `<!-- /recipe:NAME -->`, run with
`bash -e` in a fresh directory. The tools come from Debian 12 (golang-cfssl 1.2, mkcert 1.4.4, openssl 3);
a missing tool fails the test (scripts/install-deps.sh installs them), it never skips.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from harness.clients import curl
from harness.configs import listener, route

REPO = Path(__file__).resolve().parents[2]
MSG_FAILED = "TLS certificate failed verification"


def _recipe(name: str) -> str:
    text = (REPO / "docs" / "interop.md").read_text()
    m = re.search(rf"<!-- recipe:{re.escape(name)} -->\n```sh\n(.*?)```\n<!-- /recipe:{re.escape(name)} -->", text,
                  flags=re.S)
    assert m, f"docs/interop.md has no recipe {name!r}"
    return m.group(1)


def _need(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None]
    assert not missing, (f"{', '.join(missing)} not installed: run scripts/install-deps.sh "
                         "(Debian packages golang-cfssl, mkcert, openssl)")


def _run(name: str, cwd: Path, env: dict | None = None) -> str:
    import os
    proc = subprocess.run(["bash", "-e", "-c", _recipe(name)], cwd=cwd, capture_output=True, text=True,
                          timeout=120, env={**os.environ, **(env or {})})
    assert proc.returncode == 0, f"recipe {name} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout + proc.stderr


def _config(std_pki, ca: Path, *, crl: Path | None = None, routes=None) -> dict:
    mtls: dict = {"mode": "required"}
    if crl is not None:
        mtls["crl_file"] = str(crl)
    return {
        "workers": 1,
        "access_log": "stdout",
        "listeners": [{**listener(std_pki),
                       "certificates": [{"cert_file": str(std_pki.server.cert_path),
                                         "key_file": str(std_pki.server.key_path)}]}],
        "client_ca_file": str(ca),
        "mtls": mtls,
        "routes": routes or [route("https://app.test", "echo://")],
    }


def _get(gw, std_pki, cert: Path, key: Path, host="app.test"):
    return curl(host, gw.port, "/", cacert=std_pki.server_ca.cert_path, cert=cert, key=key)


def _start(gateway_factory, cfg, workdir: Path):
    return gateway_factory(cfg, config_dir=workdir)


# --- cfssl -----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cfssl_dir(tmp_path_factory) -> Path:
    _need("cfssl", "cfssljson", "base64")
    d = tmp_path_factory.mktemp("cfssl")
    _run("cfssl", d)
    _run("cfssl-crl", d)
    return d


def test_cfssl_empty_host_client_certificate_gets_200(cfssl_dir, gateway_factory, std_pki):
    # The recipe's "hosts": [""] puts an empty dNSName in the certificate.
    text = subprocess.run(["openssl", "x509", "-in", cfssl_dir / "alice.pem", "-noout", "-ext", "subjectAltName"],
                          capture_output=True, text=True, check=True).stdout
    assert re.search(r"DNS:\s*$", text, flags=re.M), text
    gw = _start(gateway_factory, _config(std_pki, cfssl_dir / "ca.pem"), cfssl_dir)
    r = _get(gw, std_pki, cfssl_dir / "alice.pem", cfssl_dir / "alice-key.pem")
    assert r.status == 200, r
    headers = r.json()["headers"]
    assert headers["x-client-cert-verify"] == "SUCCESS"
    assert headers["x-client-cert-subject-dn"] == "CN=alice"
    assert "x-client-cert-san" not in headers or "DNS" not in headers["x-client-cert-san"], headers


def test_cfssl_empty_dns_name_never_matches_a_san_dns_criterion(cfssl_dir, gateway_factory, std_pki):
    routes = [route("https://app.test", "echo://"),
              {**route("https://req.test", "echo://"), "policy": [{"allow": {"san_dns": {"regex": ".*"}}}]}]
    gw = _start(gateway_factory, _config(std_pki, cfssl_dir / "ca.pem", routes=routes), cfssl_dir)
    r = _get(gw, std_pki, cfssl_dir / "alice.pem", cfssl_dir / "alice-key.pem", host="req.test")
    assert r.status == 403, r
    e = gw.wait_for_log(lambda e: e.get("status") == 403)
    assert e["reason"] == "policy_denied", e


def test_cfssl_crl_without_crl_number_revokes_a_client(cfssl_dir, gateway_factory, std_pki):
    der = (cfssl_dir / "crl.der").read_bytes()
    text = subprocess.run(["openssl", "crl", "-inform", "DER", "-noout", "-text"], input=der,
                          capture_output=True, check=True).stdout.decode()
    assert "CRL Number" not in text, text  # what makes cfssl 1.2's CRLs special
    gw = _start(gateway_factory, _config(std_pki, cfssl_dir / "ca.pem", crl=cfssl_dir / "crl.der"),
                cfssl_dir)
    assert "has no CRL number (RFC 5280 section 5.2.3); accepted" in gw.stderr_text()
    bob = curl("app.test", gw.port, "/", cacert=std_pki.server_ca.cert_path, cert=cfssl_dir / "bob.pem",
               key=cfssl_dir / "bob-key.pem")
    assert bob.status == 401, bob
    assert bob.json()["message"] == MSG_FAILED
    e = gw.wait_for_log(lambda e: e.get("status") == 401)
    assert (e["reason"], e["verify"]) == ("revoked", "FAILED:revoked"), e
    assert re.search(r"denied .*reason=revoked", gw.stderr_text()), gw.stderr_text()[-2000:]
    alice = _get(gw, std_pki, cfssl_dir / "alice.pem", cfssl_dir / "alice-key.pem")
    assert alice.status == 200, alice


# --- mkcert ----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def mkcert_dir(tmp_path_factory) -> Path:
    _need("mkcert", "openssl")
    d = tmp_path_factory.mktemp("mkcert")
    _run("mkcert", d)
    return d


def test_mkcert_client_certificate_gets_200(mkcert_dir, gateway_factory, std_pki):
    gw = _start(gateway_factory, _config(std_pki, mkcert_dir / "mkcert-ca" / "rootCA.pem"), mkcert_dir)
    r = _get(gw, std_pki, mkcert_dir / "alice@example.com-client.pem", mkcert_dir / "alice@example.com-client-key.pem")
    assert r.status == 200, r
    headers = r.json()["headers"]
    assert headers["x-client-cert-verify"] == "SUCCESS"
    assert headers["x-client-cert-san"] == "email:alice@example.com"


def test_mkcert_p12_needs_the_legacy_provider(mkcert_dir, gateway_factory, std_pki):
    p12 = mkcert_dir / "alice@example.com-client.p12"
    plain = subprocess.run(["openssl", "pkcs12", "-in", p12, "-passin", "pass:changeit", "-nodes"],
                           capture_output=True, text=True)
    assert plain.returncode != 0 and "RC2-40" in plain.stderr, plain.stderr  # what the docs warn about
    _run("mkcert-p12", mkcert_dir)
    modern = subprocess.run(["openssl", "pkcs12", "-in", mkcert_dir / "alice-modern.p12", "-passin",
                             "pass:changeit", "-noout", "-info"], capture_output=True, text=True)
    assert modern.returncode == 0 and "AES-256-CBC" in modern.stderr, modern.stderr
    gw = _start(gateway_factory, _config(std_pki, mkcert_dir / "mkcert-ca" / "rootCA.pem"), mkcert_dir)
    pem = mkcert_dir / "alice-from-p12.pem"
    r = _get(gw, std_pki, pem, pem)
    assert r.status == 200, r
    r = curl("app.test", gw.port, "/", cacert=std_pki.server_ca.cert_path,
             cert=f"{mkcert_dir / 'alice-modern.p12'}:changeit", extra=["--cert-type", "P12"])
    assert r.status == 200, r


# --- openssl ---------------------------------------------------------------------------------------------

def test_openssl_recipe_issues_and_revokes(tmp_path, gateway_factory, std_pki):
    _need("openssl")
    _run("openssl", tmp_path)
    gw = _start(gateway_factory, _config(std_pki, tmp_path / "ca.pem", crl=tmp_path / "crl.pem"), tmp_path)
    assert _get(gw, std_pki, tmp_path / "alice.pem", tmp_path / "alice.key").status == 200
    bob = _get(gw, std_pki, tmp_path / "bob.pem", tmp_path / "bob.key")
    assert bob.status == 401, bob
    e = gw.wait_for_log(lambda e: e.get("status") == 401)
    assert e["reason"] == "revoked", e
