"""Process life cycle: SIGTERM drains in-flight requests, refuses new connections and exits 0; connection
timeouts (handshake, request_header, idle); access log destinations (file relative to the config, off)."""

from __future__ import annotations

import json
import select
import signal
import socket
import ssl
import threading
import time

from harness.checks import token
from harness.clients import TLSClient, make_context, tcp_connect_refused
from harness.configs import gateway_config, route


def _gw(gateway_factory, std_pki, upstream, **timeouts):
    return gateway_factory(gateway_config(std_pki, [route("https://req.test", upstream.url)],
                                          timeouts=timeouts or None))


def _client(gw, std):
    a = std.alice
    return TLSClient(gw.port, "req.test", cacert=std.server_ca.cert_path, cert=a.cert_path, key=a.key_path,
                     timeout=20)


def test_sigterm_drains_in_flight_request(gateway_factory, std_pki, upstream):
    gw = _gw(gateway_factory, std_pki, upstream)
    t = token()
    result = {}

    def slow():
        try:
            with _client(gw, std_pki) as cl:
                r = cl.get(f"/slow?ms=1500&t={t}")
                result["status"] = r.status
                result["body"] = r.body
                result["port"] = cl.local_port
        except Exception as e:  # reported below
            result["error"] = repr(e)
        result["done"] = time.monotonic()

    th = threading.Thread(target=slow)
    th.start()
    upstream.wait_for(lambda r: t in r.path, timeout=5)  # the request is at the upstream now
    sent = time.monotonic()
    gw.signal(signal.SIGTERM)

    # new connections are refused while the slow request is still running
    refused_at = None
    while time.monotonic() - sent < 1.0:
        if tcp_connect_refused(gw.port, timeout=0.5):
            refused_at = time.monotonic()
            break
        time.sleep(0.05)
    assert refused_at is not None, "the listener still accepted connections 1 s after SIGTERM"
    assert "done" not in result, "the in-flight request finished before the listener closed (test too slow?)"

    th.join(timeout=10)
    assert not th.is_alive()
    assert "error" not in result, result.get("error")
    assert result["status"] == 200, result
    rc = gw.wait(timeout=5)
    assert rc is not None, "certgate still running 5 s after its last request completed"
    assert rc == 0, f"exit code {rc} after SIGTERM"
    assert time.monotonic() - sent < 1.5 + 5
    # the drained request is in the access log (flushed before exit)
    e = [x for x in gw.access_log_lines() if str(x.get("path", "")).startswith("/slow")]
    assert len(e) == 1 and e[0]["status"] == 200, e
    assert e[0]["client"] == f"127.0.0.1:{result['port']}"


def test_sigterm_idle_exits_quickly(gateway_factory, std_pki, upstream):
    gw = _gw(gateway_factory, std_pki, upstream)
    with _client(gw, std_pki) as cl:
        assert cl.get(f"/t/{token()}").status == 200
    gw.signal(signal.SIGTERM)
    rc = gw.wait(timeout=5)
    assert rc == 0, f"exit code {rc} (None: still running after 5 s)"
    assert tcp_connect_refused(gw.port)


def test_sigterm_with_idle_keep_alive_connection_respects_shutdown_timeout(gateway_factory, std_pki, upstream):
    # an idle keep-alive client must not keep the gateway alive past timeouts.shutdown
    gw = _gw(gateway_factory, std_pki, upstream, shutdown="2s", idle="60s")
    cl = _client(gw, std_pki)
    try:
        assert cl.get(f"/t/{token()}").status == 200
        t0 = time.monotonic()
        gw.signal(signal.SIGTERM)
        rc = gw.wait(timeout=6)
        assert rc is not None, "certgate did not exit within shutdown timeout (2s) + 4s with an idle client"
        assert time.monotonic() - t0 < 6
    finally:
        cl.close()


# --- connection timeouts ----------------------------------------------------------------------------------

def _closed_by_peer(sock, within: float) -> tuple[bool, bytes]:
    """(closed, received): whether the peer closes `sock` (EOF or reset) within `within` seconds, and the
    application bytes it sent first (e.g. a 408 response). A TLS socket is readable for post-handshake
    records (TLS 1.3 session tickets) that carry no application data: a read that finds none within a
    short timeout is not a close."""
    deadline = time.monotonic() + within
    received = b""
    sock.settimeout(0.2)
    while time.monotonic() < deadline:
        r, _, _ = select.select([sock], [], [], max(0.0, deadline - time.monotonic()))
        if not r:
            continue
        try:
            data = sock.recv(65536)
        except (ssl.SSLWantReadError, socket.timeout):
            continue
        except (ssl.SSLError, ConnectionResetError, BrokenPipeError, OSError):
            return True, received
        if not data:
            return True, received
        received += data
    return False, received


