"""TLS (TCP) endpoints: `protocol: tls` listeners route by SNI to `tcp://` upstreams. mTLS terminates at
certgate, bytes flow both ways, half-closes pass through, PROXY v2 carries the client address and the SSL
TLVs (checked with an independent parser), idle connections close, one access-log line per connection."""

from __future__ import annotations

import re
import time

import pytest

from harness.alert_probe import alert_read_by_record_by_record_client
from harness.clients import curl, s_client
from harness.configs import cert_entry, rel
from harness.gateway import ClosedPort, free_port, validate_config
from harness.tcp_tools import (PP2_CLIENT_CERT_CONN, PP2_CLIENT_CERT_SESS, PP2_CLIENT_SSL, PP2_SUBTYPE_SSL_CIPHER,
                               PP2_SUBTYPE_SSL_CN, PP2_SUBTYPE_SSL_VERSION, TcpUpstream, TlsPipe)
from harness.upstream import pattern_bytes


def alert_number(output: str):
    m = re.search(r"SSL alert number (\d+)", output)
    return int(m.group(1)) if m else None


@pytest.fixture(scope="module")
def ups():
    u = {"echo": TcpUpstream().start(), "pp": TcpUpstream(proxy_protocol=True).start(),
         "greet": TcpUpstream(mode="greet").start(), "down": ClosedPort()}
    yield u
    for k, v in u.items():
        v.close() if k == "down" else v.stop()


@pytest.fixture(scope="module")
def gw(module_gateway, std_pki, ups):
    def tls_listener(port, default_host=None):
        d = {"address": f"127.0.0.1:${{{port}}}", "protocol": "tls", "certificates": [cert_entry(std_pki, std_pki.server)]}
        if default_host:
            d["default_host"] = default_host
        return d

    def tcp(host, up, **kw):
        return {"from": f"tls://{host}", "to": f"tcp://127.0.0.1:{up.port}", **kw}

    cfg = {
        "workers": 2, "access_log": "stdout", "log_level": "info",
        "listeners": [tls_listener("PORT0"), tls_listener("PORT1", "echo.localhost"),
                      {"address": "127.0.0.1:${PORT2}", "protocol": "https",
                       "certificates": [cert_entry(std_pki, std_pki.server)]}],
        "client_ca_file": "global-ca.pem",
        "mtls": {"mode": "required", "max_verify_depth": 1},
        "routes": [
            tcp("echo.localhost", ups["echo"]),
            tcp("pp.localhost", ups["pp"], proxy_protocol="v2"),
            tcp("ppopt.localhost", ups["pp"], proxy_protocol="v2", mtls={"mode": "optional"}),
            tcp("greet.localhost", ups["greet"], mtls={"mode": "off"}),
            tcp("idle.localhost", ups["echo"], idle_timeout="1s", mtls={"mode": "off"}),
            tcp("reject.localhost", ups["echo"], mtls={"mode": "reject_connection", "ca_file": rel(std_pki, std_pki.ca1.cert_path)}),
            tcp("down.localhost", ups["down"], mtls={"mode": "off"}),
            {"from": "https://web.localhost", "to": "echo://", "mtls": {"mode": "off"}},
        ],
    }
    return module_gateway(cfg)


def _log(gw, pipe: TlsPipe, timeout=5.0) -> dict:
    return gw.log_for_client_port(pipe.local_port, timeout)


def _alice(std_pki):
    return {"cert": std_pki.alice.cert_path, "key": std_pki.alice.key_path}


