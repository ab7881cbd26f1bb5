"""Proxying: keep-alive, pooled upstream connections, streamed bodies (Content-Length and chunked, both
directions), a 100 MiB upload in bounded memory, 502/504, the upstream base path, status pass-through."""

from __future__ import annotations

import hashlib
import time

import pytest

from harness.checks import assert_json_message, assert_log, find_log, token, upstream_view
from harness.clients import TLSClient, curl
from harness.configs import gateway_config, route
from harness.gateway import ClosedPort, client_port_of
from harness.upstream import CHUNKED_BODY, pattern_bytes, pattern_chunks, pattern_sha256

MiB = 1024 * 1024


@pytest.fixture(scope="module")
def closed_port():
    cp = ClosedPort()
    yield cp.port
    cp.close()


@pytest.fixture(scope="module")
def gw(module_gateway, std_pki, upstream, closed_port):
    up = upstream.url
    routes = [
        route("https://proxy.test", up),
        route("https://down.test", f"http://127.0.0.1:{closed_port}"),
        route("https://base.test", f"{up}/base"),
        route("https://baseapi.test/api", f"{up}/base"),
    ]
    return module_gateway(gateway_config(std_pki, routes, timeouts={"upstream_connect": "2s"}))


def client(gw, std, sni="proxy.test", **kw):
    a = std.alice
    return TLSClient(gw.port, sni, cacert=std.server_ca.cert_path, cert=a.cert_path, key=a.key_path, **kw)


def _curl(gw, std, host, path, **kw):
    a = std.alice
    return curl(host, gw.port, path, cacert=std.server_ca.cert_path, cert=a.cert_path, key=a.key_path, **kw)


# --- keep-alive -------------------------------------------------------------------------------------------

def test_thousand_requests_on_one_connection(gw, std_pki, upstream):
    t = token()
    n = 1000
    with client(gw, std_pki) as cl:
        cl.connect()
        sock = cl.sock
        statuses = []
        for i in range(n):
            statuses.append(cl.get(f"/ka/{t}/{i}").status)
            assert cl.sock is sock and cl.connect_count == 1, f"connection replaced after request {i}"
        port = cl.local_port
    assert statuses == [200] * n
    entries = gw.wait_for_logs(lambda e: t in e.get("path", ""), n, timeout=10)
    time.sleep(0.3)
    entries = [e for e in gw.access_log_lines() if t in e.get("path", "")]
    assert len(entries) == n, f"{len(entries)} access log lines for {n} requests"
    assert {client_port_of(e) for e in entries} == {port}, "the access log shows more than one client connection"
    assert all(e["status"] == 200 for e in entries)
    recs = upstream.find(lambda r: t in r.path)
    assert len(recs) == n
    ports = {r.peer_port for r in recs}
    assert len(ports) <= 10, f"{len(ports)} upstream connections for {n} sequential requests: not pooled"


def test_keep_alive_survives_error_statuses_from_upstream(gw, std_pki):
    with client(gw, std_pki) as cl:
        assert cl.get("/status/404").status == 404
        assert cl.get("/status/500").status == 500
        assert cl.get("/status/204").status == 204
        assert cl.get(f"/t/{token()}").status == 200
        assert cl.connect_count == 1


@pytest.mark.parametrize("code", [201, 302, 404, 418, 500, 503])
def test_upstream_status_passes_through(gw, std_pki, code):
    r = _curl(gw, std_pki, "proxy.test", f"/status/{code}")
    assert r.status == code, r
    e = find_log(gw, r.local_port, f"/status/{code}")
    assert_log(e, status=code, reason="allowed")


# --- request bodies ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("size", [0, 1, 1 * MiB + 3])
def test_upload_content_length_curl(gw, std_pki, size):
    data = pattern_bytes(size)
    r = _curl(gw, std_pki, "proxy.test", "/upload", data=data)
    assert r.status == 200, r
    d = r.json()
    assert (d["bytes"], d["sha256"]) == (size, hashlib.sha256(data).hexdigest())


def test_upload_chunked_curl(gw, std_pki):
    data = pattern_bytes(3 * MiB + 17)
    r = _curl(gw, std_pki, "proxy.test", "/upload", data=data, chunked=True)
    assert r.status == 200, r
    d = r.json()
    assert (d["bytes"], d["sha256"]) == (len(data), hashlib.sha256(data).hexdigest())


def test_upload_chunked_http_client(gw, std_pki):
    size = 5 * MiB + 1
    with client(gw, std_pki) as cl:
        r = cl.request("POST", "/upload", body=pattern_chunks(size, 100_000), encode_chunked=True)
        assert r.status == 200, r
        d = r.json()
        assert (d["bytes"], d["sha256"]) == (size, pattern_sha256(size, 100_000))
        # the connection is still in sync after a chunked upload
        r2 = cl.request("POST", "/upload", body=b"abc")
        assert r2.json()["bytes"] == 3
        assert cl.connect_count == 1