def test_idle_keep_alive_connection_is_closed(gateway_factory, std_pki, upstream):
    gw = _gw(gateway_factory, std_pki, upstream, idle="1s")
    cl = _client(gw, std_pki)
    try:
        assert cl.get(f"/t/{token()}").status == 200
        closed, sent = _closed_by_peer(cl.sock, within=4.0)
        assert closed, "idle connection still open 4 s after a 1 s idle timeout"
        assert sent == b"", "an idle connection is closed without a response"
    finally:
        cl.close()


def _trickle_header(gw, std_pki, first: bytes, dribble: bytes, pause: float, within: float):
    """Sends `first`, then one byte of `dribble` every `pause` seconds without ever finishing the header;
    returns (closed, bytes received, seconds until closed)."""
    a = std_pki.alice
    ctx = make_context(std_pki.server_ca.cert_path, a.cert_path, a.key_path)
    with socket.create_connection(("127.0.0.1", gw.port), timeout=5) as raw:
        s = ctx.wrap_socket(raw, server_hostname="req.test")
        t0 = time.monotonic()
        s.sendall(first)
        received = b""
        for i in range(int(within / pause)):
            closed, got = _closed_by_peer(s, within=pause)
            received += got
            if closed:
                return True, received, time.monotonic() - t0
            try:
                s.sendall(dribble[i % len(dribble):][:1])
            except OSError:
                return True, received, time.monotonic() - t0
        return False, received, time.monotonic() - t0


def test_request_header_timeout_bounds_the_whole_header(gateway_factory, std_pki, upstream):
    # A header trickled in a byte every 0.3 s never lets the 60 s idle timeout fire; the request header
    # timeout (1 s, counted from the request's first byte) must end it with a 408 and a log line.
    gw = _gw(gateway_factory, std_pki, upstream, request_header="1s")
    t = token()
    closed, sent, after = _trickle_header(gw, std_pki, f"GET /t/{t} HTTP/1.1\r\nHost: req.test\r\n".encode(),
                                          b"X-Slow: aaaaaaaa", pause=0.3, within=6.0)
    assert closed, "a trickled request header still open 6 s after a 1 s request_header timeout"
    assert 0.9 <= after <= 3.5, f"closed after {after:.1f} s, expected ≈ 1 s"
    assert sent.startswith(b"HTTP/1.1 408 "), sent[:80]
    assert b"connection: close" in sent.lower()
    entry = gw.wait_for_log(lambda e: t in e.get("path", "") or e.get("status") == 408)
    assert entry["status"] == 408 and entry["reason"] == "request_timeout", entry


def test_request_header_timeout_does_not_cut_idle_wait(gateway_factory, std_pki, upstream):
    # Between requests the idle timeout applies, not the (shorter) request header timeout.
    gw = _gw(gateway_factory, std_pki, upstream, request_header="1s", idle="10s")
    cl = _client(gw, std_pki)
    try:
        assert cl.get(f"/t/{token()}").status == 200
        time.sleep(2.0)
        assert cl.get(f"/t/{token()}").status == 200, "connection closed by the request header timeout while idle"
    finally:
        cl.close()


def test_handshake_timeout(gateway_factory, std_pki, upstream):
    gw = _gw(gateway_factory, std_pki, upstream, handshake="1s")
    with socket.create_connection(("127.0.0.1", gw.port), timeout=5) as raw:  # no ClientHello
        assert _closed_by_peer(raw, within=4.0)[0], "TCP connection without a handshake still open after 4 s"


# --- access log destinations ------------------------------------------------------------------------------

def test_access_log_to_relative_file(gateway_factory, std_pki, upstream):
    name = f"access-{token()}.log"
    cfg = gateway_config(std_pki, [route("https://req.test", upstream.url)], access_log=name)
    gw = gateway_factory(cfg)
    with _client(gw, std_pki) as cl:
        t = token()
        assert cl.get(f"/t/{t}").status == 200
    path = gw.config_dir / name  # relative to the config file's directory, not the working directory
    deadline = time.monotonic() + 3
    lines = []
    while time.monotonic() < deadline:
        if path.exists():
            lines = [json.loads(l) for l in path.read_text().splitlines() if l.strip()]
            if any(t in e.get("path", "") for e in lines):
                break
        time.sleep(0.05)
    assert any(t in e.get("path", "") and e.get("status") == 200 for e in lines), f"{path}: {lines}"
    assert gw.access_log_lines() == [], "access_log is a file: nothing on stdout"
    assert not (gw.run_dir / name).exists()


def test_access_log_off(gateway_factory, std_pki, upstream):
    gw = gateway_factory(gateway_config(std_pki, [route("https://req.test", upstream.url)], access_log="off"))
    with _client(gw, std_pki) as cl:
        assert cl.get(f"/t/{token()}").status == 200
    time.sleep(0.4)
    assert gw.access_log_lines() == []
    assert "/t/" not in gw.stderr_text()
