"""Upstream failures (issue 12) against scripted upstreams (harness/scripted_upstream.py): a truncated
response is logged as `upstream_truncated`, not `allowed`; a pooled connection that the upstream closes
as a request arrives is retried once on a fresh connection for an idempotent request without a body (and
not for a POST); an upstream that drips its response header is cut at timeouts.upstream_header.
Each test has its own upstream and gateway (one worker, so the upstream pool is one pool).
"""

from __future__ import annotations

import socket
import ssl
import threading
import time

import pytest

from harness.checks import assert_log, token
from harness.clients import make_context
from harness.configs import gateway_config, route
from harness.raw_http import exchange
from harness.scripted_upstream import ScriptedUpstream, ok_response, read_request_head


@pytest.fixture
def scripted():
    started = []

    def make(behaviour):
        up = ScriptedUpstream(behaviour).start()
        started.append(up)
        return up

    yield make
    for up in started:
        up.stop()


def gateway(gateway_factory, std, up, **timeouts):
    cfg = gateway_config(std, [route("https://app.test", up.url, mtls={"mode": "off"})], workers=1,
                         timeouts=timeouts or None)
    return gateway_factory(cfg)


def get(gw, std, path, method="GET", extra=()):
    lines = [f"{method} {path} HTTP/1.1", "Host: app.test", *extra, "Connection: close"]
    return exchange(gw.port, "app.test", ("\r\n".join(lines) + "\r\n\r\n").encode(),
                    cacert=std.server_ca.cert_path, method=method)


def read_all(gw, std, path) -> tuple[bytes, int]:
    """Everything the gateway sends for one request until it closes: (bytes, local port)."""
    ctx = make_context(std.server_ca.cert_path)
    with socket.create_connection(("127.0.0.1", gw.port), timeout=20) as raw:
        s = ctx.wrap_socket(raw, server_hostname="app.test")
        port = s.getsockname()[1]
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: app.test\r\n\r\n".encode())
        data = b""
        while True:
            try:
                piece = s.recv(65536)
            except (ConnectionResetError, ssl.SSLError):
                break
            if not piece:
                break
            data += piece
        return data, port


# --- truncated responses ------------------------------------------------------------------------------------

TRUNCATED = {
    "content-length": b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"x" * 10,
    "chunked": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
}


@pytest.mark.parametrize("kind", sorted(TRUNCATED))
def test_truncated_response_is_logged_as_such(gateway_factory, std_pki, scripted, kind):
    def behaviour(conn, _):
        if read_request_head(conn):
            conn.sendall(TRUNCATED[kind])

    gw = gateway(gateway_factory, std_pki, scripted(behaviour))
    tok = token()
    data, port = read_all(gw, std_pki, f"/t/{tok}")
    assert data.startswith(b"HTTP/1.1 200 OK"), data[:200]
    if kind == "chunked":
        assert not data.endswith(b"0\r\n\r\n"), "a truncated chunked body must not get its last chunk"
    else:
        assert len(data.partition(b"\r\n\r\n")[2]) < 1000
    assert_log(gw.log_for_client_port(port), status=200, reason="upstream_truncated", path=f"/t/{tok}")
    assert "response truncated" in gw.stderr_text()


def test_complete_response_is_allowed(gateway_factory, std_pki, scripted):
    def behaviour(conn, _):
        if read_request_head(conn):
            conn.sendall(ok_response(keep_alive=False))

    gw = gateway(gateway_factory, std_pki, scripted(behaviour))
    r, _, port = get(gw, std_pki, "/ok")
    assert r.status == 200 and r.body == b"ok", r
    assert_log(gw.log_for_client_port(port), status=200, reason="allowed")


# --- retry on a fresh connection -------------------------------------------------------------------------------

def serve_once_then_close(first_requests: threading.Barrier | None):
    """Each connection answers its first request (after `first_requests` is complete, when given, so that
    the gateway must open several connections), then takes the next request and closes without a word:
    a keep-alive connection closed by the upstream at the worst moment."""
    def behaviour(conn, index):
        if not read_request_head(conn):
            return
        if first_requests is not None and index < first_requests.parties:
            first_requests.wait(timeout=20)
        conn.sendall(ok_response())
        read_request_head(conn)

    return behaviour


def test_idempotent_request_is_retried_on_a_fresh_connection(gateway_factory, std_pki, scripted):
    barrier = threading.Barrier(2)
    up = scripted(serve_once_then_close(barrier))
    gw = gateway(gateway_factory, std_pki, up)
    # two requests at once: two upstream connections, both back in the pool afterwards
    results = []
    threads = [threading.Thread(target=lambda: results.append(get(gw, std_pki, f"/warm/{token()}")[0]))
               for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert [r.status for r in results] == [200, 200], results
    assert up.connections == 2
    # both pooled connections now close when a request arrives: the retry must not take the other one
    r, _, port = get(gw, std_pki, "/after")
    assert r.status == 200, r
    assert up.connections == 3
    assert_log(gw.log_for_client_port(port), status=200, reason="allowed")


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_non_idempotent_request_is_not_retried(gateway_factory, std_pki, scripted, method):
    up = scripted(serve_once_then_close(None))
    gw = gateway(gateway_factory, std_pki, up)
    assert get(gw, std_pki, "/warm")[0].status == 200
    r, _, port = get(gw, std_pki, "/once", method=method, extra=["Content-Length: 0"])
    assert r.status == 502, r
    assert up.connections == 1  # sent once, on the pooled connection
    assert_log(gw.log_for_client_port(port), status=502, reason="upstream_unavailable")


# --- upstream response header deadline --------------------------------------------------------------------------

def test_dripping_response_header_is_cut_at_upstream_header(gateway_factory, std_pki, scripted):
    up = None

    def behaviour(conn, _):
        if read_request_head(conn):
            up.drip(conn, ok_response(b"too late"), 0.3)  # ~20 s for the whole header

    up = scripted(behaviour)
    gw = gateway(gateway_factory, std_pki, up, upstream_response="5s", upstream_header="1s")
    started = time.monotonic()
    r, _, port = get(gw, std_pki, "/drip")
    elapsed = time.monotonic() - started
    assert r.status == 504, r
    assert 0.9 <= elapsed < 10, elapsed  # 1 s deadline; every byte re-armed the 5 s upstream_response
    assert_log(gw.log_for_client_port(port), status=504, reason="upstream_timeout")
