"""Headless Chromium (Debian's `chromium`, installed by scripts/install-deps.sh) for the tests that render
a page: the status page and the HTML refusal pages. Each run has its own process group, killed whatever
happens (the renderer and GPU helpers too). A missing browser fails the test instead of skipping it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
         "--disable-background-networking", "--disable-sync", "--disable-dev-shm-usage"]


def _binary() -> str:
    binary = shutil.which("chromium")
    assert binary, "chromium is not installed: run scripts/install-deps.sh (Debian package chromium)"
    return binary


def _run(args: list[str], timeout: float) -> str:
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
    assert proc.returncode == 0, err.decode(errors="replace")[-2000:]
    return out.decode(errors="replace")


def render(url: str, profile: Path, *, flags: tuple[str, ...] = (), timeout: float = 180.0) -> str:
    """The DOM of `url` after Chromium has rendered it."""
    return _run([_binary(), *FLAGS, f"--user-data-dir={profile}", *flags, "--dump-dom", url], timeout)


def screenshot(url: str, profile: Path, path: Path, *, flags: tuple[str, ...] = (),
               timeout: float = 180.0) -> Path:
    """A PNG of `url` at phone width (412 px) in `path`."""
    _run([_binary(), *FLAGS, f"--user-data-dir={profile}", "--window-size=412,1600", *flags,
          f"--screenshot={path}", url], timeout)
    assert path.is_file() and path.stat().st_size > 1000, path
    return path
