#!/usr/bin/env python3
"""Runs one test command so that nothing it starts outlives it.

    tests/guard.py [--timeout SECONDS] -- COMMAND ARGS...

The guard makes itself a child subreaper (prctl PR_SET_CHILD_SUBREAPER): every process the command starts,
even one that moved to its own session or process group (the harness starts each gateway in its own
session so that a kill reaches its workers), is re-parented to the guard instead of to init when its parent
dies. When the command ends — passed, failed, crashed or timed out — the guard kills whatever is still
running below it and reaps it, so a failed test never leaves a gateway listening on a port.

The guard's own timeout is kept below CTest's TIMEOUT so that the clean-up runs even for a hung test;
SIGTERM/SIGINT to the guard (CTest, Ctrl-C) are forwarded to the command, and the clean-up runs too.
Exit status: the command's (124 after a timeout, 128+N after signal N).
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time

PR_SET_CHILD_SUBREAPER = 36


def _children_by_parent() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    return children


def _descendants(root: int) -> list[int]:
    children = _children_by_parent()
    out, todo = [], list(children.get(root, []))
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def _command_line(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()[:160]
    except OSError:
        return "?"


def _reap_zombies() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _kill_leftovers() -> list[str]:
    """SIGKILL everything below the guard until nothing is left; return what was found running."""
    found: list[str] = []
    deadline = time.monotonic() + 10.0
    while time.monotonic() < deadline:
        _reap_zombies()
        pids = _descendants(os.getpid())
        if not pids:
            break
        for pid in pids:
            found.append(f"{pid} {_command_line(pid)}")
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.05)
    _reap_zombies()
    return sorted(set(found))


def main(argv: list[str]) -> int:
    timeout = 280.0
    if argv[:1] == ["--timeout"]:
        timeout, argv = float(argv[1]), argv[2:]
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        print(f"guard: prctl(PR_SET_CHILD_SUBREAPER) failed (errno {ctypes.get_errno()})", file=sys.stderr)

    proc = subprocess.Popen(argv)

    def forward(signum, _frame):
        if proc.poll() is None:
            proc.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)

    try:
        rc = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        print(f"guard: the test did not finish within {timeout:.0f} s; ending it", file=sys.stderr, flush=True)
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        rc = 124

    leftovers = _kill_leftovers()
    if leftovers:
        print("guard: ended processes the test left running:\n  " + "\n  ".join(leftovers), file=sys.stderr,
              flush=True)
    return rc if rc >= 0 else 128 - rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
