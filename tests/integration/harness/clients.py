"""Real clients: curl, openssl s_client, and a Python keep-alive HTTPS client.

    r = curl("req.test", port, "/x", cacert=pki.server_ca.cert_path, cert=alice.cert_path, key=alice.key_path)
    r.status, r.headers, r.body, r.json(), r.header("content-type"), r.media_type, r.local_port

    s = s_client(port, servername="public.test", tls="1.3", stdin=b"")
    s.has_certificate_request, s.protocol, s.alpn, s.server_cert

    c = TLSClient(port, "req.test", cacert=..., cert=..., key=...)
    r = c.request("GET", "/a", headers=[("X-Foo", "1"), ("X-Foo", "2")])
    c.connect_count, c.local_port; c.close()

Host names are real names (`*.test`) that only exist through curl's `--resolve` and the Python client's
explicit connect to 127.0.0.1 with `server_hostname=<name>`; nothing touches /etc/hosts.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import ssl
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional, Sequence

from cryptography import x509

PathLike = "Path | str"


@dataclass
class HttpResult:
    status: int
    headers: list  # [(name, value)] in order
    body: bytes
    local_port: Optional[int] = None
    http_version: Optional[str] = None
    extra: dict = field(default_factory=dict)

    def header(self, name: str) -> Optional[str]:
        n = name.lower()
        for k, v in self.headers:
            if k.lower() == n:
                return v
        return None

    def header_all(self, name: str) -> list[str]:
        n = name.lower()
        return [v for k, v in self.headers if k.lower() == n]

    @property
    def media_type(self) -> str:
        """Content-Type without parameters, lowercased ('' when absent)."""
        ct = self.header("content-type") or ""
        return ct.split(";", 1)[0].strip().lower()

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError as e:
            raise AssertionError(f"body is not JSON ({e}): {self.body[:500]!r}") from None

    def __repr__(self) -> str:
        return f"HttpResult(status={self.status}, headers={self.headers}, body={self.body[:300]!r})"


class CurlError(AssertionError):
    pass


def curl(
    host: str,
    port: int,
    path: str = "/",
    *,
    cacert: Optional[PathLike] = None,
    cert: Optional[PathLike] = None,
    key: Optional[PathLike] = None,
    headers: Sequence[str] | Sequence[tuple[str, str]] = (),
    method: Optional[str] = None,
    data: Optional[bytes] = None,
    data_file: Optional[PathLike] = None,
    chunked: bool = False,
    tls: Optional[str] = None,  # "1.2" | "1.3": pins the version (min and max)
    http2: bool = False,  # offer h2 in ALPN (the gateway must still answer HTTP/1.1)
    connect_to_ip: str = "127.0.0.1",
    extra: Sequence[str] = (),
    timeout: float = 20.0,
    check: bool = True,
) -> HttpResult:
    """One request with the curl binary. `headers` are "Name: value" strings or (name, value) pairs.

    check=True raises CurlError when curl itself fails (TLS error, connection refused, ...); with
    check=False such a failure returns status 0 and extra["curl_rc"], extra["stderr"].
    """
    with tempfile.TemporaryDirectory(prefix="cg-curl-") as td:
        body_path = Path(td) / "body"
        hdr_path = Path(td) / "headers"
        args = [
            "curl", "-sS", "--noproxy", "*", "--max-time", str(timeout),
            "--resolve", f"{host}:{port}:{connect_to_ip}",
            "-o", str(body_path), "-D", str(hdr_path), "-w", "%{json}",
        ]
        args += ["--http2"] if http2 else ["--http1.1"]
        if cacert:
            args += ["--cacert", str(cacert)]
        if cert:
            args += ["--cert", str(cert)]
        if key:
            args += ["--key", str(key)]
        if tls == "1.2":
            args += ["--tlsv1.2", "--tls-max", "1.2"]
        elif tls == "1.3":
            args += ["--tlsv1.3", "--tls-max", "1.3"]
        elif tls:
            raise ValueError(tls)
        for h in headers:
            args += ["-H", h if isinstance(h, str) else f"{h[0]}: {h[1]}"]
        if data is not None:
            data_file = Path(td) / "upload"
            Path(data_file).write_bytes(data)
        if data_file is not None:
            args += ["--data-binary", f"@{data_file}", "-H", "Expect:"]
            if not any((h if isinstance(h, str) else h[0]).lower().startswith("content-type") for h in headers):
                args += ["-H", "Content-Type: application/octet-stream"]
            if chunked:
                args += ["-H", "Transfer-Encoding: chunked"]
        if method:
            args += ["-X", method]
        args += list(extra)
        args.append(f"https://{host}:{port}{path}")
        p = subprocess.run(args, capture_output=True, timeout=timeout + 10)
        try:
            info = json.loads(p.stdout.decode(errors="replace") or "{}")
        except ValueError:
            info = {}
        if p.returncode != 0:
            if check:
                raise CurlError(f"curl failed (rc={p.returncode}): {p.stderr.decode(errors='replace')}\n"
                                f"command: {' '.join(args)}")
            return HttpResult(0, [], b"", extra={"curl_rc": p.returncode, "stderr": p.stderr.decode(errors="replace"),
                                                 "info": info})
        hdrs = _parse_header_blocks(hdr_path.read_bytes())
        return HttpResult(
            status=int(info.get("http_code") or info.get("response_code") or 0),
            headers=hdrs,
            body=body_path.read_bytes() if body_path.exists() else b"",
            local_port=info.get("local_port"),
            http_version=str(info.get("http_version")) if info.get("http_version") is not None else None,
            extra={"info": info, "stderr": p.stderr.decode(errors="replace")},
        )


def _parse_header_blocks(raw: bytes) -> list:
    """Headers of the final response in a curl -D dump (skips 1xx blocks)."""
    text = raw.decode("latin-1")
    blocks = [b for b in re.split(r"\r?\n\r?\n", text) if b.strip()]
    if not blocks:
        return []
    last = blocks[-1].splitlines()
    out = []
    for line in last[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            out.append((k.strip(), v.strip()))
    return out


# --- openssl s_client -----------------------------------------------------------------------------------


@dataclass
class SClientResult:
    returncode: Optional[int]
    output: str  # stdout + stderr

    @property
    def has_certificate_request(self) -> bool:
        # `-msg` prints e.g. "<<< TLS 1.3, Handshake [length 0035], CertificateRequest"
        return re.search(r"<<< .*Handshake.*CertificateRequest", self.output) is not None

    @property
    def handshake_ok(self) -> bool:
        return re.search(r"^(New|Reused), TLSv1\.[0-3]", self.output, re.M) is not None

    @property
    def protocol(self) -> Optional[str]:
        m = re.search(r"^(?:New|Reused), (TLSv1\.[0-3])", self.output, re.M) or re.search(
            r"Protocol\s*:\s*(TLSv1\.[0-3])", self.output)
        return m.group(1) if m else None

    @property
    def alpn(self) -> Optional[str]:
        m = re.search(r"^ALPN protocol: (\S+)", self.output, re.M)
        return m.group(1) if m else None

    @property
    def server_cert(self) -> Optional[x509.Certificate]:
        m = re.search(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", self.output, re.S)
        return x509.load_pem_x509_certificate(m.group(0).encode()) if m else None

    @property
    def server_cert_dns_names(self) -> list[str]:
        c = self.server_cert
        if c is None:
            return []
        try:
            return c.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
                x509.DNSName)
        except x509.ExtensionNotFound:
            return []

    @property
    def http_body(self) -> str:
        return self.output


def s_client(
    port: int,
    *,
    servername: Optional[str] = None,  # None: no SNI (-noservername)
    cert: Optional[PathLike] = None,
    key: Optional[PathLike] = None,
    cert_chain: Optional[PathLike] = None,
    tls: Optional[str] = None,  # "1.2" | "1.3"
    alpn: Optional[str] = None,  # e.g. "http/1.1" or "h2,http/1.1"
    msg: bool = True,
    cafile: Optional[PathLike] = None,
    stdin: bytes = b"",
    ign_eof: bool = False,
    extra: Sequence[str] = (),
    timeout: float = 10.0,
) -> SClientResult:
    """`openssl s_client -connect 127.0.0.1:port ...`, feeding `stdin` and capturing everything.

    With empty stdin s_client completes the handshake, prints it, and closes. Pass an HTTP request with
    `Connection: close` plus ign_eof=True to also capture the response.
    """
    args = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}"]
    args += ["-servername", servername] if servername else ["-noservername"]
    if msg:
        args.append("-msg")
    if cert:
        args += ["-cert", str(cert)]
    if key:
        args += ["-key", str(key)]
    if cert_chain:
        args += ["-cert_chain", str(cert_chain)]
    if tls == "1.2":
        args.append("-tls1_2")
    elif tls == "1.3":
        args.append("-tls1_3")
    elif tls:
        raise ValueError(tls)
    if alpn:
        args += ["-alpn", alpn]
    if cafile:
        args += ["-CAfile", str(cafile)]
    if ign_eof:
        args.append("-ign_eof")
    args += list(extra)
    try:
        p = subprocess.run(args, input=stdin, capture_output=True, timeout=timeout)
        return SClientResult(p.returncode, p.stdout.decode(errors="replace") + "\n" + p.stderr.decode(errors="replace"))
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace") + "\n" + (e.stderr or b"").decode(errors="replace")
        return SClientResult(None, out)


# --- Python keep-alive client ---------------------------------------------------------------------------


def make_context(cacert: Optional[PathLike], cert: Optional[PathLike] = None, key: Optional[PathLike] = None,
                 tls: Optional[str] = None, alpn: Optional[Sequence[str]] = ("http/1.1",),
                 verify_hostname: bool = True) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if cacert:
        ctx.load_verify_locations(cafile=str(cacert))
        ctx.check_hostname = verify_hostname
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if cert:
        # a chain file (leaf + intermediates) is sent as a chain
        ctx.load_cert_chain(certfile=str(cert), keyfile=str(key) if key else None)
    if tls == "1.2":
        ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    elif tls == "1.3":
        ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_3
    if alpn:
        ctx.set_alpn_protocols(list(alpn))
    return ctx


class _Conn(http.client.HTTPSConnection):
    def __init__(self, port: int, sni: Optional[str], context: ssl.SSLContext, timeout: float, owner: "TLSClient"):
        super().__init__("127.0.0.1", port, context=context, timeout=timeout)
        self._sni = sni
        self._owner = owner

    def connect(self):
        sock = socket.create_connection(("127.0.0.1", self.port), self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = self._context.wrap_socket(sock, server_hostname=self._sni)
        self._owner.connect_count += 1
        self._owner.local_ports.append(self.sock.getsockname()[1])


class TLSClient:
    """One TLS connection used for many requests (http.client reconnects transparently if the server
    closes it; `connect_count` and `local_ports` reveal that)."""

    def __init__(self, port: int, sni: Optional[str], *, cacert: Optional[PathLike], cert: Optional[PathLike] = None,
                 key: Optional[PathLike] = None, tls: Optional[str] = None, timeout: float = 15.0,
                 host_header: Optional[str] = None):
        self.port = port
        self.sni = sni
        self.host_header = host_header if host_header is not None else sni
        self.ctx = make_context(cacert, cert, key, tls, verify_hostname=bool(sni))
        self.connect_count = 0
        self.local_ports: list[int] = []
        self.conn = _Conn(port, sni, self.ctx, timeout, self)

    def connect(self) -> "TLSClient":
        self.conn.connect()
        return self

    @property
    def sock(self):
        return self.conn.sock

    @property
    def local_port(self) -> Optional[int]:
        return self.local_ports[-1] if self.local_ports else None

    def request(self, method: str, path: str, *, headers: Iterable[tuple[str, str]] = (), body=None,
                encode_chunked: bool = False, host: Optional[str] = "__default__") -> HttpResult:
        """Send one request. `headers` may repeat names. host=None sends no Host header; the default is
        the SNI name (`host_header`). A non-bytes iterable body needs Content-Length in `headers` unless
        encode_chunked=True."""
        reused = self.conn.sock is not None
        try:
            return self._request_once(method, path, headers, body, encode_chunked, host)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, ssl.SSLEOFError):
            # like browsers: an idempotent request on a reused connection the server had already closed is
            # retried once on a new connection (connect_count shows it)
            if not reused or method not in ("GET", "HEAD") or body is not None:
                raise
            self.conn.close()
            return self._request_once(method, path, headers, body, encode_chunked, host)

    def _request_once(self, method, path, headers, body, encode_chunked, host) -> HttpResult:
        c = self.conn
        c.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        h = self.host_header if host == "__default__" else host
        if h is not None:
            c.putheader("Host", h)
        names = set()
        for k, v in headers:
            c.putheader(k, v)
            names.add(k.lower())
        if isinstance(body, (bytes, bytearray)) and "content-length" not in names and not encode_chunked:
            c.putheader("Content-Length", str(len(body)))
        if encode_chunked:
            c.putheader("Transfer-Encoding", "chunked")
        c.endheaders(body, encode_chunked=encode_chunked)
        resp = c.getresponse()
        data = resp.read()
        port = self.local_port
        return HttpResult(resp.status, list(resp.getheaders()), data, local_port=port,
                          http_version="1.1" if resp.version == 11 else str(resp.version))

    def get(self, path: str, **kw) -> HttpResult:
        return self.request("GET", path, **kw)

    def close(self):
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def tcp_connect_refused(port: int, timeout: float = 1.0) -> bool:
    """True when a TCP connect to 127.0.0.1:port is refused."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout):
            return False
    except ConnectionRefusedError:
        return True
    except OSError:
        return False


@dataclass
class Fetch:
    status: int
    body: Optional[dict]
    reused: bool
    session: object
    local_port: int


def fetch(port: int, sni: str, ctx, path: str = "/", session=None) -> Fetch:
    """One HTTPS request with Connection: close, over a raw ssl socket (so the session can be reused)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    s = ctx.wrap_socket(sock, server_hostname=sni, session=session)
    local_port = s.getsockname()[1]
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: {sni}\r\nConnection: close\r\n\r\n".encode())
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    result = Fetch(0, None, s.session_reused, s.session, local_port)
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    result.status = int(head.split(b" ")[1])
    result.body = json.loads(body) if body.strip().startswith(b"{") else None
    return result
