"""Real revocation sources for the revocation tests.

    pub = CrlPublisher(directory).start()     # HTTP/1.1 server for CRL files, counting requests per path
    pub.url("/issuing.crl"); pub.count("/issuing.crl")
    # any path /status/N answers N (GET or POST): a publisher or responder that fails
    # /slow/NAME serves NAME after half a second (to see concurrent requests share one fetch)

    write_ocsp_index(path, [(cert_path, revoked_at_or_None), ...])   # openssl's index.txt format
    ocsp = OcspResponder(workdir, index, ca_cert, signer_cert, signer_key).start()   # `openssl ocsp -port`
    ocsp.url, ocsp.requests()                  # requests counted from the responder's own log

    pki = Toolkit(binary, directory)           # runs `certgate pki ...` in `directory`
    pki("init-ca", "root", "--name", "Root")
"""

from __future__ import annotations

import datetime as _dt
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Optional, Sequence

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from .gateway import free_port

UTC = _dt.timezone.utc


class CrlPublisher:
    def __init__(self, directory: Path | str):
        self.dir = Path(directory)
        self.counts: dict[str, int] = {}
        self.lock = threading.Lock()
        publisher = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self):
                with publisher.lock:
                    publisher.counts[self.path] = publisher.counts.get(self.path, 0) + 1
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                status, body = 200, b""
                path = self.path
                if path.startswith("/slow/"):
                    time.sleep(0.5)
                    path = path[len("/slow"):]
                if path.startswith("/status/"):
                    status = int(path.split("/")[2])
                else:
                    f = publisher.dir / path.lstrip("/")
                    if f.is_file():
                        body = f.read_bytes()
                    else:
                        status = 404
                self.send_response(status)
                self.send_header("Content-Type", "application/pkix-crl")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = _answer
            do_POST = _answer

            def log_message(self, *args):  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread: Optional[threading.Thread] = None

    def start(self) -> "CrlPublisher":
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def count(self, path: str) -> int:
        with self.lock:
            return self.counts.get(path, 0)


def _openssl_time(t: _dt.datetime) -> str:
    return t.astimezone(UTC).strftime("%y%m%d%H%M%SZ")


def write_ocsp_index(path: Path, entries: Sequence[tuple[Path, Optional[_dt.datetime]]]) -> Path:
    """openssl ca's index.txt: one line per certificate, V(alid) or R(evoked) with the revocation time."""
    lines = []
    for cert_path, revoked_at in entries:
        cert = x509.load_pem_x509_certificate(Path(cert_path).read_bytes())
        serial = format(cert.serial_number, "X")
        serial = ("0" + serial) if len(serial) % 2 else serial
        subject = "/" + "/".join(a.rfc4514_string() for a in cert.subject)
        expiry = _openssl_time(cert.not_valid_after.replace(tzinfo=UTC))
        if revoked_at is None:
            lines.append(f"V\t{expiry}\t\t{serial}\tunknown\t{subject}")
        else:
            lines.append(f"R\t{expiry}\t{_openssl_time(revoked_at)},keyCompromise\t{serial}\tunknown\t{subject}")
    path = Path(path)
    path.write_text("\n".join(lines) + "\n")
    return path


class OcspResponder:
    """`openssl ocsp -index INDEX -port N -rsigner SIGNER -rkey KEY -CA CA`, answers valid for 5 minutes."""

    def __init__(self, workdir: Path | str, index: Path, ca_cert: Path, signer_cert: Path, signer_key: Path,
                 port: Optional[int] = None, name: str = "ocsp"):
        self.workdir = Path(workdir)
        self.args = ["openssl", "ocsp", "-index", str(index), "-rsigner", str(signer_cert), "-rkey",
                     str(signer_key), "-CA", str(ca_cert), "-nmin", "5", "-ignore_err"]
        self.port = port
        self.log_path = self.workdir / f"{name}.log"
        self.proc: Optional[subprocess.Popen] = None

    def start(self, attempts: int = 3) -> "OcspResponder":
        for _ in range(attempts):
            port = self.port or free_port()
            with open(self.log_path, "wb") as log:
                self.proc = subprocess.Popen([*self.args, "-port", str(port)], stdout=log, stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL)
            if self._wait_ready(port):
                self.port = port
                return self
            self.stop()
            if self.port:  # a fixed port (written into certificates): no other choice
                break
        raise AssertionError(f"openssl ocsp did not start: {self.log_text()}")

    def _wait_ready(self, port: int, timeout: float = 10.0) -> bool:
        # Not by connecting: the single-threaded responder hangs on a connection closed without a request.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            if "waiting for OCSP client connections" in self.log_text():
                return True
            time.sleep(0.05)
        return False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def requests(self) -> int:
        """How many requests the responder has received (it logs one line per request)."""
        return self.log_text().count("Received request")

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


class Toolkit:
    """`certgate pki ...` run in one directory; raises with the output when a command fails."""

    def __init__(self, binary: str, directory: Path | str):
        self.binary = binary
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)

    def __call__(self, *args: str) -> str:
        p = subprocess.run([self.binary, "pki", *args], cwd=self.dir, capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            raise AssertionError(f"certgate pki {' '.join(args)} failed ({p.returncode}): {p.stderr}")
        return p.stdout


def expired_crl(ca_dir: Path, out: Path, revoked_serials: Sequence[int] = ()) -> Path:
    """A CRL signed by the CA in `ca_dir` whose nextUpdate has passed (yesterday)."""
    ca = x509.load_pem_x509_certificate((Path(ca_dir) / "ca.pem").read_bytes())
    key = serialization.load_pem_private_key((Path(ca_dir) / "ca.key").read_bytes(), None)
    now = _dt.datetime.now(UTC).replace(microsecond=0, tzinfo=None)
    b = (x509.CertificateRevocationListBuilder().issuer_name(ca.subject)
         .last_update(now - _dt.timedelta(days=10)).next_update(now - _dt.timedelta(days=1))
         .add_extension(x509.CRLNumber(1000), critical=False))
    for serial in revoked_serials:
        b = b.add_revoked_certificate(x509.RevokedCertificateBuilder().serial_number(serial)
                                      .revocation_date(now - _dt.timedelta(days=10)).build())
    out = Path(out)
    out.write_bytes(b.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM))
    return out


def to_der_crl(pem_path: Path, out: Path) -> Path:
    crl = x509.load_pem_x509_crl(Path(pem_path).read_bytes())
    Path(out).write_bytes(crl.public_bytes(serialization.Encoding.DER))
    return Path(out)
