"""Session resumption: a resumed session keeps the verified identity and is authorized like a full one; a
session only resumes on the SNI / trust set it was issued for (nginx CVE-2025-23419), with the session cache
(the default) and with stateless tickets; ticket keys survive reloads, rotate, and can come from a file shared
by several gateways; cached sessions survive reloads too."""

from __future__ import annotations

import base64
import datetime as dt
import os
import re
import signal
import subprocess
import time

import pytest

from harness.clients import Fetch, fetch, make_context, s_client
from harness.configs import gateway_config, rel, route
from harness.gateway import free_port, validate_config
from harness.pki import utcnow

IDENTITY_HEADERS = ["x-client-cert-verify", "x-client-cert-subject-dn", "x-client-cert-issuer-dn",
                    "x-client-cert-serial", "x-client-cert-fingerprint", "x-client-cert-san",
                    "x-client-cert-not-after"]


def identity(f: Fetch) -> dict:
    return {h: f.body["headers"].get(h) for h in IDENTITY_HEADERS}


def ctx_for(cert, tls):
    return make_context(None, cert.chain_path or cert.cert_path, cert.key_path, tls)


def sc(port, sni, *, tls="1.3", sess_in=None, sess_out=None, cert=None):
    extra = []
    if sess_in:
        extra += ["-sess_in", str(sess_in)]
    if sess_out:
        extra += ["-sess_out", str(sess_out)]
    kw = {"cert": cert.cert_path, "key": cert.key_path} if cert else {}
    stdin = f"GET / HTTP/1.1\r\nHost: {sni}\r\nConnection: close\r\n\r\n".encode()
    return s_client(port, servername=sni, tls=tls, ign_eof=True, stdin=stdin, extra=extra, **kw)


def alert_number(output: str):
    m = re.search(r"SSL alert number (\d+)", output)
    return int(m.group(1)) if m else None


def reused(r) -> bool:
    assert r.handshake_ok, r.output
    return re.search(r"^Reused, TLSv", r.output, re.M) is not None


def ticket_key_name(sess_file) -> bytes:
    """The first 16 bytes of the ticket: the name of the key that encrypted it."""
    out = subprocess.run(["openssl", "sess_id", "-in", str(sess_file), "-noout", "-text"], capture_output=True,
                         text=True, check=True).stdout
    hexdump = out.split("TLS session ticket:", 1)[1]
    data = b""
    for line in hexdump.splitlines():
        m = re.match(r"\s+[0-9a-f]{4} - ((?:[0-9a-f]{2}[ -]){1,16})", line)
        if m:
            data += bytes.fromhex(m.group(1).replace("-", " "))
        if len(data) >= 16:
            break
    assert len(data) >= 16, out
    return data[:16]


def write_keys(path, *keys: bytes):
    path.write_text("".join(base64.b64encode(k).decode() + "\n" for k in keys))


def reload(gw, timeout=10.0):
    before = gw.stderr_text().count("reload done")
    gw.signal(signal.SIGHUP)
    deadline = time.monotonic() + timeout
    while gw.stderr_text().count("reload done") == before:
        assert time.monotonic() < deadline, "no 'reload done' after SIGHUP:\n" + gw.stderr_text()[-2000:]
        assert "reload rejected" not in gw.stderr_text(), gw.stderr_text()[-2000:]
        time.sleep(0.05)


def routes_for(std_pki):
    ca1 = rel(std_pki, std_pki.ca1.cert_path)
    ca2 = rel(std_pki, std_pki.ca2.cert_path)
    return [
        route("https://a.localhost", "echo://", mtls={"mode": "required", "ca_file": ca1}),
        route("https://b.localhost", "echo://", mtls={"mode": "required", "ca_file": ca2}),
        route("https://r.localhost", "echo://", mtls={"mode": "reject_connection", "ca_file": ca1}),
        route("https://deep.localhost", "echo://", mtls={"mode": "required", "max_verify_depth": 2}),
        route("https://c.localhost", "echo://", mtls={"mode": "off"}),
    ]


