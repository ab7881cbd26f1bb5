"""Signals: SIGTERM drains in-flight requests, refuses new connections, exits 0."""

from __future__ import annotations

import signal
import threading
import time

from harness.checks import token
from harness.clients import TLSClient, tcp_connect_refused
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
