"""`certgate check` runs the gateway's own decision code: for each case its answer (exit code, reason, status)
must equal what a live request through a running certgate gets."""

from __future__ import annotations

import json
import subprocess

import pytest

from harness.checks import find_log
from harness.clients import curl
from harness.configs import gateway_config, route


@pytest.fixture(scope="module")
def gw(module_gateway, std_pki, upstream):
    routes = [
        route("https://req.test", upstream.url),
        route("https://deep.test", upstream.url, mtls={"max_verify_depth": 2}),
        route("https://public.test", upstream.url, mtls={"mode": "off"}),
    ]
    return module_gateway(gateway_config(std_pki, routes))


def _check(certgate_bin, gw, *args):
    return subprocess.run([certgate_bin, "check", "--config", str(gw.config_path), *args], capture_output=True,
                          text=True, timeout=30)


def _check_json(certgate_bin, gw, url, cert, chain=None, at=None):
    args = ["--route", url, "--cert", str(cert), "--json"]
    if chain:
        args += ["--chain", str(chain)]
    if at:
        args += ["--at", at]
    r = _check(certgate_bin, gw, *args)
    assert r.returncode in (0, 1), r.stderr
    return r.returncode, json.loads(r.stdout)


# (case, certificate, send the intermediate?, host, expected reason)
CASES = [
    ("valid", "alice", False, "req.test", "allowed"),
    ("untrusted", "untrusted", False, "req.test", "untrusted_issuer"),
    ("expired", "expired", False, "req.test", "expired"),
    ("wrong-eku", "server_only", False, "req.test", "bad_purpose"),
    ("ca-as-leaf", "ca_as_leaf", False, "req.test", "ca_as_leaf"),
    ("depth-exceeded", "deep", True, "req.test", "depth_exceeded"),
    ("depth-allowed", "deep", True, "deep.test", "allowed"),
]


@pytest.mark.parametrize("case,cert,chain,host,reason", CASES, ids=[c[0] for c in CASES])
def test_check_agrees_with_a_live_request(certgate_bin, gw, std_pki, case, cert, chain, host, reason):
    c = std_pki[cert]
    live = curl(host, gw.port, f"/check-{case}", cacert=std_pki.server_ca.cert_path,
                cert=c.send_path if chain else c.cert_path, key=c.key_path)
    logged = find_log(gw, live.local_port, f"check-{case}")
    code, report = _check_json(certgate_bin, gw, f"https://{host}/check-{case}", c.cert_path,
                               chain=std_pki.inter1.cert_path if chain else None)
    assert logged["reason"] == reason
    assert report["reason"] == reason
    assert report["status"] == live.status
    assert code == (0 if live.status == 200 else 1)
    if reason == "allowed":
        assert report["decision"] == "accepted"
        assert report["upstream_headers"]["X-Client-Cert-Verify"] == "SUCCESS"
        assert report["upstream_headers"]["X-Client-Cert-Fingerprint"] == c.fingerprint_sha256
        assert report["chain"][0] == c.subject_rfc2253
        assert len(report["chain"]) == (3 if chain else 2)
    else:
        assert report["decision"] == "rejected"
        assert report["upstream_headers"] == {}


def test_check_at_a_time_after_expiry(certgate_bin, gw, std_pki):
    code, report = _check_json(certgate_bin, gw, "https://req.test/", std_pki.alice.cert_path, at="2999-01-01T00:00:00Z")
    assert code == 1
    assert report["reason"] == "expired"
    code, report = _check_json(certgate_bin, gw, "https://req.test/", std_pki.alice.cert_path)
    assert code == 0


def test_check_at_a_time_before_validity(certgate_bin, gw, std_pki):
    code, report = _check_json(certgate_bin, gw, "https://req.test/", std_pki.alice.cert_path, at="2001-01-01T00:00:00Z")
    assert (code, report["reason"]) == (1, "not_yet_valid")


def test_check_text_output(certgate_bin, gw, std_pki):
    r = _check(certgate_bin, gw, "--route", "https://req.test/x", "--cert", str(std_pki.expired.cert_path))
    assert r.returncode == 1
    assert "decision:  rejected (401 TLS certificate failed verification)" in r.stdout
    assert "reason:    expired" in r.stdout
    assert "  0  CN=expired" in r.stdout


