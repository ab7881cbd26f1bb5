"""Run a real certgate process.

    gw = Gateway(binary, workdir, config)      # config: dict (emitted as YAML) or YAML text
    gw.start()                                 # waits until every listener accepts TCP (10 s)
    gw.port                                    # the first listener's port
    gw.access_log_lines() -> list[dict]        # stdout, one JSON object per line
    gw.wait_for_log(lambda e: e["path"] == "/x", timeout=3.0) -> dict
    gw.stderr_text() -> str
    gw.rss_kib(), gw.hwm_kib()                 # VmRSS / VmHWM summed over the process and its children
    gw.signal(signal.SIGHUP); gw.stop() -> exit code

In the config, the placeholders `${PORT}`, `${PORT1}`, ... are replaced by free ports chosen at start
(`${PORT}` == `${PORT0}`); if the gateway cannot bind (a race with another test), start() retries with
new ports. The gateway runs with its working directory set to an empty directory *different* from the
config's directory, so relative paths in the config only work if they are resolved against the config
file's directory, as the specification requires.
"""

from __future__ import annotations

import json
import os
import re
import signal as _signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Callable, Optional

from . import yamlgen

START_TIMEOUT = 10.0

# Live gateways, so that conftest can attach their stderr to a failing test's report.
RUNNING: list["Gateway"] = []


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ClosedPort:
    """A TCP port that is bound but not listening: connecting to it is refused (RST) on Linux.

    Holding the socket keeps other tests from getting the port. Use `.port`, call `.close()` at the end.
    """

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]

    def close(self):
        self.sock.close()


def certgate_binary() -> str:
    """$CERTGATE_BIN; raises RuntimeError when unset (callers decide whether that means skip)."""
    b = os.environ.get("CERTGATE_BIN")
    if not b:
        raise RuntimeError("CERTGATE_BIN is not set")
    return b


def _child_env(extra: Optional[dict] = None) -> dict:
    env = dict(os.environ)
    # Sanitizer builds: keep freed memory from inflating VmHWM (quarantine) and make reports visible.
    env.setdefault("ASAN_OPTIONS", "quarantine_size_mb=16:abort_on_error=0")
    if extra:
        env.update(extra)
    return env


def run_certgate(binary: str, args: list[str], *, cwd: Optional[Path] = None, timeout: float = 20.0,
                 env: Optional[dict] = None) -> tuple[Optional[int], str, str]:
    """Run `certgate <args>`; return (exit code or None on timeout, stdout, stderr)."""
    try:
        p = subprocess.run([binary, *args], cwd=cwd, capture_output=True, timeout=timeout, env=_child_env(env))
        return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace")
        err = (e.stderr or b"").decode(errors="replace")
        return None, out, err


def validate_config(binary: str, config_path: Path | str, *, cwd: Optional[Path] = None,
                    timeout: float = 20.0) -> tuple[Optional[int], str, str]:
    """`certgate validate-config FILE` -> (exit code, stdout, stderr)."""
    return run_certgate(binary, ["validate-config", str(config_path)], cwd=cwd, timeout=timeout)


def serve_expect_exit(binary: str, config_path: Path | str, *, cwd: Optional[Path] = None,
                      timeout: float = 10.0) -> tuple[Optional[int], str, str]:
    """`certgate serve --config FILE` for a config that must be rejected: (exit code or None if it kept
    running for `timeout` seconds and had to be killed, stdout, stderr)."""
    return run_certgate(binary, ["serve", "--config", str(config_path)], cwd=cwd, timeout=timeout)


def write_config(directory: Path, config, name: str = "certgate.yaml", ports: Optional[list[int]] = None) -> Path:
    """Write a config (dict or YAML text) to directory/name, substituting ${PORTn} placeholders."""
    text = yamlgen.dump(config) if isinstance(config, (dict, list)) else str(config)
    if ports:
        text = _subst_ports(text, ports)
    p = Path(directory) / name
    p.write_text(text)
    return p


def _subst_ports(text: str, ports: list[int]) -> str:
    text = text.replace("${PORT}", str(ports[0]))
    for i, port in enumerate(ports):
        text = text.replace("${PORT%d}" % i, str(port))
    return text


def _count_port_placeholders(text: str) -> int:
    idx = [int(m) for m in re.findall(r"\$\{PORT(\d+)\}", text)]
    n = max(idx) + 1 if idx else 0
    if "${PORT}" in text:
        n = max(n, 1)
    return n


