"""Peers for TLS (TCP) endpoint tests.

    up = TcpUpstream(proxy_protocol=True).start()    # records every connection (up.connections)
    c = TlsPipe(port, "db.localhost", cert=..., key=..., tls="1.3")
    c.send(b"ping"); c.recv_exactly(4); c.close_notify(); c.recv_until_eof()

- `parse_proxy_v2` is an independent PROXY protocol v2 parser written from haproxy's
  doc/proxy-protocol.txt (sections 2.2 and 2.2.6), used to check what certgate sends.
- `TcpUpstream` modes: "echo" sends back everything it receives and, once the client side has ended
  (EOF), sends b"[eof]" and closes; "greet" sends b"hello\\n", half-closes at once (SHUT_WR) and then
  records everything it receives until EOF.
- `TlsPipe` is a TLS client on memory BIOs, so it can half-close: `close_notify()` sends close_notify
  and keeps reading; `shutdown_write()` sends a bare TCP FIN.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Optional

from .clients import make_context

PP2_SIGNATURE = b"\x0d\x0a\x0d\x0a\x00\x0d\x0a\x51\x55\x49\x54\x0a"
PP2_TYPE_AUTHORITY = 0x02
PP2_TYPE_SSL = 0x20
PP2_SUBTYPE_SSL_VERSION = 0x21
PP2_SUBTYPE_SSL_CN = 0x22
PP2_SUBTYPE_SSL_CIPHER = 0x23
PP2_CLIENT_SSL = 0x01
PP2_CLIENT_CERT_CONN = 0x02
PP2_CLIENT_CERT_SESS = 0x04


class ProxyProtocolError(AssertionError):
    pass


@dataclass
class ProxyV2:
    version: int
    command: int  # 0 LOCAL, 1 PROXY
    family: int  # 1 AF_INET, 2 AF_INET6
    transport: int  # 1 STREAM
    src_addr: str
    src_port: int
    dst_addr: str
    dst_port: int
    tlvs: dict  # type -> value (bytes)
    ssl_client: Optional[int] = None
    ssl_verify: Optional[int] = None
    ssl_tlvs: dict = field(default_factory=dict)

    @property
    def authority(self) -> Optional[str]:
        v = self.tlvs.get(PP2_TYPE_AUTHORITY)
        return v.decode() if v is not None else None

    def ssl_text(self, subtype: int) -> Optional[str]:
        v = self.ssl_tlvs.get(subtype)
        return v.decode() if v is not None else None


def _parse_tlvs(data: bytes) -> dict:
    out = {}
    i = 0
    while i < len(data):
        if len(data) - i < 3:
            raise ProxyProtocolError(f"truncated TLV header at offset {i}: {data[i:]!r}")
        t = data[i]
        (n,) = struct.unpack("!H", data[i + 1:i + 3])
        if i + 3 + n > len(data):
            raise ProxyProtocolError(f"TLV 0x{t:02x} of length {n} overruns its container ({len(data) - i - 3} left)")
        if t in out:
            raise ProxyProtocolError(f"TLV 0x{t:02x} appears twice")
        out[t] = data[i + 3:i + 3 + n]
        i += 3 + n
    return out


def proxy_v2_length(data: bytes) -> Optional[int]:
    """The total header length once the 16-byte fixed part is available, else None."""
    if len(data) < 16:
        return None
    return 16 + struct.unpack("!H", data[14:16])[0]


def parse_proxy_v2(data: bytes) -> tuple[ProxyV2, bytes]:
    """(header, the bytes after it). Raises ProxyProtocolError on anything the spec does not allow."""
    if data[:12] != PP2_SIGNATURE:
        raise ProxyProtocolError(f"no PROXY v2 signature: {data[:16]!r}")
    total = proxy_v2_length(data)
    if total is None or len(data) < total:
        raise ProxyProtocolError("truncated PROXY v2 header")
    version, command = data[12] >> 4, data[12] & 0x0F
    family, transport = data[13] >> 4, data[13] & 0x0F
    if version != 2 or command not in (0, 1):
        raise ProxyProtocolError(f"bad version/command byte 0x{data[12]:02x}")
    body = data[16:total]
    if family == 1:
        if len(body) < 12:
            raise ProxyProtocolError("IPv4 address block too short")
        src, dst = str(ipaddress.IPv4Address(body[0:4])), str(ipaddress.IPv4Address(body[4:8]))
        sport, dport = struct.unpack("!HH", body[8:12])
        rest = body[12:]
    elif family == 2:
        if len(body) < 36:
            raise ProxyProtocolError("IPv6 address block too short")
        src, dst = str(ipaddress.IPv6Address(body[0:16])), str(ipaddress.IPv6Address(body[16:32]))
        sport, dport = struct.unpack("!HH", body[32:36])
        rest = body[36:]
    else:
        raise ProxyProtocolError(f"unexpected address family {family}")
    tlvs = _parse_tlvs(rest)
    h = ProxyV2(version, command, family, transport, src, sport, dst, dport, tlvs)
    if PP2_TYPE_SSL in tlvs:
        v = tlvs[PP2_TYPE_SSL]
        if len(v) < 5:
            raise ProxyProtocolError("PP2_TYPE_SSL shorter than client + verify")
        h.ssl_client = v[0]
        (h.ssl_verify,) = struct.unpack("!I", v[1:5])
        h.ssl_tlvs = _parse_tlvs(v[5:])
    return h, data[total:]


# --- upstream -----------------------------------------------------------------------------------------------


@dataclass
class UpstreamConn:
    peer: tuple
    header: Optional[ProxyV2] = None
    header_error: Optional[str] = None
    received: bytearray = field(default_factory=bytearray)
    got_eof: threading.Event = field(default_factory=threading.Event)
    closed: threading.Event = field(default_factory=threading.Event)


class TcpUpstream:
    def __init__(self, *, proxy_protocol: bool = False, mode: str = "echo"):
        assert mode in ("echo", "greet")
        self.proxy_protocol = proxy_protocol
        self.mode = mode
        self.connections: list[UpstreamConn] = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self._stop = False
        self._lock = threading.Lock()

    def start(self) -> "TcpUpstream":
        self.sock.listen(64)
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def stop(self):
        self._stop = True
        try:
            self.sock.close()
        except OSError:
            pass

    def wait_for_connections(self, n: int, timeout: float = 5.0) -> list[UpstreamConn]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.connections) >= n:
                    return list(self.connections)
            time.sleep(0.02)
        raise AssertionError(f"expected {n} upstream connections within {timeout}s, got {len(self.connections)}")

    def _accept(self):
        while not self._stop:
            try:
                s, peer = self.sock.accept()
            except OSError:
                return
            conn = UpstreamConn(peer)
            with self._lock:
                self.connections.append(conn)
            threading.Thread(target=self._serve, args=(s, conn), daemon=True).start()

    def _serve(self, s: socket.socket, conn: UpstreamConn):
        s.settimeout(30)
        try:
            pending = b""
            if self.proxy_protocol:
                while True:
                    total = proxy_v2_length(pending)
                    if total is not None and len(pending) >= total:
                        break
                    chunk = s.recv(4096)
                    if not chunk:
                        conn.header_error = f"EOF inside the PROXY header after {len(pending)} bytes"
                        return
                    pending += chunk
                try:
                    conn.header, pending = parse_proxy_v2(pending)
                except ProxyProtocolError as e:
                    conn.header_error = str(e)
                    return
            if self.mode == "greet":
                s.sendall(b"hello\n")
                s.shutdown(socket.SHUT_WR)
            if pending:
                conn.received += pending
                if self.mode == "echo":
                    s.sendall(pending)
            while True:
                data = s.recv(65536)
                if not data:
                    conn.got_eof.set()
                    break
                conn.received += data
                if self.mode == "echo":
                    s.sendall(data)
            if self.mode == "echo":
                s.sendall(b"[eof]")
        except OSError:
            pass
        finally:
            conn.closed.set()
            s.close()


# --- client ---------------------------------------------------------------------------------------------------


class TlsPipe:
    """A TLS client connection driven through memory BIOs (so close_notify does not end reading)."""

    def __init__(self, port: int, sni: Optional[str], *, cert=None, key=None, tls: Optional[str] = None,
                 session: Optional[ssl.SSLSession] = None, context: Optional[ssl.SSLContext] = None,
                 timeout: float = 10.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.local_port = self.sock.getsockname()[1]
        self.context = context or make_context(None, cert, key, tls, alpn=None)
        self.incoming = ssl.MemoryBIO()
        self.outgoing = ssl.MemoryBIO()
        self.obj = self.context.wrap_bio(self.incoming, self.outgoing, server_side=False, server_hostname=sni,
                                         session=session)
        self.peer_closed = False  # close_notify or EOF seen
        self.ragged_eof = False  # TCP EOF without close_notify
        self._run(self.obj.do_handshake)

    def _flush(self):
        data = self.outgoing.read()
        if data:
            self.sock.sendall(data)

    def _fill(self):
        data = self.sock.recv(65536)
        if data:
            self.incoming.write(data)
        else:
            self.incoming.write_eof()

    def _run(self, op, *args):
        while True:
            try:
                result = op(*args)
                self._flush()
                return result
            except ssl.SSLWantReadError:
                self._flush()
                self._fill()

    @property
    def session(self) -> ssl.SSLSession:
        return self.obj.session

    @property
    def session_reused(self) -> bool:
        return self.obj.session_reused

    @property
    def version(self) -> str:
        return self.obj.version()

    def send(self, data: bytes):
        view = memoryview(data)
        while view:
            n = self._run(self.obj.write, view[:16384])
            view = view[n:]

    def recv(self, n: int = 65536) -> bytes:
        """Some bytes, or b"" once the peer has closed (close_notify or TCP EOF)."""
        if self.peer_closed:
            return b""
        try:
            return self._run(self.obj.read, n)
        except ssl.SSLZeroReturnError:
            self.peer_closed = True
            return b""
        except ssl.SSLEOFError:
            self.peer_closed = self.ragged_eof = True
            return b""

    def recv_exactly(self, n: int) -> bytes:
        out = b""
        while len(out) < n:
            chunk = self.recv(n - len(out))
            if not chunk:
                raise AssertionError(f"connection closed after {len(out)} of {n} bytes: {out[:100]!r}")
            out += chunk
        return out

    def recv_until_eof(self) -> bytes:
        out = b""
        while True:
            chunk = self.recv()
            if not chunk:
                return out
            out += chunk

    def close_notify(self):
        """Send close_notify (TLS half-close); reading goes on."""
        try:
            self.obj.unwrap()
        except (ssl.SSLWantReadError, ssl.SSLError):
            pass
        self._flush()

    def shutdown_write(self):
        """A bare TCP FIN, without close_notify."""
        self.sock.shutdown(socket.SHUT_WR)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
