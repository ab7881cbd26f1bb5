"""`make demo` (scripts/demo.sh): builds a PKI and config once, runs the gateway, and prints curl commands
that must work exactly as printed (issue: PKI toolkit, check and make demo)."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from harness.gateway import free_port

REPO = Path(__file__).resolve().parents[2]


def _wait_listening(port: int, proc: subprocess.Popen, timeout: float = 20.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"demo exited early: {proc.stdout.read() if proc.stdout else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("the demo gateway did not start listening")


@pytest.fixture(scope="module")
def demo(certgate_bin, tmp_path_factory):
    demo_dir = tmp_path_factory.mktemp("demo") / "demo"
    port = free_port()
    admin_port = free_port()
    env = dict(os.environ, CERTGATE_BIN=certgate_bin, CERTGATE_DEMO_DIR=str(demo_dir),
               CERTGATE_DEMO_PORT=str(port), CERTGATE_DEMO_ADMIN_PORT=str(admin_port))
    out_path = demo_dir.parent / "demo.out"
    with open(out_path, "w") as out:
        proc = subprocess.Popen(["bash", str(REPO / "scripts/demo.sh")], cwd=REPO, env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_listening(port, proc)
        _wait_listening(admin_port, proc)
        yield {"dir": demo_dir, "port": port, "admin_port": admin_port, "output": out_path.read_text(), "proc": proc}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)


def _printed(output: str, prefix: str) -> list[str]:
    return [line.strip() for line in output.splitlines() if line.strip().startswith(prefix)]


def _run(command: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", command], cwd=REPO, capture_output=True, text=True, timeout=20)


def test_demo_creates_pki_and_config(demo):
    d = demo["dir"]
    for name in ["ca/ca.pem", "ca/ca.key", "server.pem", "server.key", "client.pem", "client.key", "client.p12",
                 "client-legacy.p12", "certgate.yaml", "admin.token"]:
        assert (d / name).is_file(), name
    assert (d / "client.key").stat().st_mode & 0o777 == 0o600
    assert (d / "admin.token").stat().st_mode & 0o777 == 0o600
    info = subprocess.run(["openssl", "pkcs12", "-info", "-nokeys", "-noout", "-passin", "pass:changeit", "-in",
                           str(d / "client.p12")], capture_output=True, text=True)
    assert info.returncode == 0, info.stderr
    assert "client.p12" in demo["output"] and "changeit" in demo["output"]


def test_printed_curl_commands_work_as_printed(demo):
    commands = _printed(demo["output"], "curl ")
    assert len(commands) == 4, demo["output"]
    with_cert, without_cert, public = (_run(c) for c in commands[:3])

    assert with_cert.returncode == 0, with_cert.stderr
    body = json.loads(with_cert.stdout)
    assert body["headers"]["x-client-cert-verify"] == "SUCCESS"
    assert body["headers"]["x-client-cert-subject-dn"] == "CN=alice"
    assert "email:alice@example.com" in body["headers"]["x-client-cert-san"]

    assert json.loads(without_cert.stdout)["message"] == "No required TLS certificate was sent"

    assert public.returncode == 0, public.stderr
    assert json.loads(public.stdout)["path"] == "/hello"

    metrics = _run(commands[3])
    assert metrics.returncode == 0, metrics.stderr
    assert 'certgate_requests_total{route="https://echo.localhost"' in metrics.stdout


def test_public_host_sends_no_certificate_request(demo):
    r = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{demo['port']}", "-servername",
                        "public.localhost", "-msg", "-brief"], input=b"", capture_output=True, timeout=20)
    assert b"CertificateRequest" not in r.stdout + r.stderr
    r = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{demo['port']}", "-servername",
                        "echo.localhost", "-msg", "-brief"], input=b"", capture_output=True, timeout=20)
    assert b"CertificateRequest" in r.stdout + r.stderr


def test_printed_check_command_works(demo):
    commands = [c for c in demo["output"].splitlines() if " check --config " in c]
    assert len(commands) == 1
    r = _run(commands[0].strip())
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.search(r"decision:\s+accepted", r.stdout)


def test_demo_keeps_an_existing_pki(demo, certgate_bin):
    before = (demo["dir"] / "ca" / "ca.pem").read_bytes()
    env = dict(os.environ, CERTGATE_BIN=certgate_bin, CERTGATE_DEMO_DIR=str(demo["dir"]),
               CERTGATE_DEMO_PORT=str(demo["port"]), CERTGATE_DEMO_ADMIN_PORT=str(demo["admin_port"]))
    # A second run finds demo/ and must not recreate it; it then fails to bind the busy port and exits.
    r = subprocess.run(["bash", str(REPO / "scripts/demo.sh")], cwd=REPO, env=env, capture_output=True, text=True,
                       timeout=20)
    assert "Creating the demo PKI" not in r.stdout
    assert (demo["dir"] / "ca" / "ca.pem").read_bytes() == before
    assert r.returncode != 0