def config_for(std_pki, resumption):
    cfg = gateway_config(std_pki, routes_for(std_pki))
    cfg["tls"] = {"session_resumption": resumption}
    return cfg


@pytest.fixture(scope="module", params=["cache", "tickets"])
def gw(module_gateway, std_pki, request):
    return module_gateway(config_for(std_pki, request.param))


# --- identity across resumption -----------------------------------------------------------------------------

@pytest.mark.parametrize("tls", ["1.3", "1.2"])
@pytest.mark.parametrize("host,who", [("a.localhost", "alice"), ("r.localhost", "alice"), ("deep.localhost", "deep")])
def test_resumed_session_carries_the_same_identity(gw, std_pki, tls, host, who):
    cert = std_pki[who]
    ctx = ctx_for(cert, tls)
    first = fetch(gw.port, host, ctx, "/full")
    assert first.status == 200 and not first.reused, first
    second = fetch(gw.port, host, ctx, "/resumed", session=first.session)
    assert second.reused, "the gateway did not resume its own ticket"
    assert second.status == 200, second
    assert identity(second) == identity(first)
    assert identity(first)["x-client-cert-verify"] == "SUCCESS"
    assert identity(first)["x-client-cert-fingerprint"] == cert.fingerprint_sha256
    e1 = gw.log_for_client_port(first.local_port)
    e2 = gw.log_for_client_port(second.local_port)
    assert (e1["resumed"], e2["resumed"]) == (False, True), (e1, e2)
    for e in (e1, e2):
        assert e["verify"] == "SUCCESS" and e["cert_fingerprint"] == cert.fingerprint_sha256, e


def test_ticket_of_a_certificate_that_expired_since(gw, std_pki, tmp_path):
    """reject_connection re-verifies a ticket's certificate; other modes verify it per request."""
    now = utcnow()
    short = std_pki.pki.leaf(std_pki.ca1, f"short-lived-{time.monotonic_ns()}", cn="short-lived", not_before=now - dt.timedelta(minutes=5),
                             not_after=now + dt.timedelta(seconds=10))
    tickets = {}
    for host in ("r.localhost", "a.localhost"):
        tickets[host] = tmp_path / f"{host}.sess"
        r = sc(gw.port, host, sess_out=tickets[host], cert=short)
        assert "HTTP/1.1 200" in r.output, r.output
    # 10 s of validity leaves room for two handshakes on a loaded machine (ASan); then wait past not-after.
    assert utcnow() < now + dt.timedelta(seconds=10), "the handshakes took longer than the certificate's life"
    time.sleep(max(0.0, (now + dt.timedelta(seconds=12) - utcnow()).total_seconds()))
    on_r = sc(gw.port, "r.localhost", sess_in=tickets["r.localhost"], cert=short)
    assert not reused(on_r), "a ticket for an expired certificate resumed on a reject_connection host"
    assert alert_number(on_r.output) == 45, on_r.output
    on_a = sc(gw.port, "a.localhost", sess_in=tickets["a.localhost"])
    assert reused(on_a) and "HTTP/1.1 401" in on_a.output, on_a.output


# --- tickets are bound to SNI and trust set -----------------------------------------------------------------

@pytest.mark.parametrize("tls", ["1.3", "1.2"])
def test_ticket_from_host_a_on_host_b_gets_a_full_handshake(gw, std_pki, tls):
    ctx = ctx_for(std_pki.alice, tls)
    first = fetch(gw.port, "a.localhost", ctx)
    assert first.status == 200
    on_b = fetch(gw.port, "b.localhost", ctx, session=first.session)
    assert not on_b.reused, "a ticket of a.localhost resumed on b.localhost"
    # b.localhost verified alice against its own bundle (ca2) and refused her
    assert on_b.status == 401, on_b
    e = gw.log_for_client_port(on_b.local_port)
    assert e["resumed"] is False and e["reason"] == "untrusted_issuer" and e["verify"] == "FAILED:untrusted_issuer", e

    # The same with the reject_connection host that trusts the very same CA: still a full handshake.
    on_r = fetch(gw.port, "r.localhost", ctx, session=first.session)
    assert not on_r.reused and on_r.status == 200