def _proc_tree(pid: int) -> list[int]:
    """pid and all its descendants (workers may be processes)."""
    children: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                stat = f.read()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(d))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def _status_kib(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class Gateway:
    def __init__(self, binary: str, workdir: Path | str, config, *, config_name: str = "certgate.yaml",
                 config_dir: Optional[Path | str] = None, env: Optional[dict] = None,
                 args: Optional[list[str]] = None):
        """workdir: where stdout/stderr files and the process's cwd live. The config file is written to
        config_dir (default: workdir) as config_name; relative paths in it are relative to config_dir.
        args: the command line after the binary (default ["serve", "--config", "{config}"]; "{config}" is
        replaced by the config file's path)."""
        self.binary = binary
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.config_dir = Path(config_dir) if config_dir else self.workdir
        self.config = config
        self.config_text_template = yamlgen.dump(config) if isinstance(config, (dict, list)) else str(config)
        self.config_name = config_name
        self.env = env
        self.args = args
        self.proc: Optional[subprocess.Popen] = None
        self.ports: list[int] = []
        self.config_path: Optional[Path] = None
        self.config_text = ""
        self.run_dir = self.workdir / "run-cwd"
        self.run_dir.mkdir(exist_ok=True)
        self.stdout_path = self.workdir / "certgate.stdout"
        self.stderr_path = self.workdir / "certgate.stderr"
        self.exit_code: Optional[int] = None

    # --- life cycle ------------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return self.ports[0]

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self, attempts: int = 3) -> "Gateway":
        n = max(1, _count_port_placeholders(self.config_text_template))
        last = ""
        for _ in range(attempts):
            self.ports = [free_port() for _ in range(n)]
            self.config_text = _subst_ports(self.config_text_template, self.ports)
            self.config_path = self.config_dir / self.config_name
            self.config_path.write_text(self.config_text)
            args = [a.replace("{config}", str(self.config_path)) for a in (self.args or ["serve", "--config", "{config}"])]
            with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
                self.proc = subprocess.Popen([self.binary, *args], stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                             cwd=self.run_dir, env=_child_env(self.env), start_new_session=True)
            RUNNING.append(self)
            ok, last = self._wait_ready()
            if ok:
                return self
            self.kill()
            if "in use" not in last.lower():  # only a port race is worth another attempt
                break
        raise AssertionError(f"certgate did not start listening on {self.ports} within {START_TIMEOUT}s\n"
                             f"exit code: {self.exit_code}\nconfig:\n{self.config_text}\nstderr:\n{last}")

    def _wait_ready(self) -> tuple[bool, str]:
        deadline = time.monotonic() + START_TIMEOUT
        pending = list(self.ports)
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.exit_code = self.proc.returncode
                return False, self.stderr_text()
            still = []
            for p in pending:
                try:
                    with socket.create_connection(("127.0.0.1", p), timeout=0.5):
                        pass
                except OSError:
                    still.append(p)
            pending = still
            if not pending:
                return True, ""
            time.sleep(0.05)
        return False, self.stderr_text()

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig: int = _signal.SIGHUP) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def wait(self, timeout: float) -> Optional[int]:
        """Wait for exit; return the exit code, or None if still running after `timeout`."""
        try:
            self.exit_code = self.proc.wait(timeout=timeout)
            return self.exit_code
        except subprocess.TimeoutExpired:
            return None

    def stop(self, timeout: float = 15.0) -> Optional[int]:
        """SIGTERM, wait up to `timeout` s, return the exit code (None: had to be killed)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(_signal.SIGTERM)
            rc = self.wait(timeout)
            if rc is None:
                self.kill()
                return None
        self.exit_code = self.proc.returncode
        self._forget()
        return self.exit_code

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, _signal.SIGKILL)  # its own session: workers too, nothing else
            except OSError:
                self.proc.kill()
            self.proc.wait(timeout=10)
        if self.proc is not None:
            self.exit_code = self.proc.returncode
        self._forget()

    def _forget(self):
        if self in RUNNING:
            RUNNING.remove(self)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # --- output ----------------------------------------------------------------------------------------
    def stderr_text(self) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")
        except OSError:
            return ""

    def stdout_text(self) -> str:
        try:
            return self.stdout_path.read_text(errors="replace")
        except OSError:
            return ""

    def access_log_lines(self) -> list[dict]:
        """Every complete line of stdout parsed as JSON. A line that is not a JSON object fails the test:
        stdout is the access log (`access_log: stdout`) and must contain nothing else."""
        text = self.stdout_text()
        lines = text.split("\n")
        if not text.endswith("\n"):
            lines = lines[:-1]  # partial last line: not flushed completely yet
        out = []
        for i, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError as e:
                raise AssertionError(f"access log line {i} is not JSON ({e}): {line!r}") from None
            if not isinstance(obj, dict):
                raise AssertionError(f"access log line {i} is not a JSON object: {line!r}")
            out.append(obj)
        return out

    def wait_for_log(self, predicate: Callable[[dict], bool], timeout: float = 3.0) -> dict:
        """The first access log entry matching `predicate`, polling for up to `timeout` s."""
        return self.wait_for_logs(predicate, 1, timeout)[0]

    def wait_for_logs(self, predicate: Callable[[dict], bool], count: int, timeout: float = 3.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while True:
            found = [e for e in self.access_log_lines() if _safe(predicate, e)]
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                tail = self.stdout_text().splitlines()[-10:]
                raise AssertionError(f"expected {count} access log entries matching the predicate within {timeout}s, "
                                     f"found {len(found)}; last lines:\n" + "\n".join(tail))
            time.sleep(0.05)

    def log_for_client_port(self, client_port: int, timeout: float = 3.0) -> dict:
        """The access log entry of the (only / first) request made from local port `client_port`."""
        return self.wait_for_log(lambda e: client_port_of(e) == client_port, timeout)

    # --- memory ----------------------------------------------------------------------------------------
    def rss_kib(self) -> int:
        return sum(_status_kib(p, "VmRSS") for p in _proc_tree(self.pid))

    def hwm_kib(self) -> int:
        return sum(_status_kib(p, "VmHWM") for p in _proc_tree(self.pid))


def _safe(pred, e) -> bool:
    try:
        return bool(pred(e))
    except (KeyError, TypeError, ValueError, AttributeError):
        return False


def client_port_of(entry: dict) -> Optional[int]:
    """The port of an access log entry's `client` ("ip:port"; IPv6 as "[::1]:port" also understood)."""
    c = entry.get("client")
    if not isinstance(c, str) or ":" not in c:
        return None
    try:
        return int(c.rsplit(":", 1)[1])
    except ValueError:
        return None
