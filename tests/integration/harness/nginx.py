"""A real nginx (Debian's nginx-light) to compare certgate's output with, run from a temporary prefix.

    with Nginx(server_cert, client_location_body="$ssl_client_escaped_cert") as ng:
        curl("x.test", ng.port, "/", cert=..., key=...).body   # what nginx computed for that certificate

nginx runs in the foreground (daemon off, master_process off) on 127.0.0.1 with every path (config, pid,
logs, temp directories) inside its own temporary directory. When the tests run as root, that directory
belongs to `nobody` and nginx is started as `nobody`, so it never holds root privileges.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Optional

from .gateway import free_port

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def available() -> bool:
    return os.access(NGINX, os.X_OK)


class Nginx:
    def __init__(self, server_cert, body: str = "$ssl_client_escaped_cert", *, plain_http: bool = False,
                 keepalive_requests: Optional[int] = None, client_ca=None):
        """server_cert: a harness Cert for the TLS server side; body: what `location /` returns (nginx
        variables allowed). The client certificate is requested with ssl_verify_client optional_no_ca.
        plain_http: listen without TLS (an upstream for certgate; server_cert may be None);
        keepalive_requests: nginx's directive (it closes a keep-alive connection after that many);
        client_ca: a harness Cert: require a client certificate it issued (ssl_verify_client on)."""
        self.client_ca = client_ca
        self.server_cert = server_cert
        self.body = body
        self.plain_http = plain_http
        self.keepalive_requests = keepalive_requests
        self.dir: Optional[Path] = None
        self.proc: Optional[subprocess.Popen] = None
        self.port = 0

    def _config(self) -> str:
        d = self.dir
        temp = "\n".join(f"  {k}_temp_path {d}/{k};" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        if self.plain_http:
            listen = f"listen 127.0.0.1:{self.port};"
        else:
            listen = (f"listen 127.0.0.1:{self.port} ssl;\n    ssl_certificate {d}/server.pem;\n"
                      f"    ssl_certificate_key {d}/server.key;\n")
            if self.client_ca is not None:
                listen += f"    ssl_verify_client on;\n    ssl_client_certificate {d}/client-ca.pem;"
            else:
                listen += "    ssl_verify_client optional_no_ca;"
        keepalive = f"  keepalive_requests {self.keepalive_requests};\n" if self.keepalive_requests else ""
        return f"""daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 64; }}
http {{
  access_log off;
{temp}
{keepalive}  default_type text/plain;
  server {{
    {listen}
    server_name _;
    location / {{ return 200 "{self.body}"; }}
  }}
}}
"""

    def start(self) -> "Nginx":
        self.dir = Path(tempfile.mkdtemp(prefix="certgate-nginx-"))
        if not self.plain_http:
            (self.dir / "server.pem").write_bytes(self.server_cert.pem())
            (self.dir / "server.key").write_bytes(self.server_cert.key_pem())
            if self.client_ca is not None:
                (self.dir / "client-ca.pem").write_bytes(self.client_ca.pem())
        demote = None
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            for p in [self.dir, *self.dir.iterdir()]:
                os.chown(p, nobody.pw_uid, nobody.pw_gid)

            def demote():  # runs in the child before exec
                os.setgroups([])
                os.setgid(nobody.pw_gid)
                os.setuid(nobody.pw_uid)
        last = ""
        for _ in range(3):  # a port race with another test is retried with a new port
            self.port = free_port()
            conf = self.dir / "nginx.conf"
            conf.write_text(self._config())
            if demote:
                os.chown(conf, pwd.getpwnam("nobody").pw_uid, pwd.getpwnam("nobody").pw_gid)
            err = open(self.dir / "stderr", "wb")
            self.proc = subprocess.Popen([NGINX, "-p", str(self.dir), "-c", str(conf), "-e", str(self.dir / "error.log")],
                                         stdout=subprocess.DEVNULL, stderr=err, stdin=subprocess.DEVNULL,
                                         preexec_fn=demote, start_new_session=True)
            err.close()
            if self._wait_ready():
                return self
            last = self.log_text()
            self.stop(remove=False)
        raise AssertionError(f"nginx did not start: {last}")

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return True
            except OSError:
                time.sleep(0.05)
        return False

    def log_text(self) -> str:
        out = ""
        for name in ("stderr", "error.log"):
            try:
                out += (self.dir / name).read_text(errors="replace")
            except OSError:
                pass
        return out

    def stop(self, remove: bool = True) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.proc = None
        if remove and self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __enter__(self) -> "Nginx":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