@pytest.mark.parametrize("tls", ["1.3", "1.2"])
def test_ticket_on_other_host_with_openssl(gw, std_pki, tmp_path, tls):
    sess = tmp_path / "a.sess"
    assert not reused(sc(gw.port, "a.localhost", tls=tls, sess_out=sess, cert=std_pki.alice))
    again = sc(gw.port, "a.localhost", tls=tls, sess_in=sess)
    assert reused(again) and not again.has_certificate_request and "HTTP/1.1 200" in again.output, again.output
    on_b = sc(gw.port, "b.localhost", tls=tls, sess_in=sess)
    assert not reused(on_b) and on_b.has_certificate_request, on_b.output
    assert "HTTP/1.1 401" in on_b.output, on_b.output
    on_c = sc(gw.port, "c.localhost", tls=tls, sess_in=sess)  # mTLS off: no certificate request either
    assert not reused(on_c) and not on_c.has_certificate_request, on_c.output
    assert "HTTP/1.1 200" in on_c.output and "x-client-cert-verify" not in on_c.output, on_c.output
    on_r = sc(gw.port, "r.localhost", tls=tls, sess_in=sess)  # reject_connection: the handshake fails
    assert not reused(on_r) and re.search(r"SSL alert number (116|40)\b", on_r.output), on_r.output


@pytest.mark.parametrize("tls", ["1.3", "1.2"])
def test_ticket_from_public_host_does_not_skip_the_certificate(gw, tmp_path, tls):
    sess = tmp_path / "c.sess"
    sc(gw.port, "c.localhost", tls=tls, sess_out=sess)
    on_a = sc(gw.port, "a.localhost", tls=tls, sess_in=sess)
    assert not reused(on_a) and on_a.has_certificate_request, on_a.output
    assert "HTTP/1.1 401" in on_a.output, on_a.output


# --- ticket keys -----------------------------------------------------------------------------------------------

def test_generated_keys_survive_reload(gateway_factory, std_pki, tmp_path):
    gw = gateway_factory(config_for(std_pki, "tickets"))
    sess = tmp_path / "s"
    sc(gw.port, "c.localhost", sess_out=sess)
    name = ticket_key_name(sess)
    reload(gw)
    r = sc(gw.port, "c.localhost", sess_in=sess)
    assert reused(r), r.output
    sc(gw.port, "c.localhost", sess_out=sess)
    assert ticket_key_name(sess) == name, "a reload must not change the ticket key"


def test_generated_keys_rotate(gateway_factory, std_pki, tmp_path):
    cfg = config_for(std_pki, "tickets")
    cfg["tls"]["ticket_key_rotation"] = "2s"
    gw = gateway_factory(cfg)
    first = tmp_path / "t0"
    sc(gw.port, "c.localhost", sess_out=first)
    old = ticket_key_name(first)
    # Poll until the key changes; the last ticket of the old key is then at most one poll old.
    last_old = first
    deadline = time.monotonic() + 10
    i = 0
    while True:
        i += 1
        t = tmp_path / f"t{i}"
        sc(gw.port, "c.localhost", sess_out=t)
        if ticket_key_name(t) != old:
            break
        last_old = t
        assert time.monotonic() < deadline, "the ticket key did not rotate within 10s (rotation 2s)"
        time.sleep(0.2)
    r = sc(gw.port, "c.localhost", sess_in=last_old)
    assert reused(r), "the previous key must still decrypt tickets within their lifetime\n" + r.output
    assert "lifetime hint: 2 (seconds)" in subprocess.run(
        ["openssl", "sess_id", "-in", str(t), "-noout", "-text"], capture_output=True, text=True).stdout


