"""The recording upstream (harness.upstream) in its own process, so that a test can kill it the way an
upstream dies (SIGKILL: the listening socket and every keep-alive connection go at once) and start it again
on the same port.

    up = UpstreamProcess().start();  up.port;  up.url;  up.kill();  up.start()   # same port again
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional

_SCRIPT = Path(__file__).with_name("upstream.py")


class UpstreamProcess:
    def __init__(self, host: str = "127.0.0.1"):
        self.host = host
        self.port = 0
        self.proc: Optional[subprocess.Popen] = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 20.0) -> "UpstreamProcess":
        """Starts the process (on the port it had before, if any) and waits until it accepts connections."""
        deadline = time.monotonic() + timeout
        while True:
            self.proc = subprocess.Popen([sys.executable, str(_SCRIPT), str(self.port)], stdout=subprocess.PIPE,
                                         stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
            line = self.proc.stdout.readline().strip()
            if line:
                self.port = int(line)
                break
            self.proc.wait()
            if time.monotonic() > deadline:  # the old port stayed busy (TIME_WAIT is fine with SO_REUSEADDR)
                raise AssertionError(f"upstream could not listen on port {self.port}")
            time.sleep(0.1)
        while True:
            try:
                with socket.create_connection((self.host, self.port), timeout=1):
                    return self
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()
        self.proc = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.kill()
