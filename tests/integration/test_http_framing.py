"""Strict HTTP/1.1 framing (RFC 9112, issue 12), with raw requests over TLS to a real certgate: one Host,
absolute-form targets, Transfer-Encoding that the gateway can relay without ambiguity, valid chunk lines,
and no path parameters that upstreams would resolve to another path. Every refusal is a 400 with the
usual body, the connection closes, the access log says `bad_request` and the error log has the detail.

Routes (a recording upstream; the client never sends a certificate):
  app.test         mtls off
  app.test/admin   mtls required
"""

from __future__ import annotations

import pytest

from harness.checks import assert_json_message, assert_log, token
from harness.configs import gateway_config, route
from harness.raw_http import RawConnection, exchange


@pytest.fixture(scope="module")
def gw(module_gateway, std_pki, upstream):
    return module_gateway(gateway_config(std_pki, [
        route("https://app.test", upstream.url, mtls={"mode": "off"}),
        route("https://app.test/admin", upstream.url, mtls={"mode": "required"}),
    ]))


def send(gw, std, data: bytes, sni="app.test"):
    return exchange(gw.port, sni, data, cacert=std.server_ca.cert_path)


def head(request_line: str, *fields: str) -> bytes:
    return ("\r\n".join([request_line, *fields]) + "\r\n\r\n").encode()


def assert_refused(gw, r, closed, port, status=400):
    assert r is not None, "the connection closed without a response"
    assert_json_message(r, status, {400: "Bad Request", 413: "Content Too Large"}.get(status), exact_body=True)
    assert closed, "the connection stayed open after a refusal"
    e = gw.log_for_client_port(port)
    assert_log(e, status=status, reason="bad_request" if status == 400 else "body_too_large")
    return e


def assert_upstream_never_saw(upstream, marker: str):
    assert upstream.find(lambda rec: marker in rec.path) == [], f"{marker} reached the upstream"


# --- Host ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("hosts", [("app.test", "app.test"), ("app.test", "other.test"), ("other.test", "app.test")])
def test_two_host_headers(gw, std_pki, upstream, hosts):
    tok = token()
    r, closed, port = send(gw, std_pki, head(f"GET /h/{tok} HTTP/1.1", *(f"Host: {h}" for h in hosts)))
    assert_refused(gw, r, closed, port)
    assert_upstream_never_saw(upstream, tok)
    assert 'detail="more than one Host header"' in gw.stderr_text()


def test_no_host_on_http11(gw, std_pki, upstream):
    tok = token()
    r, closed, port = send(gw, std_pki, head(f"GET /h/{tok} HTTP/1.1"))
    assert_refused(gw, r, closed, port)
    assert_upstream_never_saw(upstream, tok)


def test_no_host_on_http10_uses_the_sni(gw, std_pki, upstream):
    tok = token()
    r, _, port = send(gw, std_pki, head(f"GET /h/{tok} HTTP/1.0"))
    assert r.status == 200, r
    assert upstream.wait_for(lambda rec: tok in rec.path).header_values("Host") == [f"127.0.0.1:{upstream.port}"]


@pytest.mark.parametrize("host", ["", "app.test/x", "app test", "user@app.test"])
def test_invalid_host_value(gw, std_pki, host):
    r, closed, port = send(gw, std_pki, head(f"GET /h/{token()} HTTP/1.1", f"Host: {host}"))
    assert_refused(gw, r, closed, port)


# --- absolute-form ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("authority,host", [("app.test", "app.test"), ("APP.test:{port}", "app.test:{port}"),
                                            ("app.test", "app.test:{port}")])
def test_absolute_form_is_accepted(gw, std_pki, upstream, authority, host):
    tok = token()
    authority, host = authority.format(port=gw.port), host.format(port=gw.port)
    r, _, port = send(gw, std_pki, head(f"GET https://{authority}/abs/{tok}?q=1 HTTP/1.1", f"Host: {host}",
                                        "Connection: close"))
    assert r.status == 200, r
    rec = upstream.wait_for(lambda rec: tok in rec.path)
    assert rec.path == f"/abs/{tok}?q=1"  # origin-form to the upstream
    assert_log(gw.log_for_client_port(port), status=200, reason="allowed", host="app.test", port=gw.port)


