"""systemd's notification protocol (Type=notify): certgate run with $NOTIFY_SOCKET pointing at a datagram
socket the test binds, as systemd would, sends READY=1 once it listens, RELOADING=1 (with MONOTONIC_USEC)
and READY=1 around a reload, with STATUS= lines, and STOPPING=1 on shutdown (docs/operations.md,
"systemd")."""

from __future__ import annotations

import re
import signal
import socket
import tempfile
import time
from pathlib import Path

import pytest

WAIT_S = 20.0  # ASan build on a loaded 2-core machine


class NotifySocket:
    def __init__(self):
        # A short path: sun_path holds 108 bytes, and pytest's temporary directories can be long.
        self.dir = Path(tempfile.mkdtemp(prefix="cg-notify-"))
        self.path = self.dir / "notify.sock"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(self.path))
        self.messages: list[dict] = []

    def next(self, timeout: float = WAIT_S) -> dict:
        self.sock.settimeout(timeout)
        data = self.sock.recv(4096).decode()
        fields = dict(line.split("=", 1) for line in data.split("\n") if line)
        self.messages.append(fields)
        return fields

    def until(self, key: str, timeout: float = WAIT_S) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            msg = self.next(max(0.1, deadline - time.monotonic()))
            if key in msg:
                return msg

    def close(self):
        self.sock.close()
        self.path.unlink(missing_ok=True)
        self.dir.rmdir()


@pytest.fixture
def notify():
    s = NotifySocket()
    yield s
    s.close()


def config(std) -> str:
    return f"""\
workers: 1
listeners:
  - address: 127.0.0.1:${{PORT}}
    certificates:
      - cert_file: {std.server.cert_path}
        key_file: {std.server.key_path}
client_ca_file: {std.global_bundle}
routes:
  - from: https://app.test
    to: echo://
"""


def test_ready_reloading_and_stopping_are_sent(gateway_factory, std_pki, notify, tmp_path):
    confdir = tmp_path / "conf"
    confdir.mkdir()
    gw = gateway_factory(config(std_pki), config_dir=confdir, env={"NOTIFY_SOCKET": str(notify.path)})
    ready = notify.until("READY")
    assert ready["READY"] == "1"
    assert ready["STATUS"] == "serving 1 route(s), config generation 1"
    # READY comes after the listeners are bound: the port accepts (the harness checked) and the log says so.
    assert "listening on" in gw.stderr_text()

    gw.signal(signal.SIGHUP)
    reloading = notify.until("RELOADING")
    assert reloading["RELOADING"] == "1"
    assert re.fullmatch(r"[0-9]+", reloading["MONOTONIC_USEC"])
    assert reloading["STATUS"] == "reloading: SIGHUP"
    # MONOTONIC_USEC is CLOCK_MONOTONIC, which systemd compares with its own clock.
    assert abs(int(reloading["MONOTONIC_USEC"]) / 1e6 - time.monotonic()) < 60
    again = notify.until("READY")
    assert again["STATUS"] == "serving 1 route(s), config generation 2"

    gw.config_path.write_text(gw.config_path.read_text() + "unknown_key: 1\n")
    assert notify.until("RELOADING")["STATUS"].startswith("reloading: file changed: ")
    failed = notify.until("READY")
    assert failed["STATUS"].startswith("serving 1 route(s), config generation 2; last reload failed: "
                                       f"{gw.config_path}:")

    gw.signal(signal.SIGTERM)
    assert notify.until("STOPPING")["STOPPING"] == "1"
    assert gw.wait(WAIT_S) == 0


def test_without_notify_socket_nothing_is_sent(gateway_factory, std_pki, tmp_path, monkeypatch):
    """The ordinary case outside systemd: no $NOTIFY_SOCKET, no warning in the log."""
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    confdir = tmp_path / "conf"
    confdir.mkdir()
    gw = gateway_factory(config(std_pki), config_dir=confdir)
    gw.signal(signal.SIGHUP)
    deadline = time.monotonic() + WAIT_S
    while "reload done" not in gw.stderr_text():
        assert time.monotonic() < deadline, gw.stderr_text()
        time.sleep(0.05)
    assert gw.stop() == 0
    assert "sd_notify" not in gw.stderr_text()
