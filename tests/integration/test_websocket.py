"""WebSocket through certgate: a real python3-websockets client with a client certificate, a real
python3-websockets upstream.

One gateway for the module:
  req.test    mode required, allow_websockets: true
  keep.test   mode required, no allow_websockets (upgrades get 403)
  opt.test    mode optional, allow_websockets: true, timeouts.idle short (the tunnel's idle timeout)
"""

from __future__ import annotations

import asyncio
import time

import pytest
import websockets

from harness.clients import make_context
from harness.configs import gateway_config, route
from harness.ws_upstream import WebSocketUpstream

SPOOFED = [("X-Client-Cert-Verify", "SUCCESS"), ("X-Client-Cert-Subject-DN", "CN=admin"),
           ("X-Consumer-Username", "admin"), ("X_Client_Cert_Fingerprint", "00ff")]


@pytest.fixture(scope="module")
def ws_upstream():
    up = WebSocketUpstream().start()
    yield up
    up.stop()


@pytest.fixture(scope="module")
def gw(module_gateway, std_pki, ws_upstream):
    ws_route = route("https://req.test", ws_upstream.url)
    ws_route["allow_websockets"] = True
    opt_route = route("https://opt.test", ws_upstream.url, mtls={"mode": "optional"})
    opt_route["allow_websockets"] = True
    routes = [ws_route, route("https://keep.test", ws_upstream.url), opt_route]
    return module_gateway(gateway_config(std_pki, routes, timeouts={"idle": "2s"}))


def _context(std, cert=None):
    c = std[cert] if cert else None
    return make_context(std.server_ca.cert_path, c.cert_path if c else None, c.key_path if c else None, alpn=None)


async def _talk(port, host, ctx, messages, extra_headers=()):
    """Connects, reads the greeting, sends each message and reads its echo; returns what came back."""
    async with websockets.connect(f"wss://{host}:{port}/chat", ssl=ctx, host="127.0.0.1", port=port,
                                  extra_headers=list(extra_headers), open_timeout=10) as ws:
        got = [await asyncio.wait_for(ws.recv(), 10)]
        for m in messages:
            await ws.send(m)
            got.append(await asyncio.wait_for(ws.recv(), 10))
        return got


def _status_of_refused(port, host, ctx) -> int:
    with pytest.raises(websockets.exceptions.InvalidStatusCode) as refused:
        asyncio.run(_talk(port, host, ctx, []))
    return refused.value.status_code


def test_messages_flow_both_ways_with_identity_headers(gw, std_pki, ws_upstream):
    before = len(ws_upstream.upgrades)
    got = asyncio.run(_talk(gw.port, "req.test", _context(std_pki, "alice"), ["one", "two" * 5000],
                            extra_headers=SPOOFED))
    assert got == ["hello", "echo:one", "echo:" + "two" * 5000]
    assert len(ws_upstream.upgrades) == before + 1
    seen = ws_upstream.upgrades[-1]
    assert seen["x-client-cert-verify"] == ["SUCCESS"]
    assert seen["x-client-cert-fingerprint"] == [std_pki["alice"].fingerprint_sha256]
    assert seen["x-client-cert-subject-dn"] != ["CN=admin"]
    assert "x-consumer-username" not in seen, "a spoofed identity header reached the upstream"
    assert "x_client_cert_fingerprint" not in seen, "a look-alike header reached the upstream"
    assert seen["upgrade"] == ["websocket"]
    # One access-log line when the tunnel ends: 101, allowed.
    e = gw.wait_for_log(lambda e: e.get("host") == "req.test" and e.get("status") == 101, timeout=10)
    assert e["reason"] == "allowed" and e["verify"] == "SUCCESS"


def test_no_certificate_is_refused_before_the_upgrade(gw, std_pki, ws_upstream):
    before = len(ws_upstream.upgrades)
    assert _status_of_refused(gw.port, "req.test", _context(std_pki)) == 401
    assert len(ws_upstream.upgrades) == before, "a refused upgrade reached the upstream"


def test_route_without_allow_websockets_answers_403(gw, std_pki, ws_upstream):
    before = len(ws_upstream.upgrades)
    assert _status_of_refused(gw.port, "keep.test", _context(std_pki, "alice")) == 403
    assert len(ws_upstream.upgrades) == before
    e = gw.wait_for_log(lambda e: e.get("host") == "keep.test" and e.get("status") == 403)
    assert e["reason"] == "websocket_not_allowed"
    assert "reason=websocket_not_allowed" in gw.stderr_text()


def test_idle_tunnel_is_closed_after_the_idle_timeout(gw, std_pki):
    async def idle():
        async with websockets.connect(f"wss://opt.test:{gw.port}/idle", ssl=_context(std_pki), host="127.0.0.1",
                                      port=gw.port, open_timeout=10, ping_interval=None) as ws:
            assert await asyncio.wait_for(ws.recv(), 10) == "hello"
            started = time.monotonic()
            with pytest.raises(websockets.exceptions.ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 30)
            return time.monotonic() - started

    waited = asyncio.run(idle())
    assert 1.0 <= waited < 25, waited
    e = gw.wait_for_log(lambda e: e.get("host") == "opt.test" and e.get("status") == 101, timeout=10)
    assert e["verify"] == "NONE"
