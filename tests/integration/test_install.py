"""`make install` / `cmake --install`: the binary, its man page, bash completion, the example config, the
docs and the systemd unit land under the prefix, and what is installed works (the binary runs, the example
config validates, `systemd-analyze verify` accepts the unit)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def prefix(certgate_bin, tmp_path_factory) -> Path:
    build_dir = Path(certgate_bin).parent
    root = tmp_path_factory.mktemp("install") / "prefix"
    # The man page is not part of the `certgate` target; a no-op when `make build` made it.
    r = subprocess.run(["cmake", "--build", str(build_dir), "--target", "manpage"], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    r = subprocess.run(["cmake", "--install", str(build_dir), "--prefix", str(root)], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    return root


def test_installed_binary_runs(prefix):
    r = subprocess.run([str(prefix / "bin/certgate"), "--version"], capture_output=True, text=True, timeout=20)
    assert r.returncode == 0 and "certgate" in r.stdout


def test_man_page_is_generated_from_help(prefix):
    page = (prefix / "share/man/man1/certgate.1").read_text()
    assert page.startswith('.\\" DO NOT MODIFY THIS FILE!')
    assert '.TH CERTGATE "1"' in page
    for section in ("certgate serve", "certgate validate-config", "certgate check", "certgate pki"):
        assert section in page
    if shutil.which("man"):
        r = subprocess.run(["man", "-l", str(prefix / "share/man/man1/certgate.1")], capture_output=True,
                           text=True, timeout=20, env={"MANPAGER": "cat", "PATH": "/usr/bin:/bin"})
        assert r.returncode == 0 and "mutual-TLS access gateway" in r.stdout


def test_bash_completion_lists_the_subcommands(prefix):
    script = prefix / "share/bash-completion/completions/certgate"
    r = subprocess.run(["bash", "-c", f'source "{script}"; COMP_WORDS=(certgate v); COMP_CWORD=1; _certgate; '
                                      'echo "${COMPREPLY[@]}"'], capture_output=True, text=True, timeout=20)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["validate-config"]


def test_example_config_validates(prefix, tmp_path):
    example = prefix / "etc/certgate/certgate.example.yaml"
    binary = str(prefix / "bin/certgate")
    shutil.copy(example, tmp_path / "certgate.yaml")
    for args in (["pki", "init-ca", "ca-dir", "--name", "Example CA"],
                 ["pki", "issue", "server", "--ca", "ca-dir", "--dns", "app.example.com", "--out", "server"]):
        subprocess.run([binary, *args], cwd=tmp_path, check=True, capture_output=True, timeout=60)
    shutil.copy(tmp_path / "ca-dir/ca.pem", tmp_path / "ca.pem")
    r = subprocess.run([binary, "validate-config", "certgate.yaml"], cwd=tmp_path, capture_output=True, text=True,
                       timeout=20)
    assert r.returncode == 0, r.stdout + r.stderr


def test_docs_are_installed(prefix):
    docs = prefix / "share/doc/certgate"
    assert (docs / "README.md").is_file()
    assert (docs / "configuration.md").is_file() and (docs / "architecture.md").is_file()


def test_systemd_unit_passes_systemd_analyze_verify(prefix):
    unit = prefix / "lib/systemd/system/certgate.service"
    text = unit.read_text()
    assert f"ExecStart={prefix}/bin/certgate serve --config {prefix}/etc/certgate/certgate.yaml" in text
    assert "@" not in text.replace("@system-service", ""), "an unsubstituted @VARIABLE@"
    # verify checks that ExecStart is executable and that Documentation=man:certgate(1) exists (MANPATH);
    # it only warns about unknown keys, so any output at all fails the test.
    r = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60,
                       env={"PATH": "/usr/bin:/bin", "MANPATH": str(prefix / "share/man")})
    assert r.returncode == 0 and r.stdout + r.stderr == "", r.stdout + r.stderr


def test_systemd_unit_is_notify_type_and_hardened(prefix):
    lines = (prefix / "lib/systemd/system/certgate.service").read_text().splitlines()
    directives = {line.split("=", 1)[0]: line.split("=", 1)[1] for line in lines if "=" in line and
                  not line.startswith("#")}
    assert directives["Type"] == "notify"
    assert directives["ExecReload"] == "/bin/kill -HUP $MAINPID"
    for key, value in {"User": "certgate", "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes",
                       "NoNewPrivileges": "yes", "CapabilityBoundingSet": "CAP_NET_BIND_SERVICE",
                       "AmbientCapabilities": "CAP_NET_BIND_SERVICE",
                       "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
                       "SystemCallFilter": "@system-service", "LimitNOFILE": "65536",
                       "ReadOnlyPaths": f"-{prefix}/etc/certgate"}.items():
        assert directives.get(key) == value, key
    sysusers = (prefix / "lib/sysusers.d/certgate.conf").read_text()
    assert re.search(r"^u certgate ", sysusers, re.M)
