"""Tools for the admin API tests: requests with or without the bearer token, a parser for the Prometheus
text format, a real Prometheus server, and a loopback proxy that adds the bearer token
(a browser cannot be told to send an Authorization header).
"""

from __future__ import annotations

import http.client
import http.server
import json
import re
import secrets
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from .gateway import free_port


def new_token(path: Path) -> str:
    token = secrets.token_hex(24)
    path.write_text(token + "\n")
    path.chmod(0o600)
    return token


@dataclass
class AdminAnswer:
    status: int
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode()


def admin_request(port: int, path: str, *, token: Optional[str] = None, method: str = "GET",
                  headers: Optional[dict] = None, timeout: float = 30.0) -> AdminAnswer:
    """One plain-HTTP request to the admin listener."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        h = dict(headers or {})
        if token is not None:
            h["Authorization"] = f"Bearer {token}"
        conn.request(method, path, headers=h)
        r = conn.getresponse()
        return AdminAnswer(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
    finally:
        conn.close()


_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text: str) -> dict:
    """{(name, frozenset of (label, value))): float} for every sample line."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        assert m, f"not a sample line: {line!r}"
        labels = frozenset((k, v.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\"))
                           for k, v in _LABEL.findall(m.group(3) or ""))
        out[(m.group(1), labels)] = float(m.group(4))
    return out


def metric(samples: dict, name: str, **labels) -> float:
    """The sum of `name`'s samples whose labels include `labels` (0 when there is none)."""
    want = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and want <= set(ls))


def wait_port(port: int, proc: subprocess.Popen, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"{what} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{what} did not listen on {port} within {timeout}s")


def stop_process(proc: Optional[subprocess.Popen]) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


class Prometheus:
    """A real Prometheus server on a loopback port that scrapes one target with a bearer token file."""

    def __init__(self, directory: Path, target_port: int, token_file: Path, scrape_interval: str = "1s"):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.config = self.dir / "prometheus.yml"
        self.config.write_text(
            "global:\n"
            f"  scrape_interval: {scrape_interval}\n"
            f"  scrape_timeout: {scrape_interval}\n"
            "scrape_configs:\n"
            "  - job_name: certgate\n"
            "    authorization:\n"
            f"      credentials_file: {token_file}\n"
            "    static_configs:\n"
            f"      - targets: ['127.0.0.1:{target_port}']\n")
        self.proc: Optional[subprocess.Popen] = None
        self.log = self.dir / "prometheus.log"

    def start(self, timeout: float = 120.0) -> "Prometheus":
        binary = shutil.which("prometheus") or "/usr/bin/prometheus"
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                [binary, f"--config.file={self.config}", f"--storage.tsdb.path={self.dir / 'data'}",
                 f"--web.listen-address=127.0.0.1:{self.port}", "--log.level=warn"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=self.dir,
                start_new_session=True)
        wait_port(self.port, self.proc, timeout, "prometheus")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:  # the TSDB opens after the port
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/-/ready", timeout=5) as r:
                    if r.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"prometheus not ready: {self.log.read_text(errors='replace')[-2000:]}")

    def query(self, promql: str) -> list:
        url = f"http://127.0.0.1:{self.port}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
        with urllib.request.urlopen(url, timeout=10) as r:
            body = json.loads(r.read())
        assert body["status"] == "success", body
        return body["data"]["result"]

    def stop(self) -> None:
        stop_process(self.proc)


class BearerProxy:
    """http://127.0.0.1:port/... -> the admin listener, with the Authorization header added."""

    def __init__(self, admin_port: int, token: str):
        admin, secret = admin_port, token

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                r = admin_request(admin, self.path, token=secret)
                self.send_response(r.status)
                for name in ("content-type",):
                    if name in r.headers:
                        self.send_header(name, r.headers[name])
                self.send_header("Content-Length", str(len(r.body)))
                self.end_headers()
                self.wfile.write(r.body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