def test_absolute_form_authority_routes_and_is_authorized(gw, std_pki, upstream):
    # the authority picks the route, so /admin needs the certificate whatever else is said
    r, _, port = send(gw, std_pki, head("GET https://app.test/admin/x HTTP/1.1", "Host: app.test",
                                        "Connection: close"))
    assert r.status == 401, r
    assert_log(gw.log_for_client_port(port), status=401, reason="no_certificate")


@pytest.mark.parametrize("target,host", [("https://other.test/x", "app.test"), ("https://app.test:1/x", "app.test:2"),
                                         ("https://u@app.test/x", "app.test"), ("ftp://app.test/x", "app.test"),
                                         ("*", "app.test")])
def test_absolute_form_must_agree_with_host(gw, std_pki, upstream, target, host):
    r, closed, port = send(gw, std_pki, head(f"GET {target} HTTP/1.1", f"Host: {host}"))
    assert_refused(gw, r, closed, port)


# --- Transfer-Encoding ------------------------------------------------------------------------------------------

SMUGGLED = "GET /smuggled-{tok} HTTP/1.1\r\nHost: app.test\r\n\r\n"


@pytest.mark.parametrize("te", ["chunked, identity", "xchunked", "gzip, chunked", "identity", "gzip", "chunked;x=1",
                                "chunked,", "Transfer-Encoding: chunked", "Transfer-Encoding: gzip"])
def test_transfer_encoding_other_than_chunked(gw, std_pki, upstream, te):
    tok = token()
    fields = ["Host: app.test"]
    if te.startswith("Transfer-Encoding: "):  # two fields: chunked plus another
        fields += ["Transfer-Encoding: chunked", te]
    else:
        fields.append(f"Transfer-Encoding: {te}")
    body = f"5\r\nhello\r\n0\r\n\r\n{SMUGGLED.format(tok=tok)}".encode()
    r, closed, port = send(gw, std_pki, head(f"POST /te/{tok} HTTP/1.1", *fields) + body)
    assert_refused(gw, r, closed, port)
    assert_upstream_never_saw(upstream, tok)


@pytest.mark.parametrize("order", ["te-first", "cl-first"])
def test_transfer_encoding_with_content_length(gw, std_pki, upstream, order):
    tok = token()
    fields = ["Transfer-Encoding: chunked", "Content-Length: 5"]
    if order == "cl-first":
        fields.reverse()
    r, closed, port = send(gw, std_pki, head(f"POST /te/{tok} HTTP/1.1", "Host: app.test", *fields) +
                           f"0\r\n\r\n{SMUGGLED.format(tok=tok)}".encode())
    assert_refused(gw, r, closed, port)
    assert_upstream_never_saw(upstream, tok)


def test_transfer_encoding_on_http10(gw, std_pki, upstream):
    tok = token()
    r, closed, port = send(gw, std_pki, head(f"POST /te/{tok} HTTP/1.0", "Host: app.test",
                                             "Transfer-Encoding: chunked") + b"0\r\n\r\n")
    assert_refused(gw, r, closed, port)
    assert_upstream_never_saw(upstream, tok)


