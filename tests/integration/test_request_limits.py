"""Request limits (issue 12): limits.max_headers (431 beyond it) and max_request_body, global and per route
(413 for a Content-Length above it, before anything reaches the upstream; a chunked body that grows past
it is cut mid-stream with a 413 and the connection closes). Raw requests over TLS to a real certgate.

Gateway `gw` (limits.max_headers 10, limits.max_request_body 1KiB), routes without mTLS:
  app.test     inherits 1KiB
  public.test  max_request_body 0 (no limit)
  base.test    max_request_body 100
Gateway `gw_default`: no limits set (max_headers 100, no body limit); app.test and echo.test (echo://).
Gateway `gw_paced`: timeouts.request_body 1s, limits.min_request_body_rate 100: a body must arrive within
1 s plus a second per 100 bytes (408 otherwise).
"""

from __future__ import annotations

import select
import time

import pytest

from harness.checks import assert_json_message, assert_log, token
from harness.configs import gateway_config, route
from harness.raw_http import RawConnection, exchange


def _route(host, up, **extra):
    r = route(f"https://{host}", up, mtls={"mode": "off"})
    r.update(extra)
    return r


@pytest.fixture(scope="module")
def gw(module_gateway, std_pki, upstream):
    return module_gateway(gateway_config(std_pki, [
        _route("app.test", upstream.url),
        _route("public.test", upstream.url, max_request_body=0),
        _route("base.test", upstream.url, max_request_body=100),
    ], limits={"max_headers": 10, "max_request_body": "1KiB"}))


@pytest.fixture(scope="module")
def gw_default(module_gateway, std_pki, upstream):
    # echo.test: Python's http.server upstream itself refuses more than 100 header fields
    return module_gateway(gateway_config(std_pki, [_route("app.test", upstream.url), _route("echo.test", "echo://")]))


def head(request_line: str, *fields: str) -> bytes:
    return ("\r\n".join([request_line, *fields]) + "\r\n\r\n").encode()


def post(host: str, path: str, length: int, *extra: str) -> bytes:
    return head(f"POST {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {length}", *extra) + b"x" * length


def assert_413(gw, r, closed, port):
    assert r is not None, "closed without a response"
    assert_json_message(r, 413, "Content Too Large", exact_body=True)
    assert closed
    assert_log(gw.log_for_client_port(port), status=413, reason="body_too_large")


# --- limits.max_headers ---------------------------------------------------------------------------------------

def fields_in_all(count: int, host: str) -> list[str]:
    """`count` header fields: Host, Connection and count - 2 others."""
    return [f"Host: {host}"] + [f"X-H{i}: {i}" for i in range(count - 2)] + ["Connection: close"]


@pytest.mark.parametrize("count,status", [(10, 200), (11, 431)])
def test_max_headers(gw, std_pki, count, status):
    fields = fields_in_all(count, "app.test")
    r, closed, port = exchange(gw.port, "app.test", head(f"GET /h/{token()} HTTP/1.1", *fields),
                               cacert=std_pki.server_ca.cert_path)
    assert r.status == status, r
    assert closed
    if status == 431:
        assert_json_message(r, 431, "Request Header Fields Too Large", exact_body=True)
        assert_log(gw.log_for_client_port(port), status=431, reason="bad_request")


@pytest.mark.parametrize("count,status", [(100, 200), (101, 431), (5000, 431)])
def test_max_headers_default_is_100(gw_default, std_pki, count, status):
    fields = fields_in_all(count, "echo.test")
    r, _, port = exchange(gw_default.port, "echo.test", head(f"GET /h/{token()} HTTP/1.1", *fields),
                          cacert=std_pki.server_ca.cert_path)
    assert r.status == status, r
    assert_log(gw_default.log_for_client_port(port), status=status,
               reason="allowed" if status == 200 else "bad_request")


# --- max_request_body ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("host,limit", [("app.test", 1024), ("base.test", 100)])
def test_content_length_at_the_limit_passes(gw, std_pki, host, limit):
    r, _, _ = exchange(gw.port, host, post(host, f"/{token()}/upload", limit, "Connection: close"),
                       cacert=std_pki.server_ca.cert_path)
    assert r.status == 200, r
    assert r.json()["bytes"] == limit


@pytest.mark.parametrize("host,limit", [("app.test", 1024), ("base.test", 100)])
def test_content_length_above_the_limit_is_413_before_the_upstream(gw, std_pki, upstream, host, limit):
    tok = token()
    r, closed, port = exchange(gw.port, host, post(host, f"/{tok}/upload", limit + 1),
                               cacert=std_pki.server_ca.cert_path)
    assert_413(gw, r, closed, port)
    assert upstream.find(lambda rec: tok in rec.path) == []
    assert 'reason=body_too_large detail="Content-Length above max_request_body"' in gw.stderr_text()


