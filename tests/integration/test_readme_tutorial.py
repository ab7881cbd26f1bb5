"""The README's five-minute tutorial, run as written: its ```sh blocks between the tutorial markers, in one
shell, in a fresh directory. Only the binary's directory and the port are substituted."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
from pathlib import Path

from harness.gateway import free_port

REPO = Path(__file__).resolve().parents[2]


def _tutorial_blocks() -> list[str]:
    text = (REPO / "README.md").read_text()
    section = text.split("<!-- tutorial:begin -->", 1)[1].split("<!-- tutorial:end -->", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, flags=re.S)


def _run_script(script: str, cwd: Path, timeout: float) -> tuple[int, str, str]:
    """bash -c script in its own session; on timeout the whole session (the gateway included) is killed."""
    proc = subprocess.Popen(["bash", "-c", script], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        raise AssertionError(f"the tutorial did not finish within {timeout} s:\n{out}\n{err}") from None
    return proc.returncode, out, err


def _log_line(output: str, reason: str) -> dict:
    for line in output.splitlines():
        if f'"reason":"{reason}"' in line:
            return json.loads(line)
    raise AssertionError(f"no access log line with reason {reason} in:\n{output}")


def test_readme_tutorial_runs_as_written(certgate_bin, tmp_path):
    blocks = _tutorial_blocks()
    assert len(blocks) >= 8
    assert blocks[0].startswith("make build\n")
    port = str(free_port())
    bin_dir = str(Path(certgate_bin).parent)
    script = ["set -e"]
    for i, block in enumerate(blocks):
        block = block.replace("make build\n", "")  # the binary is already built
        block = block.replace('export PATH="$PWD/build:$PATH"', f'export PATH="{bin_dir}:$PATH"')
        block = block.replace("8443", port)
        script.append(f"echo '@@step {i}'")
        script.append(block)
    rc, out, err = _run_script("\n".join(script), tmp_path, timeout=120)
    assert rc == 0, out + err
    steps = dict(re.findall(r"@@step (\d+)\n(.*?)(?=@@step |\Z)", out, flags=re.S))

    scratch = tmp_path / "tutorial"
    assert (scratch / "alice.key").is_file() and (scratch / "crl.pem").is_file()

    with_cert = next(out for out in steps.values() if '"x-client-cert-verify"' in out)
    headers = json.loads(with_cert)["headers"]
    assert headers["x-client-cert-verify"] == "SUCCESS"
    assert headers["x-client-cert-subject-dn"] == "CN=alice"
    assert headers["x-client-cert-san"] == "email:alice@example.com"

    without = next(out for out in steps.values() if "No required TLS certificate was sent" in out)
    assert json.loads(without.splitlines()[0])["message"] == "No required TLS certificate was sent"
    log_line = _log_line(without, "no_certificate")
    assert (log_line["status"], log_line["verify"]) == (401, "NONE")

    assert any(re.search(r"decision:\s+accepted", out) for out in steps.values())

    revoked = next(out for out in steps.values() if "pki revoke" in out or "failed verification" in out)
    assert "TLS certificate failed verification" in [
        json.loads(line)["message"] for line in revoked.splitlines() if line.startswith('{"message"')]
    log_line = _log_line(revoked, "revoked")
    assert log_line["status"] == 401
