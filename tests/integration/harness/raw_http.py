"""Raw HTTP/1.1 over TLS: the request is exactly the bytes given (duplicate Host, odd Transfer-Encoding,
broken chunk lines, header names with '_'), the response is read with http.client's parser.

    with RawConnection(port, "app.test", cacert=...) as c:
        c.send(b"GET / HTTP/1.1\\r\\nHost: app.test\\r\\n\\r\\n")
        r = c.response()                  # HttpResult (status, headers, body, local_port)
        c.closed_by_peer()                # True once the gateway has closed the connection

    r, closed = exchange(port, "app.test", data, cacert=...)   # one request, then wait for close
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from typing import Optional

from .clients import HttpResult, make_context


class RawConnection:
    def __init__(self, port: int, sni: str, *, cacert, cert=None, key=None, timeout: float = 15.0):
        ctx = make_context(cacert, cert, key)
        sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = ctx.wrap_socket(sock, server_hostname=sni)
        self.local_port = self.sock.getsockname()[1]
        self.timeout = timeout

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def response(self, method: str = "GET") -> HttpResult:
        resp = http.client.HTTPResponse(self.sock, method=method)
        resp.begin()
        body = resp.read()
        return HttpResult(resp.status, list(resp.getheaders()), body, local_port=self.local_port)

    def closed_by_peer(self, timeout: float = 10.0) -> bool:
        """Whether the peer closes the connection within `timeout` (EOF or reset); False if it stays open."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                return False
            except (ConnectionResetError, ssl.SSLError, BrokenPipeError):
                return True
            if not data:
                return True
        return False

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self) -> "RawConnection":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def exchange(port: int, sni: str, data: bytes, *, cacert, cert=None, key=None, method: str = "GET",
             timeout: float = 15.0) -> tuple[Optional[HttpResult], bool, int]:
    """Send `data`, read one response (None when the connection closed without one), and report whether
    the gateway then closed the connection: (response, closed, local port)."""
    with RawConnection(port, sni, cacert=cacert, cert=cert, key=key, timeout=timeout) as c:
        c.send(data)
        try:
            r = c.response(method)
        except (http.client.RemoteDisconnected, ConnectionResetError, ssl.SSLError):
            return None, True, c.local_port
        return r, c.closed_by_peer(), c.local_port