def test_key_file_shared_by_two_gateways(gateway_factory, std_pki, tmp_path):
    keys = std_pki.dir / "shared-ticket.keys"
    write_keys(keys, os.urandom(80), os.urandom(80))
    other = std_pki.dir / "other-ticket.keys"
    write_keys(other, os.urandom(80))

    def make(keyfile):
        cfg = gateway_config(std_pki, routes_for(std_pki))
        cfg["tls"] = {"ticket_keys_file": keyfile.name}
        return gateway_factory(cfg)

    gw1, gw2, gw3 = make(keys), make(keys), make(other)
    ctx = ctx_for(std_pki.alice, "1.3")
    first = fetch(gw1.port, "a.localhost", ctx, "/node1")
    assert first.status == 200
    on_node2 = fetch(gw2.port, "a.localhost", ctx, "/node2", session=first.session)
    assert on_node2.reused, "a ticket from one node must resume on another node with the same key file"
    assert on_node2.status == 200 and identity(on_node2) == identity(first)
    assert gw2.log_for_client_port(on_node2.local_port)["resumed"] is True
    on_node3 = fetch(gw3.port, "a.localhost", ctx, "/node3", session=first.session)
    assert not on_node3.reused and on_node3.status == 200
    assert "session ticket keys: 2 key(s) from" in gw1.stderr_text()


def test_key_file_rotation_by_reload(gateway_factory, std_pki, tmp_path):
    k1, k2 = os.urandom(80), os.urandom(80)
    keys = std_pki.dir / "rotating-ticket.keys"
    write_keys(keys, k1)
    cfg = gateway_config(std_pki, routes_for(std_pki))
    cfg["tls"] = {"ticket_keys_file": keys.name}
    gw = gateway_factory(cfg)
    t1 = tmp_path / "t1"
    sc(gw.port, "c.localhost", sess_out=t1)
    assert ticket_key_name(t1) == k1[:16]

    write_keys(keys, k2, k1)  # new key first, the old one still decrypts
    reload(gw)
    t2 = tmp_path / "t2"
    r = sc(gw.port, "c.localhost", sess_in=t1, sess_out=t2)
    assert reused(r), r.output
    assert ticket_key_name(t2) == k2[:16], "resumed sessions get a ticket under the current key"

    write_keys(keys, k2)  # the old key is gone
    reload(gw)
    assert not reused(sc(gw.port, "c.localhost", sess_in=t1))
    assert reused(sc(gw.port, "c.localhost", sess_in=t2))


@pytest.mark.parametrize("content,words", [
    (b"", "empty"),
    (b"c2hvcnQ=\n", "line 1"),
    (b"\x01" * 79, "80-byte"),
])
def test_bad_key_file_is_a_config_error(certgate_bin, std_pki, content, words):
    keys = std_pki.dir / "bad-ticket.keys"
    keys.write_bytes(content)
    text = f"""\
listeners:
  - address: 127.0.0.1:{free_port()}
    certificates:
      - cert_file: server.pem
        key_file: server.key
tls:
  ticket_key_rotation: 30m
  ticket_keys_file: bad-ticket.keys
routes:
  - from: https://c.localhost
    to: echo://
    mtls: {{mode: "off"}}
"""
    path = std_pki.dir / "bad-keys.yaml"
    path.write_text(text)
    rc, _, err = validate_config(certgate_bin, path)
    assert rc == 1, err
    assert f"{path.name}:8: ticket_keys_file" in err and words in err, err


@pytest.mark.parametrize("tls", ["1.3", "1.2"])
def test_resumption_can_be_disabled(gateway_factory, std_pki, tmp_path, tls):
    cfg = config_for(std_pki, "off")
    gw = gateway_factory(cfg)
    sess = tmp_path / "s"
    r = sc(gw.port, "c.localhost", tls=tls, sess_out=sess)
    assert r.handshake_ok and "NewSessionTicket" not in r.output, r.output
    if sess.exists():
        assert not reused(sc(gw.port, "c.localhost", tls=tls, sess_in=sess))