@pytest.mark.parametrize("tls", ["1.3", "1.2"])
def test_bytes_flow_both_ways_and_client_half_close(gw, std_pki, ups, tls):
    before = len(ups["echo"].connections)
    payload = pattern_bytes(300_000)
    with TlsPipe(gw.ports[0], "echo.localhost", tls=tls, **_alice(std_pki)) as c:
        assert c.version == f"TLSv{tls}"
        c.send(b"ping\n")
        assert c.recv_exactly(5) == b"ping\n"
        c.send(payload)
        assert c.recv_exactly(len(payload)) == payload
        c.close_notify()  # half-close: the answer still arrives
        assert c.recv_until_eof() == b"[eof]"
        assert not c.ragged_eof, "the gateway must end its side with close_notify"
    conn = ups["echo"].wait_for_connections(before + 1)[before]
    assert conn.got_eof.wait(5), "the upstream never saw the client's half-close"
    assert bytes(conn.received) == b"ping\n" + payload
    e = _log(gw, c)
    assert e["status"] == 200 and e["reason"] == "allowed", e
    assert e["route"] == "tls://echo.localhost" and e["upstream"] == f"tcp://127.0.0.1:{ups['echo'].port}", e
    assert e["sni"] == "echo.localhost" and e["tls"] == f"TLSv{tls}" and e["resumed"] is False, e
    assert e["bytes_in"] == 5 + len(payload) and e["bytes_out"] == 5 + len(payload) + 5, e
    assert e["verify"] == "SUCCESS" and e["cert_fingerprint"] == std_pki.alice.fingerprint_sha256, e
    assert len([x for x in gw.access_log_lines() if x.get("client") == e["client"]]) == 1, "one line per connection"


def test_client_fin_without_close_notify_is_a_half_close(gw, std_pki, ups):
    before = len(ups["echo"].connections)
    with TlsPipe(gw.ports[0], "echo.localhost", **_alice(std_pki)) as c:
        c.send(b"abc")
        assert c.recv_exactly(3) == b"abc"
        c.shutdown_write()
        assert c.recv_until_eof() == b"[eof]"
    conn = ups["echo"].wait_for_connections(before + 1)[before]
    assert conn.got_eof.wait(5)
    assert bytes(conn.received) == b"abc"


@pytest.mark.parametrize("tls", ["1.3", "1.2"])
def test_upstream_half_close_keeps_client_direction_open(gw, ups, tls):
    before = len(ups["greet"].connections)
    with TlsPipe(gw.ports[0], "greet.localhost", tls=tls) as c:
        assert c.recv_until_eof() == b"hello\n"  # the upstream's FIN arrives as close_notify
        assert not c.ragged_eof
        c.send(b"still talking\n")
        conn = ups["greet"].wait_for_connections(before + 1)[before]
        deadline = time.monotonic() + 5
        while bytes(conn.received) != b"still talking\n" and time.monotonic() < deadline:
            time.sleep(0.02)
        assert bytes(conn.received) == b"still talking\n"
        c.close_notify()
        assert conn.got_eof.wait(5)
    e = _log(gw, c)
    assert e["status"] == 200 and e["bytes_in"] == 14 and e["bytes_out"] == 6, e


@pytest.mark.parametrize("tls", ["1.3", "1.2"])
def test_proxy_v2_header_with_ssl_tlvs(gw, std_pki, ups, tls):
    before = len(ups["pp"].connections)
    with TlsPipe(gw.ports[0], "pp.localhost", tls=tls, **_alice(std_pki)) as c:
        c.send(b"data")
        assert c.recv_exactly(4) == b"data"
        local_port = c.local_port
    conn = ups["pp"].wait_for_connections(before + 1)[before]
    assert conn.header is not None, conn.header_error
    h = conn.header
    assert (h.version, h.command, h.family, h.transport) == (2, 1, 1, 1), h
    assert (h.src_addr, h.src_port) == ("127.0.0.1", local_port), h
    assert (h.dst_addr, h.dst_port) == ("127.0.0.1", gw.ports[0]), h
    assert h.authority == "pp.localhost"
    assert h.ssl_client == PP2_CLIENT_SSL | PP2_CLIENT_CERT_CONN | PP2_CLIENT_CERT_SESS, h
    assert h.ssl_verify == 0, h
    assert h.ssl_text(PP2_SUBTYPE_SSL_VERSION) == f"TLSv{tls}"
    assert h.ssl_text(PP2_SUBTYPE_SSL_CN) == "alice"
    assert h.ssl_text(PP2_SUBTYPE_SSL_CIPHER), h
    assert bytes(conn.received).startswith(b"data"), "the client's bytes follow the header"