def test_upload_then_keep_alive_get(gw, std_pki):
    with client(gw, std_pki) as cl:
        r = cl.request("PUT", "/upload", body=pattern_chunks(2 * MiB), headers=[("Content-Length", str(2 * MiB))])
        assert r.json()["bytes"] == 2 * MiB
        r = cl.get(f"/t/{token()}")
        assert r.status == 200 and upstream_view(r)["method"] == "GET"
        assert cl.connect_count == 1


# --- response bodies --------------------------------------------------------------------------------------

def test_chunked_response_curl(gw, std_pki):
    r = _curl(gw, std_pki, "proxy.test", "/chunked")
    assert r.status == 200
    assert r.body == CHUNKED_BODY


def test_chunked_response_keep_alive(gw, std_pki):
    with client(gw, std_pki) as cl:
        for _ in range(3):
            r = cl.get("/chunked")
            assert r.status == 200 and r.body == CHUNKED_BODY
        assert cl.get(f"/t/{token()}").status == 200
        assert cl.connect_count == 1


@pytest.mark.parametrize("chunked", [False, True])
def test_large_response(gw, std_pki, chunked):
    n = 8 * MiB + 5
    with client(gw, std_pki) as cl:
        r = cl.get(f"/bytes?n={n}&chunked={int(chunked)}")
        assert r.status == 200
        assert len(r.body) == n
        assert hashlib.sha256(r.body).hexdigest() == pattern_sha256(n)
        if not chunked:
            assert r.header("Content-Length") == str(n)


# --- 100 MiB upload in bounded memory ---------------------------------------------------------------------

def test_100_mib_upload_streams(gateway_factory, std_pki, upstream):
    gw = gateway_factory(gateway_config(std_pki, [route("https://proxy.test", upstream.url)]))
    size = 100 * MiB
    want = pattern_sha256(size)
    with client(gw, std_pki, timeout=60) as cl:
        # warm up: TLS, pools and buffers exist before the baseline is taken
        for _ in range(3):
            assert cl.request("POST", "/upload", body=pattern_bytes(256 * 1024)).status == 200
        hwm0 = gw.hwm_kib()
        t0 = time.monotonic()
        r = cl.request("POST", "/upload", body=pattern_chunks(size), headers=[("Content-Length", str(size))])
        elapsed = time.monotonic() - t0
    assert r.status == 200, r
    d = r.json()
    assert d["bytes"] == size
    assert d["sha256"] == want
    growth = gw.hwm_kib() - hwm0
    assert growth < 40 * 1024, f"VmHWM grew by {growth} KiB during a 100 MiB upload (limit 40 MiB): buffered?"
    assert elapsed < 60


# --- upstream failures ------------------------------------------------------------------------------------

def test_upstream_refused_is_502(gw, std_pki):
    t = token()
    r = _curl(gw, std_pki, "down.test", f"/t/{t}")
    assert_json_message(r, 502)
    assert_log(find_log(gw, r.local_port, t), status=502, reason="upstream_unavailable", verify="SUCCESS",
               route="https://down.test")


def test_upstream_timeout_is_504(gateway_factory, std_pki, upstream):
    gw = gateway_factory(gateway_config(std_pki, [route("https://slow.test", upstream.url)],
                                        timeouts={"upstream_response": "1s"}))
    a = std_pki.alice
    t0 = time.monotonic()
    r = curl("slow.test", gw.port, "/slow?ms=4000", cacert=std_pki.server_ca.cert_path, cert=a.cert_path,
             key=a.key_path)
    elapsed = time.monotonic() - t0
    assert_json_message(r, 504)
    assert 0.9 <= elapsed < 3.5, f"504 after {elapsed:.2f}s with upstream_response: 1s"
    e = find_log(gw, r.local_port, "/slow")
    assert_log(e, status=504, reason="upstream_timeout", route="https://slow.test")
    # a response within the timeout is fine
    r = curl("slow.test", gw.port, "/slow?ms=300", cacert=std_pki.server_ca.cert_path, cert=a.cert_path,
             key=a.key_path)
    assert r.status == 200, r


# --- base path --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("host,path,upstream_path", [
    ("base.test", "/x/y", "/base/x/y"),
    ("base.test", "/x/y?q=1&r=2", "/base/x/y?q=1&r=2"),
    ("base.test", "/", "/base/"),
    ("baseapi.test", "/api/v1/items", "/base/api/v1/items"),
])
def test_base_path_is_prepended(gw, std_pki, host, path, upstream_path):
    r = _curl(gw, std_pki, host, path)
    assert r.status == 200, r
    assert upstream_view(r)["path"] == upstream_path