def test_expect_continue_above_the_limit_gets_413_not_100(gw, std_pki, upstream):
    tok = token()
    with RawConnection(gw.port, "app.test", cacert=std_pki.server_ca.cert_path) as c:
        c.send(head(f"POST /{tok}/upload HTTP/1.1", "Host: app.test", "Content-Length: 5000",
                    "Expect: 100-continue"))
        r = c.response("POST")
        assert r.status == 413, r
        assert c.closed_by_peer()


def test_route_without_limit(gw, std_pki):
    r, _, _ = exchange(gw.port, "public.test", post("public.test", f"/{token()}/upload", 64 * 1024, "Connection: close"),
                       cacert=std_pki.server_ca.cert_path)
    assert r.status == 200, r
    assert r.json()["bytes"] == 64 * 1024


def test_no_limit_by_default(gw_default, std_pki):
    r, _, _ = exchange(gw_default.port, "app.test",
                       post("app.test", f"/{token()}/upload", 2 * 1024 * 1024, "Connection: close"),
                       cacert=std_pki.server_ca.cert_path)
    assert r.status == 200, r
    assert r.json()["bytes"] == 2 * 1024 * 1024


def chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def test_chunked_body_within_the_limit(gw, std_pki):
    with RawConnection(gw.port, "base.test", cacert=std_pki.server_ca.cert_path) as c:
        c.send(head(f"POST /{token()}/upload HTTP/1.1", "Host: base.test", "Transfer-Encoding: chunked") +
               chunk(b"a" * 60) + chunk(b"b" * 40) + b"0\r\n\r\n")
        r = c.response("POST")
        assert r.status == 200, r
        assert r.json()["bytes"] == 100


def test_chunked_body_cut_mid_stream(gw, std_pki, upstream):
    tok = token()
    with RawConnection(gw.port, "base.test", cacert=std_pki.server_ca.cert_path) as c:
        c.send(head(f"POST /{tok}/upload HTTP/1.1", "Host: base.test", "Transfer-Encoding: chunked") +
               chunk(b"a" * 80))
        upstream.wait_for(lambda rec: tok in rec.path)  # the request is under way at the upstream
        c.send(chunk(b"b" * 21))
        r = c.response("POST")
        assert_json_message(r, 413, "Content Too Large", exact_body=True)
        assert c.closed_by_peer()
        assert_log(gw.log_for_client_port(c.local_port), status=413, reason="body_too_large")
    assert 'reason=body_too_large detail="a chunked body above max_request_body"' in gw.stderr_text()


# --- request body pace (timeouts.request_body, limits.min_request_body_rate) --------------------------------

@pytest.fixture(scope="module")
def gw_paced(module_gateway, std_pki, upstream):
    return module_gateway(gateway_config(std_pki, [_route("app.test", upstream.url), _route("echo.test", "echo://")],
                                         timeouts={"request_body": "1s"}, limits={"min_request_body_rate": 100}))


@pytest.mark.parametrize("host", ["app.test", "echo.test"])
def test_dripping_body_is_cut_at_its_pace(gw_paced, std_pki, host):
    # 1 s allowance plus 1 s per 100 bytes: a byte every 0.3 s falls behind at once
    with RawConnection(gw_paced.port, host, cacert=std_pki.server_ca.cert_path) as c:
        c.send(head(f"POST /{token()}/upload HTTP/1.1", f"Host: {host}", "Content-Length: 1000"))
        started = time.monotonic()
        while time.monotonic() - started < 20:
            readable, _, _ = select.select([c.sock], [], [], 0.3)  # the pace of the drip
            if readable:
                break
            try:
                c.send(b"x")
            except OSError:
                break
        r = c.response("POST")
        elapsed = time.monotonic() - started
        assert_json_message(r, 408, "Request Timeout", exact_body=True)
        assert c.closed_by_peer()
        assert 0.9 <= elapsed < 15, elapsed
        assert_log(gw_paced.log_for_client_port(c.local_port), status=408, reason="request_timeout")


def test_body_at_pace_passes(gw_paced, std_pki):
    # 3 KiB in pieces: each piece earns its time, so the body may take longer than the 1 s allowance
    with RawConnection(gw_paced.port, "app.test", cacert=std_pki.server_ca.cert_path) as c:
        c.send(head(f"POST /{token()}/upload HTTP/1.1", "Host: app.test", "Content-Length: 3072"))
        for _ in range(6):
            c.send(b"y" * 512)
            select.select([c.sock], [], [], 0.3)
        r = c.response("POST")
        assert r.status == 200, r
        assert r.json()["bytes"] == 3072