def test_proxy_v2_without_certificate(gw, ups):
    before = len(ups["pp"].connections)
    with TlsPipe(gw.ports[0], "ppopt.localhost") as c:
        c.send(b"x")
        assert c.recv_exactly(1) == b"x"
    h = ups["pp"].wait_for_connections(before + 1)[before].header
    assert h is not None
    assert h.ssl_client == PP2_CLIENT_SSL and h.ssl_verify != 0, h
    assert PP2_SUBTYPE_SSL_CN not in h.ssl_tlvs
    assert h.authority == "ppopt.localhost"


def test_proxy_v2_resumed_session(gw, std_pki, ups):
    before = len(ups["pp"].connections)
    with TlsPipe(gw.ports[0], "pp.localhost", tls="1.3", **_alice(std_pki)) as first:
        first.send(b"1")
        assert first.recv_exactly(1) == b"1"
        session, ctx = first.session, first.context
    with TlsPipe(gw.ports[0], "pp.localhost", context=ctx, session=session) as second:
        assert second.session_reused, "the ticket was not honoured on the same host"
        second.send(b"2")
        assert second.recv_exactly(1) == b"2"
    conns = ups["pp"].wait_for_connections(before + 2)
    h = conns[before + 1].header
    assert h.ssl_client == PP2_CLIENT_SSL | PP2_CLIENT_CERT_SESS, h  # a certificate in the session, not this handshake
    assert h.ssl_verify == 0 and h.ssl_text(PP2_SUBTYPE_SSL_CN) == "alice", h
    e = _log(gw, second)
    assert e["resumed"] is True and e["verify"] == "SUCCESS" and e["cert_subject"] == std_pki.alice.subject_rfc2253, e


def test_required_without_certificate_closes_before_upstream(gw, ups):
    before = len(ups["echo"].connections)
    with TlsPipe(gw.ports[0], "echo.localhost") as c:
        assert c.recv_until_eof() == b""
    e = _log(gw, c)
    assert e["status"] == 401 and e["reason"] == "no_certificate" and e["verify"] == "NONE", e
    assert e["bytes_in"] == 0 and e["bytes_out"] == 0, e
    time.sleep(0.2)
    assert len(ups["echo"].connections) == before, "a refused client must not reach the upstream"
    assert re.search(r"denied 127\.0\.0\.1:%d sni=echo\.localhost .*reason=no_certificate" % c.local_port,
                     gw.stderr_text()), gw.stderr_text()[-2000:]


@pytest.mark.parametrize("tls,cert,alert", [("1.3", None, 116), ("1.2", None, 40), ("1.3", "bob", 48),
                                            ("1.2", "expired", 45)])
def test_reject_connection_on_tls_endpoint(gw, std_pki, tls, cert, alert):
    kw = {"cert": std_pki[cert].cert_path, "key": std_pki[cert].key_path} if cert else {}
    r = s_client(gw.ports[0], servername="reject.localhost", tls=tls, ign_eof=True, **kw)
    assert alert_number(r.output) == alert, r.output


@pytest.mark.parametrize("tls,alert", [("1.3", 116), ("1.2", 40)])
def test_refusal_alert_reaches_a_client_that_sends_record_by_record(gw, tls, alert):
    # The tls listener's path (proxy/tcp_session.cpp) lingers after the alert like the https one.
    seen = [alert_read_by_record_by_record_client(gw.ports[0], "reject.localhost", tls, b"hello\n")
            for _ in range(10)]
    assert seen == [alert] * 10, seen


def test_reject_connection_admits_valid_certificate(gw, std_pki):
    with TlsPipe(gw.ports[0], "reject.localhost", **_alice(std_pki)) as c:
        c.send(b"ok")
        assert c.recv_exactly(2) == b"ok"
    assert _log(gw, c)["verify"] == "SUCCESS"


@pytest.mark.parametrize("sni", ["unknown.localhost", "web.localhost"])
def test_unknown_sni_is_refused_in_the_handshake(gw, sni):
    r = s_client(gw.ports[0], servername=sni, tls="1.3", ign_eof=True)
    assert alert_number(r.output) == 112, r.output  # unrecognized_name
    assert re.search(r"handshake rejected 127\.0\.0\.1:\d+ sni=%s reason=unknown_host" % re.escape(sni),
                     gw.stderr_text()), gw.stderr_text()[-2000:]


