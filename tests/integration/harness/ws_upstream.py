"""A real WebSocket upstream (python3-websockets) on a loopback port, in its own thread and event loop.

    up = WebSocketUpstream().start()
    up.url                      # "http://127.0.0.1:<port>" for a route's `to`
    up.upgrades                 # one dict of request headers (lower-case names -> list of values) per upgrade
    up.stop()

Each connection gets "hello" first, then every message it sends comes back as "echo:<message>".
"""

from __future__ import annotations

import asyncio
import threading

import websockets


class WebSocketUpstream:
    def __init__(self):
        self.upgrades: list[dict[str, list[str]]] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _handler(self, ws, _path=None):
        headers: dict[str, list[str]] = {}
        for name, value in ws.request_headers.raw_items():
            headers.setdefault(name.lower(), []).append(value)
        self.upgrades.append(headers)
        await ws.send("hello")
        async for message in ws:
            await ws.send(f"echo:{message}")

    def start(self) -> "WebSocketUpstream":
        self._thread.start()
        async def serve():
            return await websockets.serve(self._handler, "127.0.0.1", 0)
        started = asyncio.run_coroutine_threadsafe(serve(), self._loop)
        self._server = started.result(timeout=10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        async def close():
            self._server.close()
            await self._server.wait_closed()
        asyncio.run_coroutine_threadsafe(close(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
