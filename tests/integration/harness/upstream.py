"""A real threaded HTTP/1.1 upstream (stdlib http.server) that records every request.

    up = Upstream().start();  up.port;  ...;  up.stop()

Endpoints (any method):
  /status/N          answers status N with a small JSON body
  /slow?ms=N         sleeps N ms, then answers like the catch-all
  /chunked           answers with Transfer-Encoding: chunked, CHUNKS joined == CHUNKED_BODY
  /bytes?n=N[&chunked=1]   answers N deterministic bytes (pattern_bytes), Content-Length or chunked
  /whoami            200 {"port": <the upstream's listening port>} (which upstream answered)
  /upload            consumes the request body (Content-Length or chunked) counting bytes and hashing
                     them without storing them; answers {"bytes": n, "sha256": hex, ...}
  anything else      200 JSON describing the request (see describe())
Every response to a request with a body reads that body first, so keep-alive stays in sync.

Each request is recorded (Upstream.requests, a list of Recorded) as soon as its header is parsed, so a
test can see a slow request arrive before it is answered.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional
from urllib.parse import parse_qs, urlsplit

CHUNKS = [b"first chunk\n", b"x" * 5000 + b"\n", b"third chunk: \xe2\x9c\x93\n", b"last\n"]
CHUNKED_BODY = b"".join(CHUNKS)

_PATTERN_BLOCK = hashlib.sha256(b"certgate").digest() * 2048  # 64 KiB, deterministic


def pattern_chunks(total: int, chunk: int = 64 * 1024):
    """`total` deterministic bytes, yielded in pieces (never held in memory at once)."""
    block = (_PATTERN_BLOCK * ((chunk // len(_PATTERN_BLOCK)) + 1))[:chunk]
    sent = 0
    i = 0
    while sent < total:
        n = min(chunk, total - sent)
        # vary the content per block so reordering or duplication changes the hash
        piece = bytes([i & 0xFF]) + block[1:n] if n > 0 else b""
        yield piece[:n]
        sent += n
        i += 1


def pattern_sha256(total: int, chunk: int = 64 * 1024) -> str:
    h = hashlib.sha256()
    for piece in pattern_chunks(total, chunk):
        h.update(piece)
    return h.hexdigest()


def pattern_bytes(total: int) -> bytes:
    return b"".join(pattern_chunks(total))


@dataclass
class Recorded:
    method: str
    path: str  # as received (with query)
    headers: list  # [(name, value), ...] in order, duplicates kept, names as sent
    peer_port: int
    body_length: Optional[int] = None  # set once the body has been consumed
    received_at: float = field(default_factory=time.monotonic)

    def header_values(self, name: str) -> list[str]:
        n = name.lower()
        return [v for k, v in self.headers if k.lower() == n]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "certgate-test-upstream"
    disable_nagle_algorithm = True  # headers and body are separate writes: avoid Nagle + delayed ACK stalls
    sys_version = ""

    def log_message(self, fmt, *args):  # quiet
        pass

    # http.server dispatches on the method name; route every method to one function.
    def __getattr__(self, name):
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)

    def _read_body(self, sink=None) -> int:
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        n = 0
        if "chunked" in te:
            while True:
                line = self.rfile.readline(65537)
                if not line:
                    raise ConnectionError("eof in chunk size")
                size = int(line.split(b";", 1)[0].strip(), 16)
                if size == 0:
                    # trailers until empty line
                    while True:
                        t = self.rfile.readline(65537)
                        if t in (b"\r\n", b"\n", b""):
                            break
                    break
                left = size
                while left:
                    data = self.rfile.read(min(left, 1 << 20))
                    if not data:
                        raise ConnectionError("eof in chunk")
                    left -= len(data)
                    n += len(data)
                    if sink:
                        sink(data)
                self.rfile.readline(3)  # CRLF after the chunk
            return n
        cl = self.headers.get("Content-Length")
        if cl:
            left = int(cl)
            while left:
                data = self.rfile.read(min(left, 1 << 20))
                if not data:
                    raise ConnectionError("eof in body")
                left -= len(data)
                n += len(data)
                if sink:
                    sink(data)
        return n

    def _send(self, status: int, body: bytes, ctype: str = "application/json", extra: Optional[list] = None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra or []:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _handle(self):
        up: "Upstream" = self.server.upstream  # type: ignore[attr-defined]
        rec = Recorded(self.command, self.path, list(self.headers.items()), self.client_address[1])
        up._record(rec)
        url = urlsplit(self.path)
        q = parse_qs(url.query)
        path = url.path

        if path.endswith("/upload") or path == "/upload":
            h = hashlib.sha256()
            n = self._read_body(h.update)
            rec.body_length = n
            body = json.dumps({"bytes": n, "sha256": h.hexdigest(), "headers": rec.headers}).encode()
            self._send(200, body)
            return

        rec.body_length = self._read_body()

        if path == "/whoami":
            self._send(200, json.dumps({"port": self.server.server_address[1]}).encode())
            return
        if path.startswith("/status/"):
            code = int(path.split("/")[2])
            body = json.dumps({"status": code}).encode()
            if code in (204, 304) or code < 200:
                self.send_response(code)
                self.end_headers()
            else:
                self._send(code, body)
            return
        if path == "/slow":
            time.sleep(int(q.get("ms", ["1000"])[0]) / 1000.0)
        if path == "/chunked":
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for c in CHUNKS:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(c), c))
                self.wfile.flush()
                time.sleep(0.02)
            self.wfile.write(b"0\r\n\r\n")
            return
        if path == "/bytes":
            n = int(q.get("n", ["0"])[0])
            if q.get("chunked", ["0"])[0] == "1":
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for piece in pattern_chunks(n):
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                self.wfile.write(b"0\r\n\r\n")
            else:
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(n))
                self.end_headers()
                for piece in pattern_chunks(n):
                    self.wfile.write(piece)
            return
        self._send(200, json.dumps(describe(rec)).encode())


def describe(rec: Recorded) -> dict:
    return {
        "method": rec.method,
        "path": rec.path,
        "headers": [[k, v] for k, v in rec.headers],
        "body_length": rec.body_length,
        "peer_port": rec.peer_port,
    }


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


class Upstream:
    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.host = host
        self.fixed_port = port
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self.server: Optional[_Server] = None
        self.thread: Optional[threading.Thread] = None

    def start(self) -> "Upstream":
        self.server = _Server((self.host, self.fixed_port), _Handler)
        self.server.upstream = self  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        return self

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def _record(self, rec: Recorded):
        with self._cond:
            self.requests.append(rec)
            self._cond.notify_all()

    def clear(self):
        with self._lock:
            self.requests.clear()

    def find(self, predicate) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if predicate(r)]

    def wait_for(self, predicate, timeout: float = 5.0) -> Recorded:
        """The first recorded request matching predicate, waiting up to `timeout` s."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for r in self.requests:
                    if predicate(r):
                        return r
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no upstream request matched within {timeout}s; got "
                                         f"{[(r.method, r.path) for r in self.requests[-10:]]}")
                self._cond.wait(left)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def main() -> None:
    """`python3 upstream.py [PORT]`: serve until killed (see harness.upstream_process); prints the port."""
    import sys
    up = Upstream(port=int(sys.argv[1]) if len(sys.argv) > 1 else 0).start()
    print(up.port, flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