def test_no_sni_uses_default_host_or_is_refused(gw, std_pki):
    with TlsPipe(gw.ports[1], None, **_alice(std_pki)) as c:
        c.send(b"nosni")
        assert c.recv_exactly(5) == b"nosni"
    assert _log(gw, c)["route"] == "tls://echo.localhost"
    r = s_client(gw.ports[0], servername=None, tls="1.3", ign_eof=True)
    assert alert_number(r.output) == 112, r.output


def test_tcp_route_is_not_served_by_https_listener(gw, std_pki):
    # curl refuses the certificate's *.localhost wildcard (too few labels): skip server verification
    r = curl("echo.localhost", gw.ports[2], "/", cert=std_pki.alice.cert_path, key=std_pki.alice.key_path,
             extra=["--insecure"])
    assert r.status == 404, r
    r = curl("web.localhost", gw.ports[2], "/", extra=["--insecure"])
    assert r.status == 200, r


def test_idle_timeout_closes_both_sides(gw, ups):
    before = len(ups["echo"].connections)
    with TlsPipe(gw.ports[0], "idle.localhost", timeout=15) as c:
        c.send(b"a")
        assert c.recv_exactly(1) == b"a"
        started = time.monotonic()
        assert c.recv_until_eof() == b""
        assert time.monotonic() - started < 12, "the idle connection was not closed"
    conn = ups["echo"].wait_for_connections(before + 1)[before]
    assert conn.closed.wait(5) and conn.got_eof.is_set(), "the upstream side stayed open"
    e = _log(gw, c)
    assert e["status"] == 200 and e["reason"] == "idle_timeout", e


def test_upstream_down(gw):
    with TlsPipe(gw.ports[0], "down.localhost") as c:
        assert c.recv_until_eof() == b""
    e = _log(gw, c)
    assert e["status"] == 502 and e["reason"] == "upstream_unavailable", e


# --- config errors ------------------------------------------------------------------------------------------

BASE = """\
listeners:
  - address: 127.0.0.1:{port}
    protocol: {protocol}
    certificates:
      - cert_file: server.pem
        key_file: server.key
client_ca_file: global-ca.pem
routes:
  - from: {frm}
    to: {to}
{extra}"""


@pytest.mark.parametrize("protocol,frm,to,extra,needle,word", [
    ("https", "tls://db.localhost", "tcp://127.0.0.1:9", "", "  - from:", "protocol: tls"),
    ("tls", "https://web.localhost", "echo://", "", "  - from:", "protocol: https"),
    ("tls", "tls://db.localhost/path", "tcp://127.0.0.1:9", "", "  - from:", "no path"),
    ("https", "tls://web.localhost", "echo://", "", "  - from:", "tcp:// upstream"),
    ("https", "https://web.localhost", "echo://", "    proxy_protocol: v2\n", "    proxy_protocol", "tcp:// routes only"),
    ("tls", "tls://db.localhost", "tcp://127.0.0.1:9", "    proxy_protocol: v1\n", "    proxy_protocol", "v2 or off"),
    ("tls", "tls://db.localhost", "tcp://127.0.0.1:9", "    idle_timeout: 0s\n", "    idle_timeout", "greater than zero"),
    ("tls", "tls://db.localhost", "tcp://127.0.0.1:9", "    preserve_host: true\n", "    preserve_host", "HTTP routes"),
    ("tls", "tls://db.localhost", "tcp://127.0.0.1:9", "    headers: {identity: false}\n", "    headers", "HTTP routes"),
    ("gopher", "tls://db.localhost", "tcp://127.0.0.1:9", "", "    protocol", "https or tls"),
])
def test_config_errors(certgate_bin, std_pki, protocol, frm, to, extra, needle, word):
    text = BASE.format(port=free_port(), protocol=protocol, frm=frm, to=to, extra=extra)
    if needle == "  - from:":
        line = next(i for i, l in enumerate(text.splitlines(), 1) if l.startswith("  - from:"))
    else:
        line = next(i for i, l in enumerate(text.splitlines(), 1) if l.startswith(needle))
    path = std_pki.dir / f"tcp-bad-{abs(hash((protocol, frm, extra)))}.yaml"
    path.write_text(text)
    rc, _, err = validate_config(certgate_bin, path)
    assert rc == 1, err
    assert f"{path.name}:{line}: " in err and word in err, err