def test_every_tls13_resumption_hands_out_a_fresh_ticket(gw, std_pki, tmp_path):
    """TLS 1.3 clients use a ticket once: a resumed handshake must issue a new one, or every other connection
    would be a full handshake."""
    sess = tmp_path / "s0"
    assert not reused(sc(gw.port, "a.localhost", sess_out=sess, cert=std_pki.alice))
    for i in range(1, 4):
        nxt = tmp_path / f"s{i}"
        r = sc(gw.port, "a.localhost", sess_in=sess, sess_out=nxt)
        assert reused(r), f"resumption {i} was a full handshake"
        assert nxt.is_file() and nxt.stat().st_size > 0, f"resumption {i} produced no new ticket"
        sess = nxt


def test_tls12_ticket_resumes_repeatedly(gw, std_pki, tmp_path):
    """A TLS 1.2 ticket stays valid (renewed only when its key ages), so one ticket resumes many times."""
    sess = tmp_path / "s0"
    assert not reused(sc(gw.port, "a.localhost", tls="1.2", sess_out=sess, cert=std_pki.alice))
    for i in range(3):
        assert reused(sc(gw.port, "a.localhost", tls="1.2", sess_in=sess)), f"resumption {i + 1}"


# --- the session cache ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("tls", ["1.3", "1.2"])
def test_cached_sessions_survive_reload(gateway_factory, std_pki, tmp_path, tls):
    gw = gateway_factory(config_for(std_pki, "cache"))
    sess = tmp_path / "s"
    assert not reused(sc(gw.port, "a.localhost", tls=tls, sess_out=sess, cert=std_pki.alice))
    reload(gw)
    r = sc(gw.port, "a.localhost", tls=tls, sess_in=sess)
    assert reused(r) and "HTTP/1.1 200" in r.output, r.output


def test_cache_mode_tls13_session_is_single_use(gateway_factory, std_pki, tmp_path):
    gw = gateway_factory(config_for(std_pki, "cache"))
    sess = tmp_path / "s"
    sc(gw.port, "a.localhost", sess_out=sess, cert=std_pki.alice)
    assert reused(sc(gw.port, "a.localhost", sess_in=sess))
    assert not reused(sc(gw.port, "a.localhost", sess_in=sess, cert=std_pki.alice)), "a TLS 1.3 session replayed"


def test_cache_size_bounds_the_sessions_kept(gateway_factory, std_pki, tmp_path):
    cfg = config_for(std_pki, "cache")
    cfg["tls"]["session_cache_size"] = 1
    gw = gateway_factory(cfg)
    first, second = tmp_path / "1", tmp_path / "2"
    sc(gw.port, "a.localhost", tls="1.2", sess_out=first, cert=std_pki.alice)
    sc(gw.port, "a.localhost", tls="1.2", sess_out=second, cert=std_pki.alice)
    assert reused(sc(gw.port, "a.localhost", tls="1.2", sess_in=second))
    assert not reused(sc(gw.port, "a.localhost", tls="1.2", sess_in=first, cert=std_pki.alice)), "evicted"


def test_session_lifetime(gateway_factory, std_pki, tmp_path):
    cfg = config_for(std_pki, "cache")
    cfg["tls"]["session_lifetime"] = "1s"
    gw = gateway_factory(cfg)
    sess = tmp_path / "s"
    sc(gw.port, "a.localhost", tls="1.2", sess_out=sess, cert=std_pki.alice)
    time.sleep(2.2)
    assert not reused(sc(gw.port, "a.localhost", tls="1.2", sess_in=sess, cert=std_pki.alice))


def test_ticket_keys_file_needs_tickets_mode(certgate_bin, std_pki, tmp_path):
    keys = tmp_path / "t.keys"
    write_keys(keys, os.urandom(80))
    cfg = config_for(std_pki, "cache")
    cfg["tls"]["ticket_keys_file"] = str(keys)
    path = std_pki.dir / "keys-need-tickets.yaml"
    from harness import yamlgen
    path.write_text(yamlgen.dump(cfg).replace("${PORT}", str(free_port())))
    rc, out, err = validate_config(certgate_bin, path)
    assert rc == 1 and "ticket_keys_file needs session_resumption: tickets" in err, err
