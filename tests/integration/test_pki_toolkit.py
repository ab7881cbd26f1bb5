"""Integration tests for `certgate pki`, checked with the real `openssl` binary as independent judge.

Self-contained (stdlib + subprocess). Run with:
    CERTGATE_BIN=$PWD/build/certgate /usr/bin/python3 -m pytest -q tests/integration/test_pki_toolkit.py
"""

import base64
import hashlib
import json
import os
import re
import shutil
import stat
import subprocess

import pytest

CERTGATE = os.environ.get("CERTGATE_BIN")
OPENSSL = shutil.which("openssl")

pytestmark = [
    pytest.mark.skipif(not CERTGATE, reason="CERTGATE_BIN is not set"),
    pytest.mark.skipif(OPENSSL is None, reason="the openssl binary is needed as the checker"),
]


# --- helpers -----------------------------------------------------------------------------------


def run(cmd, cwd, expect_rc=0, stdin=None):
    result = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, input=stdin, capture_output=True, text=True, timeout=120
    )
    # Against a -DCERTGATE_SANITIZE=ON build: any ASan/LSan/UBSan report fails the test.
    assert "Sanitizer" not in result.stderr and "runtime error:" not in result.stderr, result.stderr
    if expect_rc is not None:
        assert result.returncode == expect_rc, (
            f"{cmd} exited {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        )
    return result


def certgate(cwd, *args, expect_rc=0):
    return run([CERTGATE, *args], cwd, expect_rc)


def openssl(cwd, *args, expect_rc=0, stdin=None):
    return run([OPENSSL, *args], cwd, expect_rc, stdin)


def openssl_binary(cwd, *args, stdin=None):
    result = subprocess.run([OPENSSL, *[str(a) for a in args]], cwd=cwd, input=stdin, capture_output=True,
                            timeout=60, check=True)
    return result.stdout


def init_ca(cwd, name="ca", key_type="ec-p256", *extra):
    certgate(cwd, "pki", "init-ca", name, "--name", f"{name} Test CA", "--key-type", key_type, *extra)
    return cwd / name


def init_intermediate(cwd, parent, name="inter", *extra):
    certgate(cwd, "pki", "init-intermediate", name, "--ca", parent, "--name", f"{name} Test CA", *extra)
    return cwd / name


def issue_client(cwd, ca, prefix, *extra, cn=None):
    certgate(cwd, "pki", "issue", "client", "--ca", ca, "--cn", cn or prefix, "--out", prefix, *extra)
    return cwd / f"{prefix}.pem"


def issue_server(cwd, ca, prefix, *extra):
    certgate(cwd, "pki", "issue", "server", "--ca", ca, "--dns", "localhost", "--dns", "*.localhost",
             "--ip", "127.0.0.1", "--out", prefix, *extra)
    return cwd / f"{prefix}.pem"


def verify(cwd, cert, ca_file, *extra, expect_rc=0):
    # -x509_strict adds RFC 5280 profile checks (AKI/SKI present, CA:TRUE critical, positive serial...).
    return openssl(cwd, "verify", "-x509_strict", "-CAfile", ca_file, *extra, cert, expect_rc=expect_rc)


def x509_text(cwd, cert):
    return openssl(cwd, "x509", "-in", cert, "-noout", "-text").stdout


def x509_field(cwd, cert, *args):
    return openssl(cwd, "x509", "-in", cert, "-noout", *args).stdout.strip()


def extension_block(text, name):
    """The value lines of one extension in `openssl x509 -text` output, and whether it is critical."""
    match = re.search(rf"^\s+{re.escape(name)}:( critical)? ?\n((?:\s{{16,}}.*\n)+)", text, re.M)
    assert match, f"{name} not found in:\n{text}"
    return match.group(2).strip(), bool(match.group(1))


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def openssl_sans(cwd, cert):
    """SANs as `openssl x509 -ext subjectAltName` prints them, e.g. ['DNS:localhost', 'IP Address:127.0.0.1']."""
    out = x509_field(cwd, cert, "-ext", "subjectAltName")
    lines = [l.strip() for l in out.splitlines()[1:]]
    return [s.strip() for s in ", ".join(lines).split(",") if s.strip()]


def openssl_spki_sha256(cwd, cert):
    pub = openssl(cwd, "x509", "-in", cert, "-noout", "-pubkey").stdout
    der = openssl_binary(cwd, "pkey", "-pubin", "-outform", "DER", stdin=pub.encode())
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


def crl_number(cwd, crl):
    text = openssl(cwd, "crl", "-in", crl, "-noout", "-text").stdout
    match = re.search(r"X509v3 CRL Number:\s*\n\s*(\d+)", text)
    assert match, text
    return int(match.group(1))


# --- certificates verify with openssl -----------------------------------------------------------


@pytest.mark.parametrize("key_type", ["ec-p256", "ec-p384", "rsa-2048", "ed25519"])
def test_ca_and_client_verify_for_each_key_type(tmp_path, key_type):
    ca = init_ca(tmp_path, "ca", key_type)
    cert = issue_client(tmp_path, ca, "alice", "--key-type", key_type, "--email", "alice@example.com")
    assert verify(tmp_path, cert, ca / "ca.pem", "-purpose", "sslclient").stdout.strip().endswith("OK")
    # The checker can say no: a client certificate is not a server certificate.
    verify(tmp_path, cert, ca / "ca.pem", "-purpose", "sslserver", expect_rc=2)
    expected = {"ec-p256": "EC P-256", "ec-p384": "EC P-384", "rsa-2048": "RSA 2048", "ed25519": "Ed25519"}
    summary = json.loads(certgate(tmp_path, "pki", "inspect", "--json", cert).stdout)
    assert summary["key_type"] == expected[key_type]
    ca_summary = json.loads(certgate(tmp_path, "pki", "inspect", "--json", ca / "ca.pem").stdout)
    assert ca_summary["key_type"] == expected[key_type]


def test_server_certificate_verifies_for_its_names(tmp_path):
    ca = init_ca(tmp_path)
    cert = issue_server(tmp_path, ca, "server")
    verify(tmp_path, cert, ca / "ca.pem", "-purpose", "sslserver", "-verify_hostname", "localhost")
    verify(tmp_path, cert, ca / "ca.pem", "-purpose", "sslserver", "-verify_ip", "127.0.0.1")
    verify(tmp_path, cert, ca / "ca.pem", "-purpose", "sslserver", "-verify_hostname", "example.com",
           expect_rc=2)
    verify(tmp_path, cert, ca / "ca.pem", "-purpose", "sslclient", expect_rc=2)
    assert x509_field(tmp_path, cert, "-subject", "-nameopt", "RFC2253") == "subject=CN=localhost"
    # OpenSSL does not match wildcards directly under a single label (*.localhost); use a deeper name.
    certgate(tmp_path, "pki", "issue", "server", "--ca", ca, "--dns", "api.example.test",
             "--dns", "*.apps.example.test", "--out", "wild")
    wild = tmp_path / "wild.pem"
    verify(tmp_path, wild, ca / "ca.pem", "-purpose", "sslserver", "-verify_hostname", "x.apps.example.test")
    verify(tmp_path, wild, ca / "ca.pem", "-purpose", "sslserver", "-verify_hostname", "api.example.test")
    assert x509_field(tmp_path, wild, "-subject", "-nameopt", "RFC2253") == "subject=CN=api.example.test"


def test_root_intermediate_leaf_chain(tmp_path):
    root = init_ca(tmp_path, "root")
    inter = init_intermediate(tmp_path, root, "inter")
    cert = issue_client(tmp_path, inter, "alice")
    server = issue_server(tmp_path, inter, "server")

    verify(tmp_path, cert, root / "ca.pem", "-untrusted", inter / "ca.pem", "-purpose", "sslclient")
    verify(tmp_path, cert, root / "ca.pem", "-untrusted", inter / "chain.pem", "-purpose", "sslclient")
    verify(tmp_path, server, inter / "root.pem", "-untrusted", inter / "chain.pem", "-purpose", "sslserver")
    # The leaf's own chain file is enough as the untrusted set.
    verify(tmp_path, cert, root / "ca.pem", "-untrusted", tmp_path / "alice-chain.pem", "-purpose", "sslclient")
    # Without the intermediate there is no path to the root.
    verify(tmp_path, cert, root / "ca.pem", "-purpose", "sslclient", expect_rc=2)

    # chain.pem: the intermediate only (the root is excluded); root.pem: the root.
    assert (inter / "chain.pem").read_text() == (inter / "ca.pem").read_text()
    assert (inter / "root.pem").read_text() == (root / "ca.pem").read_text()
    chain = (tmp_path / "alice-chain.pem").read_text()
    assert chain.count("BEGIN CERTIFICATE") == 2
    assert chain == cert.read_text() + (inter / "ca.pem").read_text()
    assert not (tmp_path / "server-chain.pem").exists() or "BEGIN" in (tmp_path / "server-chain.pem").read_text()

    basic, critical = extension_block(x509_text(tmp_path, inter / "ca.pem"), "X509v3 Basic Constraints")
    assert basic == "CA:TRUE, pathlen:0" and critical
    # A leaf issued directly by a root gets no chain file.
    issue_client(tmp_path, root, "bob")
    assert not (tmp_path / "bob-chain.pem").exists()


def test_two_intermediates_deep(tmp_path):
    root = init_ca(tmp_path, "root")
    upper = init_intermediate(tmp_path, root, "upper", "--path-len", "1")
    lower = init_intermediate(tmp_path, upper, "lower")
    cert = issue_client(tmp_path, lower, "alice")
    assert (lower / "chain.pem").read_text() == (lower / "ca.pem").read_text() + (upper / "ca.pem").read_text()
    assert (lower / "root.pem").read_text() == (root / "ca.pem").read_text()
    verify(tmp_path, cert, lower / "root.pem", "-untrusted", tmp_path / "alice-chain.pem", "-purpose", "sslclient")
    # pathlen 0 below "lower": no further intermediate.
    result = certgate(tmp_path, "pki", "init-intermediate", "third", "--ca", lower, "--name", "x", expect_rc=2)
    assert "pathlen" in result.stderr


# --- profile details ----------------------------------------------------------------------------


def test_ca_extensions(tmp_path):
    ca = init_ca(tmp_path)
    text = x509_text(tmp_path, ca / "ca.pem")
    assert extension_block(text, "X509v3 Basic Constraints") == ("CA:TRUE", True)
    assert extension_block(text, "X509v3 Key Usage") == ("Certificate Sign, CRL Sign", True)
    ski, _ = extension_block(text, "X509v3 Subject Key Identifier")
    aki, _ = extension_block(text, "X509v3 Authority Key Identifier")
    assert ski and aki.replace("keyid:", "") == ski
    assert "Signature Algorithm: ecdsa-with-SHA256" in text
    assert x509_field(tmp_path, ca / "ca.pem", "-subject", "-nameopt", "RFC2253") == "subject=CN=ca Test CA"


def test_client_extensions_and_ca_urls(tmp_path):
    ca = init_ca(tmp_path, "ca", "ec-p256", "--crl-url", "http://crl.example.test/ca.crl",
                 "--ocsp-url", "http://ocsp.example.test")
    cert = issue_client(tmp_path, ca, "alice", "--email", "alice@example.com",
                        "--uri", "spiffe://example.test/ns/default/sa/alice", "--org", "Example Org")
    text = x509_text(tmp_path, cert)
    assert extension_block(text, "X509v3 Basic Constraints") == ("CA:FALSE", True)
    assert extension_block(text, "X509v3 Key Usage") == ("Digital Signature", True)
    assert extension_block(text, "X509v3 Extended Key Usage")[0] == "TLS Web Client Authentication"
    ca_ski, _ = extension_block(x509_text(tmp_path, ca / "ca.pem"), "X509v3 Subject Key Identifier")
    aki, _ = extension_block(text, "X509v3 Authority Key Identifier")
    assert aki.replace("keyid:", "") == ca_ski
    assert "URI:http://crl.example.test/ca.crl" in extension_block(text, "X509v3 CRL Distribution Points")[0]
    assert extension_block(text, "Authority Information Access")[0] == "OCSP - URI:http://ocsp.example.test"
    assert x509_field(tmp_path, cert, "-subject", "-nameopt", "RFC2253") == "subject=CN=alice,O=Example Org"
    assert openssl_sans(tmp_path, cert) == ["email:alice@example.com", "URI:spiffe://example.test/ns/default/sa/alice"]
    # Random positive serial of (up to) 128 bits.
    serial = x509_field(tmp_path, cert, "-serial").split("=", 1)[1]
    assert 0 < int(serial, 16) < 2**127 and len(serial) <= 32
    assert serial != x509_field(tmp_path, issue_client(tmp_path, ca, "bob"), "-serial").split("=", 1)[1]


def test_rsa_leaf_allows_key_encipherment(tmp_path):
    ca = init_ca(tmp_path)
    cert = issue_server(tmp_path, ca, "server", "--key-type", "rsa-2048")
    usage, critical = extension_block(x509_text(tmp_path, cert), "X509v3 Key Usage")
    assert usage == "Digital Signature, Key Encipherment" and critical


def test_key_files_are_0600(tmp_path):
    root = init_ca(tmp_path, "root")
    inter = init_intermediate(tmp_path, root, "inter")
    issue_client(tmp_path, inter, "alice")
    certgate(tmp_path, "pki", "p12", "--cert", "alice.pem", "--key", "alice.key", "--password", "changeit",
             "--out", "alice.p12")
    for secret in [root / "ca.key", inter / "ca.key", tmp_path / "alice.key", tmp_path / "alice.p12"]:
        assert mode_of(secret) == 0o600, secret
    for public in [root / "ca.pem", tmp_path / "alice.pem", tmp_path / "alice-chain.pem"]:
        assert mode_of(public) & 0o044 == 0o044, public  # readable by others under the default umask


def test_commands_print_what_they_wrote(tmp_path):
    out = certgate(tmp_path, "pki", "init-ca", "ca", "--name", "Printed CA").stdout
    for name in ["ca.key", "ca.pem", "index.json", "crl_number", "settings.json"]:
        assert f"wrote ca/{name}" in out
    out = certgate(tmp_path, "pki", "issue", "client", "--ca", "ca", "--cn", "alice", "--out", "a").stdout
    assert "wrote a.pem" in out and "wrote a.key" in out and "wrote ca/index.json" in out


# --- PKCS#12 ------------------------------------------------------------------------------------


@pytest.fixture
def alice_below_intermediate(tmp_path):
    root = init_ca(tmp_path, "root")
    inter = init_intermediate(tmp_path, root, "inter")
    issue_client(tmp_path, inter, "alice", "--key-type", "rsa-2048")
    return tmp_path


@pytest.mark.parametrize(
    "flags,markers",
    [
        ([], ["MAC: sha256", "PBES2, PBKDF2, AES-256-CBC", "PRF hmacWithSHA256"]),
        (["--legacy"], ["MAC: sha1", "pbeWithSHA1And3-KeyTripleDES-CBC"]),
    ],
)
def test_pkcs12_variants(alice_below_intermediate, flags, markers):
    cwd = alice_below_intermediate
    certgate(cwd, "pki", "p12", "--cert", "alice.pem", "--key", "alice.key", "--chain", "inter/chain.pem",
             "--password", "changeit", "--out", "alice.p12", *flags)
    info = openssl(cwd, "pkcs12", "-info", "-in", "alice.p12", "-passin", "pass:changeit", "-nokeys", "-noout")
    report = info.stdout + info.stderr
    for marker in markers:
        assert marker in report, report
    unwanted = "AES-256-CBC" if flags else "TripleDES"
    assert unwanted not in report

    # With keys: the key and both certificates come back out.
    dump = openssl(cwd, "pkcs12", "-in", "alice.p12", "-passin", "pass:changeit", "-nodes").stdout
    assert dump.count("BEGIN CERTIFICATE") == 2
    assert "BEGIN PRIVATE KEY" in dump
    key_pem = dump[dump.index("-----BEGIN PRIVATE KEY-----"):]
    key_pem = key_pem[: key_pem.index("-----END PRIVATE KEY-----") + len("-----END PRIVATE KEY-----")] + "\n"
    from_p12 = openssl(cwd, "pkey", "-pubout", stdin=key_pem).stdout
    original = openssl(cwd, "pkey", "-in", "alice.key", "-pubout").stdout
    assert from_p12 == original
    assert "friendlyName: alice" in dump

    # A wrong password is refused.
    openssl(cwd, "pkcs12", "-info", "-in", "alice.p12", "-passin", "pass:wrong", "-nokeys", "-noout",
            expect_rc=1)


def test_pkcs12_refuses_mismatched_key(alice_below_intermediate):
    cwd = alice_below_intermediate
    result = certgate(cwd, "pki", "p12", "--cert", "alice.pem", "--key", "inter/ca.key", "--password", "x",
                      "--out", "bad.p12", expect_rc=2)
    assert "does not belong" in result.stderr
    assert not (cwd / "bad.p12").exists()


# --- revocation and CRLs ------------------------------------------------------------------------


@pytest.mark.parametrize("key_type", ["ec-p256", "rsa-2048", "ed25519"])
def test_revoke_and_crl(tmp_path, key_type):
    ca = init_ca(tmp_path, "ca", key_type)
    revoked = issue_client(tmp_path, ca, "mallory")
    good = issue_client(tmp_path, ca, "alice")
    serial = x509_field(tmp_path, revoked, "-serial").split("=", 1)[1]

    certgate(tmp_path, "pki", "revoke", "--ca", ca, "--cert", revoked, "--reason", "keyCompromise")
    certgate(tmp_path, "pki", "crl", "--ca", ca, "--out", "crl1.pem")

    check = openssl(tmp_path, "crl", "-in", "crl1.pem", "-CAfile", ca / "ca.pem", "-noout", "-verify")
    assert "verify OK" in check.stdout + check.stderr
    text = openssl(tmp_path, "crl", "-in", "crl1.pem", "-noout", "-text").stdout
    assert "Version 2" in text
    assert f"Serial Number: {serial}" in text
    assert "Key Compromise" in text
    assert "X509v3 Authority Key Identifier" in text
    assert "Next Update" in text
    assert text.count("Serial Number:") == 1

    # The CRL's signature is checked against the CA: another CA's certificate is refused.
    other = init_ca(tmp_path, "other")
    openssl(tmp_path, "crl", "-in", "crl1.pem", "-CAfile", other / "ca.pem", "-noout", "-verify",
            expect_rc=1)

    ca_pem = ca / "ca.pem"
    rejected = verify(tmp_path, revoked, ca_pem, "-crl_check", "-CRLfile", "crl1.pem", expect_rc=2)
    assert "certificate revoked" in rejected.stdout + rejected.stderr
    verify(tmp_path, good, ca_pem, "-crl_check", "-CRLfile", "crl1.pem")

    # The CRL number grows with every CRL.
    certgate(tmp_path, "pki", "crl", "--ca", ca, "--out", "crl2.pem")
    certgate(tmp_path, "pki", "crl", "--ca", ca, "--out", "crl2.pem", "--force")
    assert [crl_number(tmp_path, "crl1.pem"), crl_number(tmp_path, "crl2.pem")] == [1, 3]


def test_revoke_by_serial_below_intermediate_with_crl_urls(tmp_path):
    root = init_ca(tmp_path, "root")
    inter = init_intermediate(tmp_path, root, "inter", "--crl-url", "http://crl.example.test/inter.crl")
    cert = issue_client(tmp_path, inter, "alice")
    other = issue_client(tmp_path, inter, "bob")
    serial = x509_field(tmp_path, cert, "-serial").split("=", 1)[1]
    colon_serial = ":".join(serial[i:i + 2] for i in range(0, len(serial), 2)).lower()

    certgate(tmp_path, "pki", "revoke", "--ca", inter, "--serial", colon_serial, "--reason", "superseded")
    index = json.loads((inter / "index.json").read_text())
    entry = next(e for e in index["certificates"] if e["serial"] == serial)
    assert entry["status"] == "revoked" and entry["revocation_reason"] == "superseded"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", entry["revoked_at"])

    certgate(tmp_path, "pki", "crl", "--ca", inter, "--out", "inter.crl", "--days", "1")
    text = openssl(tmp_path, "crl", "-in", "inter.crl", "-noout", "-text").stdout
    assert f"Serial Number: {serial}" in text and "Superseded" in text
    chain = ["-untrusted", inter / "chain.pem", "-crl_check", "-CRLfile", "inter.crl"]
    verify(tmp_path, cert, root / "ca.pem", *chain, expect_rc=2)
    verify(tmp_path, other, root / "ca.pem", *chain)

    # Unknown serials and repeated revocations are refused.
    result = certgate(tmp_path, "pki", "revoke", "--ca", inter, "--serial", "0BADC0DE", expect_rc=2)
    assert "not in" in result.stderr
    certgate(tmp_path, "pki", "revoke", "--ca", inter, "--serial", serial, expect_rc=2)
    # A certificate from another CA cannot be revoked here.
    outsider = issue_client(tmp_path, root, "outsider")
    certgate(tmp_path, "pki", "revoke", "--ca", inter, "--cert", outsider, expect_rc=2)


# --- inspect ------------------------------------------------------------------------------------


def test_inspect_matches_openssl(tmp_path):
    ca = init_ca(tmp_path)
    cert = issue_server(tmp_path, ca, "server", "--ip", "::1")
    serial = x509_field(tmp_path, cert, "-serial").split("=", 1)[1]
    subject = x509_field(tmp_path, cert, "-subject", "-nameopt", "RFC2253").split("=", 1)[1]
    issuer = x509_field(tmp_path, cert, "-issuer", "-nameopt", "RFC2253").split("=", 1)[1]
    fingerprint = x509_field(tmp_path, cert, "-fingerprint", "-sha256").split("=", 1)[1].replace(":", "").lower()
    sans = openssl_sans(tmp_path, cert)
    assert sans == ["DNS:localhost", "DNS:*.localhost", "IP Address:127.0.0.1", "IP Address:0:0:0:0:0:0:0:1"]

    summary = json.loads(certgate(tmp_path, "pki", "inspect", "--json", cert).stdout)
    assert summary["subject"] == subject
    assert summary["issuer"] == issuer
    assert summary["serial"] == serial
    assert summary["sha256_fingerprint"] == fingerprint
    assert summary["spki_sha256"] == openssl_spki_sha256(tmp_path, cert)
    assert summary["subject_alt_names"] == {"dns": ["localhost", "*.localhost"], "email": [], "uri": [],
                                            "ip": ["127.0.0.1", "::1"]}
    assert summary["extended_key_usage"] == ["serverAuth"]
    assert summary["key_usage"] == ["digitalSignature"]
    assert summary["basic_constraints"] == {"ca": False, "path_len": None, "critical": True}
    assert summary["key_type"] == "EC P-256"
    assert summary["days_left"] in (364, 365)
    assert summary["expired"] is False

    text = certgate(tmp_path, "pki", "inspect", cert).stdout
    fields = dict(re.match(r"^([^:]+):\s+(.*)$", line).groups() for line in text.splitlines())
    assert fields["Subject"] == subject
    assert fields["Serial"] == serial
    assert fields["SHA-256 fingerprint"] == fingerprint
    assert fields["Subject alt names"] == "DNS:localhost, DNS:*.localhost, IP:127.0.0.1, IP:::1"
    assert fields["Key"] == "EC P-256"
    assert fields["Extended key usage"] == "serverAuth"
    assert fields["Basic constraints"] == "CA:FALSE (critical)"


def test_inspect_ca_der_and_bundle(tmp_path):
    root = init_ca(tmp_path, "root", "ec-p256", "--ocsp-url", "http://ocsp.example.test")
    inter = init_intermediate(tmp_path, root, "inter", "--path-len", "0")
    issue_client(tmp_path, inter, "alice")
    openssl(tmp_path, "x509", "-in", inter / "ca.pem", "-outform", "DER", "-out", "inter.der")

    der = json.loads(certgate(tmp_path, "pki", "inspect", "--json", "inter.der").stdout)
    assert der["basic_constraints"] == {"ca": True, "path_len": 0, "critical": True}
    assert der["key_usage"] == ["keyCertSign", "cRLSign"]
    assert der["ocsp_urls"] == ["http://ocsp.example.test"]
    assert der["serial"] == x509_field(tmp_path, inter / "ca.pem", "-serial").split("=", 1)[1]

    bundle = json.loads(certgate(tmp_path, "pki", "inspect", "--json", "alice-chain.pem").stdout)
    assert isinstance(bundle, list) and len(bundle) == 2
    assert [b["subject"] for b in bundle] == ["CN=alice", "CN=inter Test CA"]
    assert bundle[0]["authority_key_id"] == bundle[1]["subject_key_id"]
    text = certgate(tmp_path, "pki", "inspect", "alice-chain.pem").stdout
    assert "Certificate 1 of 2" in text and "Certificate 2 of 2" in text


# --- usage errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["pki", "init-ca", "x", "--name", "X", "--bogus-flag"],
        ["pki", "issue", "client", "--ca", "ca", "--cn", "alice"],  # missing --out
        ["pki", "init-ca", "x", "--name", "X", "--key-type", "dsa-1024"],
        ["pki", "issue", "client", "--ca", "no-such-ca", "--cn", "alice", "--out", "a"],
        ["pki", "issue", "server", "--ca", "ca", "--out", "s"],  # no --dns/--ip
        ["pki", "issue", "server", "--ca", "ca", "--ip", "300.1.2.3", "--out", "s"],
        ["pki", "revoke", "--ca", "ca"],  # neither --serial nor --cert
        ["pki", "revoke", "--ca", "ca", "--serial", "01", "--reason", "bored"],
        ["pki", "crl", "--ca", "ca", "--out", "c.pem", "--days", "0"],
        ["pki", "inspect", "no-such-file.pem"],
        ["pki", "inspect", "ca/index.json"],
        ["pki", "p12", "--cert", "missing.pem", "--key", "missing.key", "--password", "x", "--out", "x.p12"],
        ["pki", "init-ca", "y", "--name", "Y", "--crl-url", "not a url"],
        ["pki", "issue", "client", "--ca", "ca", "--cn", "alice", "--out", "no-such-dir/alice"],
        ["pki"],
    ],
)
def test_bad_arguments_exit_2_with_one_line(tmp_path, args):
    init_ca(tmp_path, "ca")
    before = sorted(p.name for p in tmp_path.iterdir())
    result = certgate(tmp_path, *args, expect_rc=2)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("certgate: "), result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written


def test_refuses_to_overwrite_without_force(tmp_path):
    ca = init_ca(tmp_path, "ca")
    original = (ca / "ca.pem").read_text()
    result = certgate(tmp_path, "pki", "init-ca", "ca", "--name", "Again", expect_rc=2)
    assert "already" in result.stderr and (ca / "ca.pem").read_text() == original

    issue_client(tmp_path, ca, "alice")
    first = (tmp_path / "alice.pem").read_text()
    certgate(tmp_path, "pki", "issue", "client", "--ca", ca, "--cn", "alice", "--out", "alice", expect_rc=2)
    assert (tmp_path / "alice.pem").read_text() == first
    assert len(json.loads((ca / "index.json").read_text())["certificates"]) == 1

    issue_client(tmp_path, ca, "alice", "--force")
    assert (tmp_path / "alice.pem").read_text() != first
    assert mode_of(tmp_path / "alice.key") == 0o600
    certgate(tmp_path, "pki", "init-ca", "ca", "--name", "Again", "--force")
    assert (ca / "ca.pem").read_text() != original
    assert json.loads((ca / "index.json").read_text())["certificates"] == []
