"""Revocation (docs/revocation.md) against real sources.

The PKI is made with `certgate pki` (CRLs with `pki crl`, one expired CRL with `cryptography`):

    root  (CRL DP -> publisher /root.crl, served as DER)
    ├── issuing  (CRL DP -> publisher /issuing.crl, OCSP -> a real `openssl ocsp` responder)
    │     alice (good), bob (revoked), cache, carol, dave (revoked during the live test)
    ├── offline  (CRL DP and OCSP -> a closed port)      frank
    ├── slow     (CRL DP -> publisher, answers after 0.5 s) gus
    └── doomed   (revoked by root)                        erin

The trust bundle holds the root and the three intermediates, and clients send only their leaf, so the
issuer always comes from the bundle. A second `openssl ocsp` signs with a self-signed key that carries
the issuer's name (the "wrong key" responder). All routes answer with `echo://`.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import signal
import ssl
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from harness.clients import TLSClient, curl, fetch
from harness.configs import gateway_config, listener, route
from harness.gateway import ClosedPort, client_port_of, free_port, validate_config, write_config
from harness.revocation import (CrlPublisher, OcspResponder, Toolkit, expired_crl, to_der_crl,
                                write_ocsp_index)

MSG_FAILED = "TLS certificate failed verification"
TIMEOUTS = {"timeout": "1s"}


class RevocationPKI:
    def __init__(self, binary: str, directory: Path, publisher: CrlPublisher, ocsp_port: int, down_port: int):
        self.dir = directory
        pki = self.pki = Toolkit(binary, directory)
        pub = publisher
        pki("init-ca", "root", "--name", "Revocation Root", "--crl-url", pub.url("/root.crl"))
        pki("init-intermediate", "issuing", "--ca", "root", "--name", "Revocation Issuing",
            "--crl-url", pub.url("/issuing.crl"), "--ocsp-url", f"http://127.0.0.1:{ocsp_port}/")
        pki("init-intermediate", "offline", "--ca", "root", "--name", "Offline Issuing",
            "--crl-url", f"http://127.0.0.1:{down_port}/offline.crl", "--ocsp-url", f"http://127.0.0.1:{down_port}/")
        pki("init-intermediate", "doomed", "--ca", "root", "--name", "Doomed Issuing")
        pki("init-intermediate", "slow", "--ca", "root", "--name", "Slow Issuing", "--crl-url",
            pub.url("/slow/slow.crl"))
        pki("init-ca", "rogue", "--name", "Revocation Issuing")  # the issuer's name, another key
        for name in ("alice", "bob", "cache", "carol", "dave"):
            pki("issue", "client", "--ca", "issuing", "--cn", name, "--out", name)
        pki("issue", "client", "--ca", "offline", "--cn", "frank", "--out", "frank")
        pki("issue", "client", "--ca", "doomed", "--cn", "erin", "--out", "erin")
        pki("issue", "client", "--ca", "slow", "--cn", "gus", "--out", "gus")
        pki("revoke", "--ca", "issuing", "--cert", "bob.pem", "--reason", "keyCompromise")
        pki("revoke", "--ca", "root", "--cert", "doomed/ca.pem", "--reason", "cACompromise")
        pki("crl", "--ca", "issuing", "--out", "issuing.crl")
        pki("crl", "--ca", "root", "--out", "root.crl")
        pki("crl", "--ca", "doomed", "--out", "doomed.crl")
        pki("crl", "--ca", "slow", "--out", str(publisher.dir / "slow.crl"))
        self.path("chain.crl").write_bytes(self.path("root.crl").read_bytes() + self.path("doomed.crl").read_bytes())
        expired_crl(directory / "issuing", directory / "expired.crl")
        self.trust = self.path("trust.pem")
        self.trust.write_bytes(b"".join(self.path(f"{ca}/ca.pem").read_bytes()
                                        for ca in ("root", "issuing", "offline", "doomed", "slow")))
        # What the distribution points publish: the issuing CA's CRL as PEM, the root's as DER.
        publish = publisher.dir
        (publish / "issuing.crl").write_bytes(self.path("issuing.crl").read_bytes())
        to_der_crl(self.path("root.crl"), publish / "root.crl")

    def path(self, name: str) -> Path:
        return self.dir / name

    def cert(self, name: str) -> tuple[Path, Path]:
        return self.path(f"{name}.pem"), self.path(f"{name}.key")


@pytest.fixture(scope="module")
def rp(certgate_bin, tmp_path_factory):
    pki_dir = tmp_path_factory.mktemp("revocation")
    (pki_dir / "published").mkdir()
    publisher = CrlPublisher(pki_dir / "published").start()
    down = ClosedPort()
    ocsp_port = free_port()
    rp = RevocationPKI(certgate_bin, pki_dir, publisher, ocsp_port, down.port)
    now = _dt.datetime.now(_dt.timezone.utc)
    index = write_ocsp_index(pki_dir / "index.txt", [
        (rp.path("alice.pem"), None), (rp.path("bob.pem"), now - _dt.timedelta(minutes=5)),
        (rp.path("cache.pem"), None), (rp.path("carol.pem"), None), (rp.path("dave.pem"), None)])
    issuing = pki_dir / "issuing"
    rp.ocsp = OcspResponder(pki_dir, index, issuing / "ca.pem", issuing / "ca.pem", issuing / "ca.key",
                            port=ocsp_port, name="ocsp").start()
    rp.wrong_ocsp = OcspResponder(pki_dir, index, issuing / "ca.pem", pki_dir / "rogue/ca.pem",
                                  pki_dir / "rogue/ca.key", name="wrong-ocsp").start()
    rp.publisher = publisher
    rp.down_port = down.port
    yield rp
    rp.ocsp.stop()
    rp.wrong_ocsp.stop()
    publisher.stop()
    down.close()


def config(std, rp, routes, **kw):
    cfg = gateway_config(std, routes, listeners=[listener(std)], client_ca_file=str(rp.trust),
                         mtls={"mode": "required", "max_verify_depth": 2}, **kw)
    return cfg


def rev_route(host, *, crl=None, mode=None, mtls=None, **revocation):
    m = dict(mtls or {})
    if crl is not None:
        m["crl_file"] = str(crl)
    r = dict(TIMEOUTS)
    if mode:
        r["mode"] = mode
    r.update(revocation)
    m["revocation"] = r
    return route(f"https://{host}", "echo://", mtls=m)


def get(gw, std, rp, host, name, path="/"):
    cert, key = rp.cert(name)
    return curl(host, gw.port, path, cacert=std.server_ca.cert_path, cert=cert, key=key)


def expect(gw, std, rp, host, name, status, reason=None):
    r = get(gw, std, rp, host, name, f"/{name}")
    assert r.status == status, f"{name} on {host}: {r!r}"
    # By port and path: a client port can come round again within one test (an earlier entry would match).
    e = gw.wait_for_log(lambda e: client_port_of(e) == r.local_port and e.get("path") == f"/{name}")
    if reason is not None:
        assert e["reason"] == reason, e
    if status == 401:
        assert r.json()["message"] == MSG_FAILED, r
        assert "revo" not in r.text  # no reason details to the client
    return r, e


def wait_for_stderr(gw, pattern: str, timeout: float = 5.0, count: int = 1) -> str:
    deadline = time.monotonic() + timeout
    while True:
        text = gw.stderr_text()
        if len(re.findall(pattern, text)) >= count:
            return text
        if time.monotonic() > deadline:
            raise AssertionError(f"no {pattern!r} in the gateway's stderr within {timeout}s:\n{text[-3000:]}")
        time.sleep(0.05)


def echo_headers(r) -> dict:
    assert r.status == 200, r
    return r.json()["headers"]


# --- CRL files ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def crl_gw(module_gateway, std_pki, rp):
    routes = [
        rev_route("app.test", crl=rp.path("issuing.crl")),                    # ignore_ca_error (default)
        rev_route("req.test", crl=rp.path("issuing.crl"), mode="strict"),
        rev_route("opt.test", crl=rp.path("issuing.crl"), mode="skip"),
        rev_route("opt-echo.test", crl=rp.path("issuing.crl"), mtls={"mode": "optional"}),
        rev_route("keep.test", crl=rp.path("expired.crl")),
        rev_route("noid.test", crl=rp.path("expired.crl"), mode="strict"),
        rev_route("echo.test", crl=rp.path("expired.crl"), mode="skip"),
        rev_route("deep.test", crl=rp.path("chain.crl"), mtls={"crl_scope": "chain"}),
        rev_route("mixed.test", crl=rp.path("chain.crl"), mtls={"crl_scope": "leaf"}),
    ]
    return module_gateway(config(std_pki, rp, routes))


@pytest.mark.parametrize("host,name,status,reason", [
    ("app.test", "alice", 200, "allowed"),
    ("app.test", "bob", 401, "revoked"),
    ("app.test", "frank", 200, "allowed"),             # no CRL from its CA: unknown passes
    ("req.test", "alice", 200, "allowed"),
    ("req.test", "bob", 401, "revoked"),
    ("req.test", "frank", 401, "revocation_unknown"),  # strict: unknown is refused
    ("opt.test", "bob", 200, "allowed"),                # skip
])
def test_crl_file_modes(crl_gw, std_pki, rp, host, name, status, reason):
    _, e = expect(crl_gw, std_pki, rp, host, name, status, reason)
    if status == 401:
        assert e["verify"] == f"FAILED:{reason}", e


def test_crl_file_revoked_in_optional_mode_passes_as_failed(crl_gw, std_pki, rp):
    h = echo_headers(get(crl_gw, std_pki, rp, "opt-echo.test", "bob"))
    assert h.get("x-client-cert-verify") == "FAILED:revoked", h
    assert "x-client-cert-subject-dn" not in h, h  # an invalid certificate's details are not passed on
    h = echo_headers(get(crl_gw, std_pki, rp, "opt-echo.test", "alice"))
    assert h.get("x-client-cert-verify") == "SUCCESS", h
    assert h.get("x-client-cert-subject-dn") == "CN=alice", h


def test_denied_revoked_request_is_logged_with_the_reason(crl_gw, std_pki, rp):
    r, _ = expect(crl_gw, std_pki, rp, "req.test", "bob", 401, "revoked")
    text = wait_for_stderr(crl_gw, r"denied .*route=https://req.test reason=revoked subject=\"CN=bob\"")
    assert "keyCompromise" in text


def test_expired_crl_per_mode_and_warned_once(crl_gw, std_pki, rp):
    for _ in range(3):
        expect(crl_gw, std_pki, rp, "keep.test", "alice", 200, "allowed")    # ignore_ca_error
        expect(crl_gw, std_pki, rp, "noid.test", "alice", 401, "revocation_unknown")
        expect(crl_gw, std_pki, rp, "echo.test", "alice", 200, "allowed")    # skip
    text = wait_for_stderr(crl_gw, r"expired at")
    expired = [line for line in text.splitlines() if "expired at" in line]
    assert len(expired) == 1, expired  # once per CRL, not per request
    assert "[warning]" in expired[0] and "expired.crl" in expired[0], expired


def test_revoked_intermediate_with_chain_scope(crl_gw, std_pki, rp):
    _, e = expect(crl_gw, std_pki, rp, "deep.test", "erin", 401, "revoked")
    assert e["verify"] == "FAILED:revoked"
    wait_for_stderr(crl_gw, r"denied .*route=https://deep.test reason=revoked .*CA certificate 'CN=Doomed Issuing'")
    # leaf scope: erin's own CA did not revoke erin
    expect(crl_gw, std_pki, rp, "mixed.test", "erin", 200, "allowed")


# --- OCSP and CRL distribution points ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def online_gw(module_gateway, std_pki, rp):
    down = f"http://127.0.0.1:{rp.down_port}/"
    routes = [
        rev_route("app.test", ocsp=True),
        rev_route("req.test", ocsp=True, mode="strict"),
        rev_route("down.test", ocsp=True, ocsp_responder=down),
        rev_route("slow.test", ocsp=True, ocsp_responder=down, mode="strict"),
        rev_route("proxy.test", ocsp=True, ocsp_responder=rp.wrong_ocsp.url),
        rev_route("base.test", ocsp=True, ocsp_responder=rp.wrong_ocsp.url, mode="strict"),
        rev_route("baseapi.test", crl_distribution_points=True, mode="strict"),
        rev_route("mixed.test", crl_distribution_points=True),
        rev_route("tls.test", ocsp=True, ocsp_responder=down, crl_distribution_points=True, mode="strict"),
        rev_route("deep.test", crl_distribution_points=True, mode="strict", mtls={"crl_scope": "chain"}),
        rev_route("public.test", ocsp=True, ocsp_responder=rp.publisher.url("/status/500"), mode="strict"),
        rev_route("keep.test", crl_distribution_points=True, mode="strict"),
        rev_route("opt.test", ocsp=True, ocsp_responder=rp.publisher.url("/big.bin"), max_crl_size="1KiB",
                  mode="strict"),
    ]
    return module_gateway(config(std_pki, rp, routes))


@pytest.mark.parametrize("host,name,status,reason", [
    ("app.test", "alice", 200, "allowed"),
    ("app.test", "bob", 401, "revoked"),
    ("req.test", "alice", 200, "allowed"),
    ("req.test", "bob", 401, "revoked"),
    ("down.test", "alice", 200, "allowed"),                # responder down: ignore_ca_error passes
    ("slow.test", "alice", 401, "revocation_unknown"),     # ... strict refuses
    ("proxy.test", "alice", 200, "allowed"),               # signed by a wrong key: unknown, passes
    ("base.test", "alice", 401, "revocation_unknown"),     # ... strict refuses
    ("proxy.test", "bob", 200, "allowed"),                 # its "revoked" is not believed either
    ("baseapi.test", "alice", 200, "allowed"),             # CRL distribution point
    ("baseapi.test", "bob", 401, "revoked"),
    ("mixed.test", "frank", 200, "allowed"),               # distribution point down: passes ...
    ("baseapi.test", "frank", 401, "revocation_unknown"),  # ... or not
    ("tls.test", "alice", 200, "allowed"),                 # OCSP down, then the CRL DP answers
    ("tls.test", "bob", 401, "revoked"),
    ("deep.test", "erin", 401, "revoked"),                 # the root's DER CRL revokes erin's CA
    ("deep.test", "alice", 200, "allowed"),
])
def test_online_modes(online_gw, std_pki, rp, host, name, status, reason):
    expect(online_gw, std_pki, rp, host, name, status, reason)


def test_ocsp_answer_is_cached(online_gw, std_pki, rp):
    before = rp.ocsp.requests()
    for _ in range(4):  # new connections, spread over both workers
        expect(online_gw, std_pki, rp, "app.test", "cache", 200, "allowed")
    expect(online_gw, std_pki, rp, "req.test", "cache", 200, "allowed")
    assert rp.ocsp.requests() - before == 1, rp.ocsp.log_text()


def test_crl_distribution_point_is_fetched_once(online_gw, std_pki, rp):
    for name in ("alice", "bob", "alice", "bob"):
        get(online_gw, std_pki, rp, "baseapi.test", name)
    assert rp.publisher.count("/issuing.crl") == 1


def test_concurrent_requests_share_one_fetch(online_gw, std_pki, rp):
    # The publisher takes half a second: all these requests (on both workers) arrive while it works.
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _: get(online_gw, std_pki, rp, "keep.test", "gus"), range(6)))
    assert [r.status for r in results] == [200] * 6, results
    assert rp.publisher.count("/slow/slow.crl") == 1


def test_network_failures_are_not_cached(online_gw, std_pki, rp):
    before = rp.publisher.count("/status/500")
    for _ in range(3):
        expect(online_gw, std_pki, rp, "public.test", "alice", 401, "revocation_unknown")
    assert rp.publisher.count("/status/500") - before == 3


def test_response_size_is_capped(online_gw, std_pki, rp):
    (rp.publisher.dir / "big.bin").write_bytes(b"x" * 4096)
    expect(online_gw, std_pki, rp, "opt.test", "alice", 401, "revocation_unknown")
    wait_for_stderr(online_gw, r"gave no usable answer: the response is larger than 1024 bytes \(max_crl_size\)")


def test_online_failures_are_logged(online_gw, std_pki, rp):
    get(online_gw, std_pki, rp, "base.test", "alice")
    get(online_gw, std_pki, rp, "down.test", "alice")
    text = wait_for_stderr(online_gw, r"not signed by the issuer or a responder it authorized")
    wait_for_stderr(online_gw, rf"OCSP responder http://127.0.0.1:{rp.down_port}/ gave no usable answer")
    assert re.search(r"revocation status unknown for \"CN=alice\" on route https://down.test, allowed", text)


# --- CRL file updates, resumption, reload -------------------------------------------------------------------

def _tls13_context(cacert, cert, key) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cafile=str(cacert))
    ctx.load_cert_chain(str(cert), str(key))
    ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_3
    return ctx


def test_crl_file_update_reaches_keepalive_and_resumed_connections(gateway_factory, std_pki, rp):
    live = rp.path("live.crl")
    live.write_bytes(rp.path("issuing.crl").read_bytes())
    gw = gateway_factory(config(std_pki, rp, [rev_route("app.test", crl=live, mode="strict")]))
    carol_cert, carol_key = rp.cert("carol")
    dave_cert, dave_key = rp.cert("dave")
    keepalive = TLSClient(gw.port, "app.test", cacert=std_pki.server_ca.cert_path, cert=carol_cert, key=carol_key)
    try:
        assert keepalive.get("/before").status == 200
        dave = _tls13_context(std_pki.server_ca.cert_path, dave_cert, dave_key)
        first = fetch(gw.port, "app.test", dave, path="/resume")
        assert first.status == 200 and not first.reused and first.session is not None

        # The CA revokes carol and dave and publishes a new CRL (written aside and renamed).
        rp.pki("revoke", "--ca", "issuing", "--cert", "carol.pem")
        rp.pki("revoke", "--ca", "issuing", "--cert", "dave.pem")
        rp.pki("crl", "--ca", "issuing", "--out", "live.crl.new")
        os.replace(rp.path("live.crl.new"), live)
        wait_for_stderr(gw, r"CRL file .*live.crl changed: reloaded 1 CRL")

        r = keepalive.get("/after")
        assert r.status == 401 and keepalive.connect_count == 1, r  # same connection, new verdict
        e = gw.wait_for_log(lambda e: e["path"] == "/after")
        assert e["reason"] == "revoked", e

        again = fetch(gw.port, "app.test", dave, path="/resume", session=first.session)
        assert again.reused, "the client did not resume its session"
        assert again.status == 401
        e = gw.wait_for_logs(lambda e: e["path"] == "/resume", 2)[1]
        assert e["resumed"] is True and e["reason"] == "revoked" and e["cert_subject"] == "CN=dave", e
    finally:
        keepalive.close()

    # A broken CRL on disk keeps the previous one (and says why); so does a SIGHUP reload.
    live.write_text("-----BEGIN X509 CRL-----\nbroken\n-----END X509 CRL-----\n")
    wait_for_stderr(gw, r"CRL file .*live.crl changed but was rejected, keeping the CRLs loaded before")
    expect(gw, std_pki, rp, "app.test", "carol", 401, "revoked")
    expect(gw, std_pki, rp, "app.test", "alice", 200, "allowed")
    gw.signal(signal.SIGHUP)
    wait_for_stderr(gw, r"reload rejected, the previous config keeps serving: .*live.crl")
    expect(gw, std_pki, rp, "app.test", "carol", 401, "revoked")
    expect(gw, std_pki, rp, "app.test", "alice", 200, "allowed")
    assert gw.running()


# --- config errors -------------------------------------------------------------------------------------------

def test_crl_file_of_a_ca_outside_the_route_trust_is_a_warning(certgate_bin, std_pki, rp):
    # This route trusts std_pki's ca1; the CRL comes from the revocation PKI. It could be the CRL of an
    # intermediate that clients send (test_intermediate_crl.py), so it loads with a warning.
    routes = [rev_route("app.test", crl=rp.path("issuing.crl"), mtls={"ca_file": "ca1.pem"})]
    p = write_config(Path(std_pki.dir), config(std_pki, rp, routes), name="foreign-crl.yaml", ports=[free_port()])
    rc, _, err = validate_config(certgate_bin, p)
    assert rc == 0, err
    assert re.search(r"\[warning\] .*issuing\.crl is issued by 'CN=Revocation Issuing', which is not a CA of the trust "
                     r"bundle: it is not verified now", err), err


@pytest.mark.parametrize("mtls,pattern", [
    ({"crl_file": "missing.crl"}, r"crl_file '.*missing.crl' does not exist"),
    ({"crl_scope": "everything"}, r"crl_scope must be leaf or chain"),
    ({"revocation": {"mode": "lenient"}}, r"revocation.mode must be skip, ignore_ca_error or strict"),
    ({"revocation": {"ocsp_responder": "https://ocsp.example"}}, r"revocation.ocsp_responder must be an http:// URL"),
    ({"revocation": {"cache_tll": "1h"}}, r"unknown key 'cache_tll' in revocation"),
])
def test_bad_revocation_keys_are_config_errors(certgate_bin, std_pki, rp, mtls, pattern):
    cfg = config(std_pki, rp, [route("https://app.test", "echo://", mtls=mtls)])
    p = write_config(Path(std_pki.dir), cfg, name="bad-revocation.yaml", ports=[free_port()])
    rc, _, err = validate_config(certgate_bin, p)
    assert rc == 1, err
    assert re.search(rf"bad-revocation\.yaml:\d+: {pattern}", err), err