def test_check_on_an_mtls_off_route(certgate_bin, gw, std_pki):
    code, report = _check_json(certgate_bin, gw, "https://public.test/", std_pki.untrusted.cert_path)
    assert code == 0
    assert report["mtls_mode"] == "off"
    assert report["upstream_headers"] == {}


BAD_ARGS = [
    ("unknown-flag", ["--route", "https://req.test/", "--cert", "{alice}", "--bogus"]),
    ("missing-cert", ["--route", "https://req.test/"]),
    ("missing-route", ["--cert", "{alice}"]),
    ("no-such-route", ["--route", "https://nowhere.test/", "--cert", "{alice}"]),
    ("not-https", ["--route", "http://req.test/", "--cert", "{alice}"]),
    ("unreadable-cert", ["--route", "https://req.test/", "--cert", "/nonexistent.pem"]),
    ("bad-time", ["--route", "https://req.test/", "--cert", "{alice}", "--at", "tomorrow"]),
]


@pytest.mark.parametrize("case,args", BAD_ARGS, ids=[c[0] for c in BAD_ARGS])
def test_check_bad_arguments(certgate_bin, gw, std_pki, case, args):
    args = [a.replace("{alice}", str(std_pki.alice.cert_path)) for a in args]
    r = _check(certgate_bin, gw, *args)
    assert r.returncode == 2, (r.stdout, r.stderr)
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("certgate: ")
    assert r.stdout == ""


def test_check_with_a_bad_config(certgate_bin, tmp_path, std_pki):
    bad = tmp_path / "bad.yaml"
    bad.write_text("listeners: []\nbogus: 1\n")
    r = subprocess.run([certgate_bin, "check", "--config", str(bad), "--route", "https://x.test/", "--cert",
                        str(std_pki.alice.cert_path)], capture_output=True, text=True)
    assert r.returncode == 2
    assert "bad.yaml:" in r.stderr


# --- identity and policy: check prints the consumer and the deciding rule, like the access log ---------------

@pytest.fixture(scope="module")
def policy_gw(module_gateway, std_pki, upstream):
    routes = [
        route("https://req.test", upstream.url),
    ]
    routes[0]["identity"] = {"certificate_attribute": "common_name", "consumer_attribute": "username"}
    routes[0]["policy"] = [{"allow": {"or": [{"common_name": {"is": "alice"}}, {"common_name": {"is": "bob"}}]}},
                           {"deny": {"common_name": {"is": "bob"}}}]
    cfg = gateway_config(std_pki, routes)
    cfg["consumers"] = [{"username": "alice", "groups": ["admins"]}, {"username": "bob"}]
    return module_gateway(cfg)


@pytest.mark.parametrize("cert,status,reason,rule", [
    ("alice", 200, "allowed", 0),
    ("bob", 403, "policy_denied", 1),
    ("tricky", 401, "consumer_not_found", None),
])
def test_check_explains_identity_and_policy(certgate_bin, policy_gw, std_pki, cert, status, reason, rule):
    c = std_pki[cert]
    live = curl("req.test", policy_gw.port, f"/policy-{cert}", cacert=std_pki.server_ca.cert_path,
                cert=c.cert_path, key=c.key_path)
    logged = find_log(policy_gw, live.local_port, f"policy-{cert}")
    code, report = _check_json(certgate_bin, policy_gw, f"https://req.test/policy-{cert}", c.cert_path)
    assert live.status == status == report["status"]
    assert logged["reason"] == reason == report["reason"]
    assert report.get("policy_rule") == rule == logged.get("policy_rule")
    assert code == (0 if status == 200 else 1)
    if cert == "alice":
        assert report["consumer"] == "alice"
        assert report["groups"] == ["admins"]
        assert report["upstream_headers"]["X-Consumer-Username"] == "alice"
        r = _check(certgate_bin, policy_gw, "--route", "https://req.test/", "--cert", str(c.cert_path))
        assert "identity:  consumer alice" in r.stdout
        assert "policy:    allowed by rule 0 (allow, " in r.stdout