def test_chunked_is_relayed(gw, std_pki, upstream):
    tok = token()
    with RawConnection(gw.port, "app.test", cacert=std_pki.server_ca.cert_path) as c:
        c.send(head(f"POST /{tok}/upload HTTP/1.1", "Host: app.test", "Transfer-Encoding: Chunked") +
               b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n")
        r = c.response()
        assert r.status == 200, r
        assert r.json()["bytes"] == 11
        c.send(head(f"GET /again/{tok} HTTP/1.1", "Host: app.test"))  # still in step
        assert c.response().status == 200


# --- chunk lines --------------------------------------------------------------------------------------------------

BAD_CHUNKS = {
    "letters": b"zz\r\nhello\r\n0\r\n\r\n",
    "negative": b"-1\r\nhello\r\n0\r\n\r\n",
    "overflow": b"fffffffffffffffffffff\r\nhello\r\n0\r\n\r\n",
    "hex-prefix": b"0x5\r\nhello\r\n0\r\n\r\n",
    "leading-space": b" 5\r\nhello\r\n0\r\n\r\n",
    "space-inside": b"5 5\r\nhello\r\n0\r\n\r\n",
    "trailing-space": b"5 \r\nhello\r\n0\r\n\r\n",
    "tab": b"5\t\r\nhello\r\n0\r\n\r\n",
    "bare-lf": b"5\nhello\r\n0\r\n\r\n",
    "nul": b"5\x00\r\nhello\r\n0\r\n\r\n",
    "data-longer-than-size": b"3\r\nhello\r\n0\r\n\r\n",
    "no-crlf-after-data": b"5\r\nhelloXX0\r\n\r\n",
    "bad-second-chunk": b"5\r\nhello\r\nzz\r\nworld\r\n0\r\n\r\n",
}


@pytest.mark.parametrize("name", sorted(BAD_CHUNKS))
def test_invalid_chunk_framing_gets_400(gw, std_pki, upstream, name):
    tok = token()
    r, closed, port = send(gw, std_pki, head(f"POST /chunk/{tok} HTTP/1.1", "Host: app.test",
                                             "Transfer-Encoding: chunked") + BAD_CHUNKS[name] +
                           SMUGGLED.format(tok=tok).encode())
    assert_refused(gw, r, closed, port)
    assert_upstream_never_saw(upstream, f"smuggled-{tok}")
    assert "invalid body framing" in gw.stderr_text()


def test_invalid_chunk_framing_on_echo_gets_400(module_gateway, std_pki):
    gw = module_gateway(gateway_config(std_pki, [route("https://echo.test", "echo://", mtls={"mode": "off"})]))
    r, closed, port = send(gw, std_pki, head("POST /e HTTP/1.1", "Host: echo.test", "Transfer-Encoding: chunked") +
                           BAD_CHUNKS["letters"], sni="echo.test")
    assert_refused(gw, r, closed, port)


# --- path parameters --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/public/..;/admin", "/.;/x", "/public/..;x=1/admin", "/;x/admin",
                                  "/public/%2e%2e;/admin", "/public/..%3B/admin", "/public/..%3b/admin/"])
def test_dot_segments_with_parameters_are_refused(gw, std_pki, upstream, path):
    r, closed, port = send(gw, std_pki, head(f"GET {path} HTTP/1.1", "Host: app.test"))
    assert_refused(gw, r, closed, port)
    assert upstream.find(lambda rec: rec.path == path) == []


@pytest.mark.parametrize("path", ["/admin;jsessionid=1", "/admin;x/secret", "/ADMIN/../admin;v=1/x"])
def test_parameters_do_not_hide_a_route(gw, std_pki, path):
    # Tomcat and Spring serve /admin for these: they are /admin to the gateway too
    r, _, port = send(gw, std_pki, head(f"GET {path} HTTP/1.1", "Host: app.test", "Connection: close"))
    assert r.status == 401, r
    assert_log(gw.log_for_client_port(port), status=401, reason="no_certificate", route="https://app.test/admin")


def test_parameters_reach_the_upstream(gw, std_pki, upstream):
    tok = token()
    r, _, _ = send(gw, std_pki, head(f"GET /p/{tok};jsessionid=1 HTTP/1.1", "Host: app.test", "Connection: close"))
    assert r.status == 200, r
    assert upstream.wait_for(lambda rec: tok in rec.path).path == f"/p/{tok};jsessionid=1"


def test_refusal_page_follows_accept(gw, std_pki):
    r, closed, _ = send(gw, std_pki, head("GET / HTTP/1.1", "Host: app.test", "Host: app.test", "Accept: text/html"))
    assert r.status == 400 and closed
    assert r.media_type == "text/html"
    assert "Host" not in r.text


def test_client_closing_mid_body_is_not_a_framing_error(gw, std_pki, upstream):
    tok = token()
    with RawConnection(gw.port, "app.test", cacert=std_pki.server_ca.cert_path) as c:
        c.send(head(f"POST /{tok}/upload HTTP/1.1", "Host: app.test", "Content-Length: 100") + b"x" * 10)
        upstream.wait_for(lambda rec: tok in rec.path)
        port = c.local_port
    e = gw.log_for_client_port(port, timeout=10)
    assert e["status"] != 400 and e["reason"] != "bad_request", e
    assert "partial message" not in gw.stderr_text()
