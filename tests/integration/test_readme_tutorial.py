"""The README's five-minute tutorial, run as written: its ```sh blocks between the tutorial markers, in one
shell, in a fresh directory. Only the binary path and the port are substituted."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from harness.gateway import free_port

REPO = Path(__file__).resolve().parents[2]


def _tutorial_blocks() -> list[str]:
    text = (REPO / "README.md").read_text()
    section = text.split("<!-- tutorial:begin -->", 1)[1].split("<!-- tutorial:end -->", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, flags=re.S)


def test_readme_tutorial_runs_as_written(certgate_bin, tmp_path):
    blocks = _tutorial_blocks()
    assert len(blocks) >= 6
    port = str(free_port())
    script = ["set -e"]
    for i, block in enumerate(blocks):
        block = block.replace("make build\n", "")  # the binary is already built
        block = block.replace("build/certgate", certgate_bin).replace("8443", port)
        script.append(f"echo '@@step {i}'")
        script.append(block)
    r = subprocess.run(["bash", "-c", "\n".join(script)], cwd=tmp_path, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    steps = dict(re.findall(r"@@step (\d+)\n(.*?)(?=@@step |\Z)", r.stdout, flags=re.S))

    with_cert = next(out for out in steps.values() if '"x-client-cert-verify"' in out)
    headers = json.loads(with_cert)["headers"]
    assert headers["x-client-cert-verify"] == "SUCCESS"
    assert headers["x-client-cert-subject-dn"] == "CN=alice"
    assert headers["x-client-cert-san"] == "email:alice@example.com"

    without = next(out for out in steps.values() if "No required TLS certificate was sent" in out)
    assert json.loads(without.splitlines()[0]) == {"message": "No required TLS certificate was sent"}
    log_line = json.loads(without.splitlines()[1])
    assert (log_line["status"], log_line["reason"], log_line["verify"]) == (401, "no_certificate", "NONE")

    assert any(re.search(r"decision:\s+accepted", out) for out in steps.values())
    assert (tmp_path / "crl.pem").is_file()
