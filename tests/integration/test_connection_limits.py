"""Connection limits (issue 12): connections still in the TLS handshake are capped apart from established
ones (limits.max_handshaking_connections; the oldest handshake yields), limits.max_connections counts
established connections only, every refusal is counted and logged at most once a second, the caps are
checked against RLIMIT_NOFILE at start, and limits.max_requests_per_connection / max_connection_age end
keep-alive connections.

Idle "pre-TLS" sockets are plain TCP connections that never send a byte. Every socket and gateway a test
opens is closed by a fixture finalizer.
"""

from __future__ import annotations

import os
import re
import resource
import socket
import ssl
import time
from pathlib import Path

import pytest

from harness.clients import TLSClient, curl
from harness.configs import gateway_config, route
from harness.gateway import Gateway

# A legitimate client must get its answer within 2 s (the goal); the assertion allows 5 s for a
# loaded 2-core machine (measured: see the commit message).
LEGIT_DEADLINE = 5.0


def _ensure_fd_headroom(needed: int) -> None:
    """This test process opens many sockets: raise its own soft limit if needed (up to the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(needed, hard), hard))
    if resource.getrlimit(resource.RLIMIT_NOFILE)[0] < needed:
        pytest.skip(f"need {needed} descriptors in the test process, hard limit is {hard}")


@pytest.fixture
def idle_sockets():
    """open(port, n) -> list of connected TCP sockets that never send; all closed at the end."""
    opened: list[socket.socket] = []

    def open_(port: int, n: int) -> list[socket.socket]:
        _ensure_fd_headroom(len(opened) + n + 256)
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            opened.append(s)
            s.settimeout(10)
            s.connect(("127.0.0.1", port))
        return opened

    yield open_
    for s in opened:
        s.close()


def _fd_count(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def _wait_fds_at_least(pid: int, n: int, timeout: float = 30.0) -> int:
    """Waits until the gateway holds at least n descriptors (it has accepted the sockets)."""
    deadline = time.monotonic() + timeout
    while True:
        count = _fd_count(pid)
        if count >= n or time.monotonic() > deadline:
            return count
        time.sleep(0.05)


def _legit_curl(gw, std_pki, path="/legit"):
    start = time.monotonic()
    r = curl("app.test", gw.port, path, cacert=std_pki.server_ca.cert_path, cert=std_pki.alice.cert_path,
             key=std_pki.alice.key_path, timeout=20, check=False)
    return r, time.monotonic() - start


def _lines(gw, pattern: str) -> list[str]:
    return [line for line in gw.stderr_text().splitlines() if re.search(pattern, line)]


def _wait_for_line(gw, pattern: str, timeout: float = 10.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while not _lines(gw, pattern) and time.monotonic() < deadline:
        time.sleep(0.05)
    return _lines(gw, pattern)


def _config(std_pki, upstream, **limits):
    # A long handshake timeout: the idle sockets must still be open when the legitimate client comes.
    return gateway_config(std_pki, [route("https://app.test", upstream.url)], limits=limits,
                          timeouts={"handshake": "60s"})


# --- max_connections counts established connections; handshakes have their own cap --------------------------

def test_idle_pre_tls_sockets_do_not_lock_out_a_legitimate_client(gateway_factory, std_pki, upstream,
                                                                  idle_sockets):
    gw = gateway_factory(_config(std_pki, upstream, max_connections=500))
    baseline = _fd_count(gw.pid)  # may still count the start-up probe's connection (a few at most)
    idle_sockets(gw.port, 500)
    held = _wait_fds_at_least(gw.pid, baseline + 495)
    assert held >= baseline + 495, f"the gateway accepted only {held - baseline} of the 500 idle sockets"
    r, elapsed = _legit_curl(gw, std_pki)
    print(f"legitimate curl with 500 idle pre-TLS sockets open: {r.status} in {elapsed:.3f} s")
    assert r.status == 200, r.extra
    assert elapsed < LEGIT_DEADLINE


def test_the_oldest_handshake_yields_at_max_handshaking_connections(gateway_factory, std_pki, upstream,
                                                                    idle_sockets):
    gw = gateway_factory(_config(std_pki, upstream, max_connections=500, max_handshaking_connections=100))
    baseline = _fd_count(gw.pid)
    started = time.monotonic()
    idle_sockets(gw.port, 500)
    lines = _wait_for_line(gw, r"limits\.max_handshaking_connections \(\d+ closed")
    assert lines, gw.stderr_text()[-2000:]
    r, elapsed = _legit_curl(gw, std_pki)
    print(f"legitimate curl with 500 idle sockets and max_handshaking_connections 100: "
          f"{r.status} in {elapsed:.3f} s")
    assert r.status == 200, r.extra
    assert elapsed < LEGIT_DEADLINE
    # The gateway kept about 100 handshakes (50 per worker), not 500.
    assert _fd_count(gw.pid) < baseline + 200
    # At most one line a second (plus the first), however many sockets yielded.
    lines = _lines(gw, r"limits\.max_handshaking_connections \(\d+ closed")
    assert len(lines) <= time.monotonic() - started + 2, lines
    total = sum(int(re.search(r"\((\d+) closed", line).group(1)) for line in lines)
    assert total <= 400 + 2


def test_refusals_at_max_connections_are_counted_and_logged_once_a_second(gateway_factory, std_pki, upstream):
    cfg = _config(std_pki, upstream, max_connections=1)
    cfg["workers"] = 1
    gw = gateway_factory(cfg)
    with TLSClient(gw.port, "app.test", cacert=std_pki.server_ca.cert_path, cert=std_pki.alice.cert_path,
                   key=std_pki.alice.key_path) as held:
        assert held.get("/held").status == 200  # established: the one connection allowed
        started = time.monotonic()
        for _ in range(20):
            r, _elapsed = _legit_curl(gw, std_pki, "/refused")
            assert r.status == 0  # the TCP connection is closed before the handshake
        lines = _wait_for_line(gw, r"connection refused: limits\.max_connections \(")
        # Wait for the tail of the burst to be reported (the worker's tick, about a second later).
        deadline = time.monotonic() + 10
        while (sum(int(re.search(r"\((\d+) refused", x).group(1)) for x in lines) < 20
               and time.monotonic() < deadline):
            time.sleep(0.1)
            lines = _lines(gw, r"connection refused: limits\.max_connections \(")
        assert sum(int(re.search(r"\((\d+) refused", x).group(1)) for x in lines) == 20, lines
        assert len(lines) <= time.monotonic() - started + 2, lines
        assert "20 since start" in lines[-1]
        assert held.get("/still").status == 200
    # The established connection is gone: a new one is admitted again.
    r, _elapsed = _legit_curl(gw, std_pki, "/after")
    deadline = time.monotonic() + 10
    while r.status != 200 and time.monotonic() < deadline:  # the close reaches the gateway asynchronously
        time.sleep(0.1)
        r, _elapsed = _legit_curl(gw, std_pki, "/after")
    assert r.status == 200


# --- the caps against RLIMIT_NOFILE ------------------------------------------------------------------------------

@pytest.fixture
def limited_gateway(certgate_bin, std_pki, tmp_path):
    """A gateway run under `prlimit --nofile=1024:1024`, stopped at the end."""
    made = []

    def make(config) -> Gateway:
        gw = Gateway("/usr/bin/prlimit", tmp_path / "limited", config, config_dir=std_pki.dir,
                     args=["--nofile=1024:1024", certgate_bin, "serve", "--config", "{config}"])
        made.append(gw)
        return gw.start()

    yield make
    for gw in made:
        gw.stop(timeout=10)


def test_default_caps_lowered_to_the_fd_limit_is_only_info(limited_gateway, std_pki, upstream):
    if not Path("/usr/bin/prlimit").exists():
        pytest.skip("prlimit (util-linux) is not installed")
    gw = limited_gateway(_config(std_pki, upstream))
    lines = _lines(gw, r"open file limit \(RLIMIT_NOFILE\) is 1024")
    assert len(lines) == 1 and "[info]" in lines[0], gw.stderr_text()


def test_caps_are_lowered_to_the_fd_limit_and_the_flood_is_logged_once_a_second(limited_gateway, std_pki,
                                                                                upstream, idle_sockets):
    if not Path("/usr/bin/prlimit").exists():
        pytest.skip("prlimit (util-linux) is not installed")
    gw = limited_gateway(_config(std_pki, upstream, max_connections=100000))
    warning = _lines(gw, r"open file limit \(RLIMIT_NOFILE\) is 1024 \(hard limit 1024\)")
    assert len(warning) == 1, gw.stderr_text()
    assert "limits.max_connections lowered from 100000 to" in warning[0]
    assert "[warning]" in warning[0], "caps the config wrote are lowered with a warning"
    started = time.monotonic()
    idle_sockets(gw.port, 1500)
    assert _wait_for_line(gw, r"limits\.max_handshaking_connections \(\d+ closed")
    # During the flood (the oldest handshakes make room) a legitimate client is served.
    r, elapsed = _legit_curl(gw, std_pki, "/during")
    print(f"legitimate curl during 1,500 idle connections under nofile 1024: {r.status} in {elapsed:.3f} s")
    assert r.status == 200, r.extra
    assert elapsed < LEGIT_DEADLINE
    assert _fd_count(gw.pid) < 1024
    duration = time.monotonic() - started
    for pattern in (r"limits\.max_handshaking_connections \(", r"accept failed", r"Too many open files"):
        lines = _lines(gw, pattern)
        assert len(lines) <= duration + 2, (pattern, lines)
    assert gw.running()

    def closed_so_far() -> int:
        lines = _lines(gw, r"limits\.max_handshaking_connections \(")
        return sum(int(re.search(r"\((\d+) closed", line).group(1)) for line in lines)

    # Every yielded handshake is counted. On a busy machine the last of the burst may still wait in the
    # listen backlog: wait (bounded) until the gateway has taken most of it, instead of timing it.
    deadline = time.monotonic() + 60
    while closed_so_far() < 1500 - 300 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert gw.stop(timeout=20) == 0  # the lines written at shutdown report the rest
    closed = closed_so_far()
    print(f"handshakes closed to make room: {closed}")
    assert 1500 - 300 <= closed < 1500


# --- max_connections_per_ip ----------------------------------------------------------------------------------

def test_max_connections_per_ip(gateway_factory, std_pki, upstream):
    gw = gateway_factory(_config(std_pki, upstream, max_connections_per_ip=2))
    first, second = _client(gw, std_pki), _client(gw, std_pki)
    try:
        # Two connections from 127.0.0.1, over both workers (the count is shared by the process).
        assert first.get("/one").status == 200
        assert second.get("/two").status == 200
        r, _elapsed = _legit_curl(gw, std_pki, "/three")
        assert r.status == 0, "a third connection from the address must be refused"
        assert _wait_for_line(gw, r"connection refused: limits\.max_connections_per_ip \(1 refused")
        first.close()
        deadline = time.monotonic() + 10
        r, _elapsed = _legit_curl(gw, std_pki, "/again")
        while r.status != 200 and time.monotonic() < deadline:  # the close reaches the gateway asynchronously
            time.sleep(0.1)
            r, _elapsed = _legit_curl(gw, std_pki, "/again")
        assert r.status == 200
    finally:
        first.close()
        second.close()


# --- max_requests_per_connection, max_connection_age --------------------------------------------------------

def _client(gw, std_pki):
    return TLSClient(gw.port, "app.test", cacert=std_pki.server_ca.cert_path, cert=std_pki.alice.cert_path,
                     key=std_pki.alice.key_path)


def test_max_requests_per_connection(gateway_factory, std_pki, upstream):
    gw = gateway_factory(_config(std_pki, upstream, max_requests_per_connection=3))
    with _client(gw, std_pki) as c:
        answers = [c.get(f"/n{i}") for i in range(3)]
        assert [a.status for a in answers] == [200, 200, 200]
        assert [a.header("connection") for a in answers[:2]] == [None, None]
        assert answers[2].header("connection") == "close"
        assert c.connect_count == 1
        assert c.get("/n3").status == 200  # a new connection
        assert c.connect_count == 2


def test_max_connection_age_closes_an_idle_keep_alive_connection(gateway_factory, std_pki, upstream):
    gw = gateway_factory(_config(std_pki, upstream, max_connection_age="1s"))
    with _client(gw, std_pki) as c:
        opened = time.monotonic()
        assert c.get("/young").status == 200
        sock = c.sock
        sock.settimeout(10)
        try:
            assert sock.recv(1) == b""  # closed by the gateway (close_notify then EOF)
        except (ssl.SSLError, ConnectionResetError):
            pass  # closed without close_notify: closed all the same
        age = time.monotonic() - opened
        assert 0.9 <= age < 6, age


def test_max_connection_age_ends_a_busy_connection_after_its_response(gateway_factory, std_pki, upstream):
    gw = gateway_factory(_config(std_pki, upstream, max_connection_age="1s"))
    with _client(gw, std_pki) as c:
        r = c.get("/slow?ms=1500")
        assert r.status == 200
        assert r.header("connection") == "close"
