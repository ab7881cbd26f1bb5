"""Config hygiene (issue 12): a key written twice anywhere in the YAML, or a NUL character, is a config
error at `file:line` (the line of the second copy), from `certgate validate-config`, from `serve`, and on a
reload (which keeps the running config). yaml-cpp alone keeps the first copy, so a route with
`mtls: {mode: off}` followed by `mtls: {mode: required}` would serve clients without a certificate.
A private key that belongs to another certificate is reported as that, naming both keys' types.
"""

from __future__ import annotations

import signal
import time

import pytest

from harness.clients import curl
from harness.gateway import Gateway, serve_expect_exit, validate_config
from harness.pki import PKI
from harness.yamlgen import line_of

BASE = """\
workers: 1
access_log: stdout
listeners:
  - address: 127.0.0.1:{port}
    certificates:
      - cert_file: server.pem
        key_file: server.key
client_ca_file: ca.pem
routes:
  - from: https://app.test
    to: echo://
    mtls:
      mode: "off"
"""


@pytest.fixture(scope="module")
def cfgdir(tmp_path_factory):
    d = tmp_path_factory.mktemp("config")
    p = PKI(d)
    sca = p.root_ca("server-ca")
    p.server_cert(sca, "server", hosts=["app.test"])
    p.bundle("ca.pem", p.root_ca("client-ca"))
    other = p.server_cert(sca, "other", hosts=["app.test"])
    rsa = p.issue("rsa-server", sca, key_type="rsa")
    return {"dir": d, "server_ca": sca, "other_key": other.key_path.name, "rsa_key": rsa.key_path.name}


def base(port: int = 8443) -> str:
    return BASE.format(port=port)


# id -> (config text, the needle on the offending line, its occurrence, the message after "file:line: ")
CASES = {
    "route-mtls-twice": (base() + "    mtls:\n      mode: required\n", "    mtls:", 2, "duplicate key 'mtls'"),
    "routes-twice": (base() + "routes:\n  - from: https://app.test\n    to: echo://\n", "routes:", 2,
                     "duplicate key 'routes'"),
    "flow-map": (base().replace('      mode: "off"', "      mode: \"off\"\n    headers: {identity: true, identity: false}"),
                 "headers:", 1, "duplicate key 'identity'"),
    "listener-address": (base().replace("    certificates:", "    address: 127.0.0.1:1\n    certificates:"),
                         "address:", 2, "duplicate key 'address'"),
    "nested-mtls-mode": (base().replace('      mode: "off"', '      mode: "off"\n      mode: required'), "mode:", 2,
                         "duplicate key 'mode'"),
    "quoted-and-plain": (base() + '"routes": []\n', '"routes"', 1, "duplicate key 'routes'"),
    "nul-escape": (base().replace("    to: echo://", '    to: "echo://\\0http://evil"'), "to:", 1,
                   "a NUL character in a value"),
    "nul-byte": (base().replace("    to: echo://", "    to: echo://\0x"), "to:", 1, "a NUL character in the file"),
    # Found by fuzz/config_loader.cpp: yaml-cpp's own exception escaped and aborted certgate.
    "list-as-key": (base() + "? [a, b]\n: 1\n", "? [a, b]", 1,
                    "a key in the config file must be a name, not a list or a map"),
}


def write(cfgdir, name: str, text: str):
    path = cfgdir["dir"] / name
    path.write_bytes(text.encode())
    return path


@pytest.mark.parametrize("case", sorted(CASES))
def test_validate_config_names_file_and_line(certgate_bin, cfgdir, case):
    text, needle, nth, message = CASES[case]
    path = write(cfgdir, f"{case}.yaml", text)
    rc, out, err = validate_config(certgate_bin, path)
    assert rc == 1, (rc, out, err)
    expected = f"{path}:{line_of(text, needle, nth)}: {message}"
    assert expected in err, f"expected {expected!r} in:\n{err}"


@pytest.mark.parametrize("case", ["route-mtls-twice", "routes-twice", "nul-escape"])
def test_serve_refuses(certgate_bin, cfgdir, case):
    text, needle, nth, message = CASES[case]
    path = write(cfgdir, f"serve-{case}.yaml", text)
    rc, _, err = serve_expect_exit(certgate_bin, path)
    assert rc not in (0, None), err
    assert f"{path}:{line_of(text, needle, nth)}: {message}" in err, err


def test_the_base_config_is_valid(certgate_bin, cfgdir):
    rc, out, err = validate_config(certgate_bin, write(cfgdir, "base.yaml", base()))
    assert rc == 0, (out, err)


@pytest.mark.parametrize("case", ["route-mtls-twice", "list-as-key"])
def test_reload_with_a_bad_key_keeps_the_running_config(certgate_bin, cfgdir, tmp_path, case):
    gw = Gateway(certgate_bin, tmp_path / "gw", BASE.replace("{port}", "${PORT}"), config_dir=cfgdir["dir"],
                 config_name="reload.yaml")
    try:
        gw.start()
        cacert = cfgdir["server_ca"].cert_path

        def status():
            return curl("app.test", gw.port, "/", cacert=cacert).status

        assert status() == 200
        text, needle, nth, message = CASES[case]
        text = text.replace("8443", str(gw.port))
        gw.config_path.write_text(text)
        gw.signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while "reload rejected" not in gw.stderr_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert f"{gw.config_path}:{line_of(text, needle, nth)}: {message}" in gw.stderr_text()
        assert status() == 200  # still the old config: mtls off
    finally:
        gw.stop()


@pytest.mark.parametrize("key,message", [
    ("other_key", "is not the key of certificate {cert} (both are EC 256-bit keys, but different ones)"),
    ("rsa_key", "is an RSA 2048-bit key, but certificate {cert} holds an EC 256-bit public key"),
])
def test_key_mismatch_names_the_mismatch(certgate_bin, cfgdir, key, message):
    text = base().replace("key_file: server.key", f"key_file: {cfgdir[key]}")
    path = write(cfgdir, f"mismatch-{key}.yaml", text)
    rc, _, err = validate_config(certgate_bin, path)
    assert rc == 1, err
    cert = cfgdir["dir"] / "server.pem"
    expected = f"{path}:{line_of(text, 'key_file:')}: private key {cfgdir['dir'] / cfgdir[key]} " + \
        message.format(cert=cert)
    assert expected in err, f"expected {expected!r} in:\n{err}"
    assert "unencrypted PEM" not in err
