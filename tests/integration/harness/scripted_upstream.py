"""An HTTP/1.1 upstream that misbehaves on purpose, one scripted behaviour per accepted connection.

    up = ScriptedUpstream(behaviour).start();  up.url;  up.connections;  up.stop()

`behaviour(conn, index)` gets each accepted socket (and its 0-based index) on its own thread; the helpers
below read one request header and write canned bytes. stop() closes the listener and every connection,
so no thread outlives the test.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Callable, Optional


def read_request_head(conn: socket.socket, timeout: float = 30.0) -> Optional[bytes]:
    """The bytes of one request header (up to the blank line), or None when the peer closed first."""
    conn.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        try:
            piece = conn.recv(65536)
        except OSError:
            return None
        if not piece:
            return None
        data += piece
    return data


def ok_response(body: bytes = b"ok", keep_alive: bool = True) -> bytes:
    head = f"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {len(body)}\r\n"
    head += "\r\n" if keep_alive else "Connection: close\r\n\r\n"
    return head.encode() + body


class ScriptedUpstream:
    def __init__(self, behaviour: Callable[[socket.socket, int], None]):
        self.behaviour = behaviour
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.connections = 0
        self.stopped = threading.Event()
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    @property
    def port(self) -> int:
        return self.sock.getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "ScriptedUpstream":
        t = threading.Thread(target=self._accept, daemon=True)
        t.start()
        self._threads.append(t)
        return self

    def _accept(self):
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self._lock:
                index = self.connections
                self.connections += 1
                self._open.append(conn)
            t = threading.Thread(target=self._run, args=(conn, index), daemon=True)
            t.start()
            self._threads.append(t)

    def _run(self, conn: socket.socket, index: int):
        try:
            self.behaviour(conn, index)
        except OSError:
            pass
        finally:
            conn.close()

    def drip(self, conn: socket.socket, data: bytes, interval: float) -> None:
        """Send `data` one byte per `interval` seconds until done, the peer goes, or stop()."""
        for i in range(len(data)):
            if self.stopped.wait(interval):
                return
            conn.sendall(data[i:i + 1])

    def stop(self) -> None:
        self.stopped.set()
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the accept() (close alone does not, on Linux)
        except OSError:
            pass
        self.sock.close()
        with self._lock:
            for conn in self._open:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        deadline = time.monotonic() + 10
        for t in self._threads:
            t.join(timeout=max(0.1, deadline - time.monotonic()))
