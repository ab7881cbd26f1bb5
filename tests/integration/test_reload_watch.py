"""Reload of everything without SIGHUP: the config file and every file it names are watched (inotify), and
a change reloads after a short debounce (docs/operations.md, "Reload").

- replacing a CA bundle on disk (rename over it, or a Kubernetes-style `..data` symlink swap) changes the
  decision within 3 s;
- an edit of the config file is picked up;
- a broken file keeps the previous config serving and the error log says file:line;
- under keep-alive load (bench/loadgen, mTLS), 20 reloads, one of them a broken file, fail no request.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

from harness.clients import curl

DECISION_BAR_S = 3.0  # the product's bar: a replaced CA bundle decides within 3 s, without SIGHUP
WAIT_S = 20.0  # for log lines (ASan build on a loaded 2-core machine)


def config_text(std, ca_file: Path, extra_routes: str = "", access_log: str = "stdout") -> str:
    return f"""\
workers: 2
access_log: {access_log}
listeners:
  - address: 127.0.0.1:${{PORT}}
    certificates:
      - cert_file: {std.server.cert_path}
        key_file: {std.server.key_path}
client_ca_file: {ca_file}
routes:
  - from: https://app.test
    to: echo://
{extra_routes}"""


def wait_for_count(gw, needle: str, count: int, timeout: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout
    while gw.stderr_text().count(needle) < count:
        assert time.monotonic() < deadline, f"no {count}x {needle!r}:\n" + gw.stderr_text()[-3000:]
        time.sleep(0.05)


def write_atomically(path: Path, data: bytes) -> None:
    """Like an editor or a config management tool: a new file renamed over the old one."""
    tmp = path.with_name("." + path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def status(gw, std, client) -> int:
    cert = getattr(std, client)
    return curl("app.test", gw.port, "/", cacert=std.server_ca.cert_path, cert=cert.cert_path,
                key=cert.key_path, check=False, timeout=10).status


def wait_for_status(gw, std, client, want: int, bar: float) -> float:
    """Seconds until `client` gets `want`; fails after `bar` seconds."""
    start = time.monotonic()
    while True:
        got = status(gw, std, client)
        elapsed = time.monotonic() - start
        if got == want:
            return elapsed
        assert elapsed < bar, f"{client}: still {got} after {elapsed:.1f} s\n" + gw.stderr_text()[-3000:]
        time.sleep(0.05)


@pytest.fixture
def confdir(tmp_path) -> Path:
    d = tmp_path / "conf"
    d.mkdir()
    return d


def test_replacing_the_ca_bundle_changes_the_decision_within_3s(gateway_factory, std_pki, confdir):
    std = std_pki
    ca = confdir / "ca.pem"
    ca.write_bytes(std.ca1.pem())
    gw = gateway_factory(config_text(std, ca), config_dir=confdir)
    assert status(gw, std, "alice") == 200
    assert status(gw, std, "bob") == 401  # ca3 is not trusted yet

    write_atomically(ca, std.ca1.pem() + std.ca3.pem())
    elapsed = wait_for_status(gw, std, "bob", 200, DECISION_BAR_S)
    wait_for_count(gw, "reload done", 1)
    assert re.search(r"file changed: .*ca\.pem: reloading", gw.stderr_text())
    print(f"rename over the bundle: bob admitted after {elapsed:.2f} s")

    # Written in place (truncate and write), as `cp` or `cat >` do.
    ca.write_bytes(std.ca3.pem())
    elapsed = wait_for_status(gw, std, "alice", 401, DECISION_BAR_S)
    print(f"in-place write: alice refused after {elapsed:.2f} s")
    assert status(gw, std, "bob") == 200


def test_a_kubernetes_symlink_swap_is_seen(gateway_factory, std_pki, confdir):
    """A Secret volume: ca.pem -> ..data/ca.pem, ..data -> ..<timestamp>; an update swaps ..data."""
    std = std_pki

    def publish(name: str, pem: bytes) -> None:
        (confdir / name).mkdir()
        (confdir / name / "ca.pem").write_bytes(pem)
        os.symlink(name, confdir / "..data_tmp")
        os.replace(confdir / "..data_tmp", confdir / "..data")

    publish("..2026_01", std.ca1.pem())
    os.symlink("..data/ca.pem", confdir / "ca.pem")
    gw = gateway_factory(config_text(std, confdir / "ca.pem"), config_dir=confdir)
    assert status(gw, std, "bob") == 401

    publish("..2026_02", std.ca3.pem())
    shutil.rmtree(confdir / "..2026_01")
    elapsed = wait_for_status(gw, std, "bob", 200, DECISION_BAR_S)
    print(f"symlink swap: bob admitted after {elapsed:.2f} s")
    assert status(gw, std, "alice") == 401

    publish("..2026_03", std.ca1.pem())  # the second swap: the watch follows the new target directory
    shutil.rmtree(confdir / "..2026_02")
    wait_for_status(gw, std, "alice", 200, DECISION_BAR_S)


def test_a_config_edit_is_picked_up(gateway_factory, std_pki, confdir):
    std = std_pki
    ca = confdir / "ca.pem"
    ca.write_bytes(std.ca1.pem())
    gw = gateway_factory(config_text(std, ca), config_dir=confdir)
    public = lambda: curl("public.test", gw.port, "/", cacert=std.server_ca.cert_path, check=False).status
    assert public() == 404

    text = gw.config_path.read_text() + "  - from: https://public.test\n    to: echo://\n    mtls: { mode: off }\n"
    gw.config_path.write_text(text)
    deadline = time.monotonic() + WAIT_S
    while public() != 200:
        assert time.monotonic() < deadline, gw.stderr_text()[-3000:]
        time.sleep(0.05)
    wait_for_count(gw, "reload done: config generation 2", 1)


def test_a_broken_file_keeps_the_running_config_and_logs_file_and_line(gateway_factory, std_pki, confdir):
    std = std_pki
    ca = confdir / "ca.pem"
    ca.write_bytes(std.ca1.pem())
    gw = gateway_factory(config_text(std, ca), config_dir=confdir)
    ca_line = gw.config_path.read_text().splitlines().index(f"client_ca_file: {ca}") + 1

    ca.write_text("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n")
    wait_for_count(gw, "reload rejected", 1)
    assert f"reload rejected, the previous config keeps serving: {gw.config_path}:{ca_line}:" in gw.stderr_text()
    assert status(gw, std, "alice") == 200  # ca1 still trusted

    good = gw.config_path.read_text()
    gw.config_path.write_text(good + "no_such_key: 1\n")
    wait_for_count(gw, "reload rejected", 2)
    broken_line = len(good.splitlines()) + 1
    assert f"{gw.config_path}:{broken_line}:" in gw.stderr_text()
    assert status(gw, std, "alice") == 200

    gw.config_path.write_text(good)  # the CA bundle is still broken: rejected again, at its line
    wait_for_count(gw, "reload rejected", 3)
    ca.write_bytes(std.ca3.pem())  # fixed: reloads
    wait_for_status(gw, std, "bob", 200, WAIT_S)
    assert gw.stderr_text().count("reload done") == 1


def loadgen_binary(certgate_bin: str) -> Path:
    """CTest builds it first (the integration.build_loadgen fixture); a direct pytest run builds it here."""
    path = Path(certgate_bin).parent / "bench" / "certgate-loadgen"
    if not path.exists():
        build = subprocess.run(["cmake", "--build", str(Path(certgate_bin).parent), "--target", "certgate-loadgen"],
                               capture_output=True, text=True, timeout=600)
        assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    return path


class Load:
    """bench/loadgen in back-to-back 2 s runs (it has no other way to stop) until stop(); sums the runs."""

    def __init__(self, binary: Path, gw, std, connections: int = 4):
        self.args = [str(binary), "--port", str(gw.port), "--sni", "app.test", "-c", str(connections),
                     "-t", "1", "--duration", "2s", "--warmup", "0", "--cacert", str(std.server_ca.cert_path),
                     "--cert", str(std.alice.cert_path), "--key", str(std.alice.key_path), "--json"]
        self.runs: list[dict] = []
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            r = subprocess.run(self.args, capture_output=True, text=True, timeout=60)
            try:
                self.runs.append(json.loads(r.stdout))
            except ValueError:
                self.failures.append(f"loadgen exit {r.returncode}: {r.stdout[-500:]} {r.stderr[-1000:]}")
                return

    def start(self) -> "Load":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=90)

    def total(self, key: str) -> float:
        return sum(run[key] for run in self.runs)


def test_no_failed_request_across_20_reloads_under_keepalive_load(gateway_factory, std_pki, confdir,
                                                                   certgate_bin):
    std = std_pki
    binary = loadgen_binary(certgate_bin)
    ca = confdir / "ca.pem"
    bundles = [std.ca1.pem(), std.ca1.pem() + std.ca3.pem()]
    ca.write_bytes(bundles[0])
    gw = gateway_factory(config_text(std, ca, access_log="off"), config_dir=confdir)
    load = Load(binary, gw, std).start()
    try:
        while not load.runs and not load.failures:  # the first run measured something
            time.sleep(0.05)
        start = time.monotonic()
        for i in range(20):
            if i == 10:  # the broken one: the previous bundle keeps serving
                ca.write_text("-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n")
                wait_for_count(gw, "reload rejected", 1)
                continue
            write_atomically(ca, bundles[(i + 1) % 2])
            wait_for_count(gw, "reload done", i + 1 - (1 if i > 10 else 0))
        reload_s = time.monotonic() - start
        runs_during = len(load.runs)
        while len(load.runs) == runs_during and not load.failures:  # the run in progress ends
            time.sleep(0.05)
    finally:
        load.stop()
    assert not load.failures, load.failures
    requests = load.total("requests")
    window = load.total("window_s")
    errors = load.total("errors_total") + load.total("warmup_errors")
    rate = requests / window if window else 0
    print(f"20 reloads in {reload_s:.1f} s; {len(load.runs)} loadgen runs, {int(requests)} requests, "
          f"{rate:.0f} requests/s, {int(errors)} errors")
    assert errors == 0, [run["errors"] for run in load.runs]
    assert requests > 0
    assert gw.stderr_text().count("reload done") == 19
    assert gw.stderr_text().count("reload rejected") == 1
