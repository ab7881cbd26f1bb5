"""Config errors of consumers, identity blocks and policies: `certgate validate-config` prints
`file:line: reason` (exit 1) for every bad input, at the line of the offending key or value; `serve` refuses
such a config, and a reload with one keeps the old config serving.
"""

from __future__ import annotations

import re
import signal
import time

import pytest

from harness.clients import TLSClient
from harness.gateway import free_port, serve_expect_exit, validate_config
from harness.pki import PKI
from harness.yamlgen import line_of

GOOD = """\
workers: 1
listeners:
  - address: 127.0.0.1:{port}
    certificates:
      - cert_file: server.pem
        key_file: server.key
client_ca_file: ca1.pem
consumers:
  - username: alice
    email: alice@example.com
    groups: [admins]
    credentials:
      - subject_name: alice.example.test
        ca_file: ca1.pem
  - username: guest
routes:
  - from: https://app.test
    to: echo://
    identity:
      certificate_attribute: common_name
      consumer_attribute: username
      default_consumer: alice
    policy:
      - allow:
          or:
            - domain: {{ is: example.com }}
            - common_name: {{ in: [alice, bob] }}
      - deny:
          common_name: {{ regex: "mallory.*" }}
  - from: https://opt.test
    to: echo://
    mtls:
      mode: optional
    identity:
      anonymous: guest
  - from: https://public.test
    to: echo://
    mtls:
      mode: "off"
"""

NOID_ROUTE = """\
  - from: https://noid.test
    to: echo://
    policy:
      - allow:
          group: { is: admins }
"""


@pytest.fixture(scope="module")
def cfgdir(tmp_path_factory):
    d = tmp_path_factory.mktemp("identity-config")
    p = PKI(d)
    sca = p.root_ca("server-ca")
    p.server_cert(sca, "server", hosts=["app.test", "opt.test", "public.test", "noid.test"])
    ca1 = p.root_ca("ca1")
    p.leaf(ca1, "alice", cn="alice", sans=[("email", "alice@example.com")])
    p.bundle("not-ca.pem", p.root_ca("not-ca", basic_constraints="leaf"))
    return d


def replace_line(text: str, old: str, new: str) -> str:
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.rstrip() == old:
            lines[i] = new
            return "\n".join(lines) + "\n"
    raise AssertionError(f"line {old!r} not in config")


def after_line(text: str, anchor: str, added: str) -> str:
    return replace_line(text, anchor, anchor + "\n" + added)


# id -> (mutate(text) -> text, needle of the line the error must point at (or (needle, nth)), words the message
# must contain)
CASES = {
    "unknown-criterion": (lambda t: replace_line(t, "            - domain: { is: example.com }",
                                                 "            - user: { is: example.com }"),
                          "- user:", ["unknown policy criterion", "user"]),
    "unknown-matcher": (lambda t: replace_line(t, "            - common_name: { in: [alice, bob] }",
                                               "            - common_name: { equals: alice }"),
                        "equals", ["unknown matcher", "equals"]),
    "regex-does-not-compile": (lambda t: replace_line(t, '          common_name: { regex: "mallory.*" }',
                                                      '          common_name: { regex: "mallory(" }'),
                               "mallory(", ["regex", "does not compile"]),
    "policy-consumer-does-not-exist": (lambda t: after_line(t, "            - common_name: { in: [alice, bob] }",
                                                            "            - consumer: { is: mallory }"),
                                       "consumer: { is: mallory", ["mallory", "not a consumer"]),
    "default-consumer-does-not-exist": (lambda t: replace_line(t, "      default_consumer: alice",
                                                               "      default_consumer: nobody"),
                                        "default_consumer: nobody", ["nobody"]),
    "anonymous-does-not-exist": (lambda t: replace_line(t, "      anonymous: guest", "      anonymous: nobody"),
                                 "anonymous: nobody", ["nobody"]),
    "anonymous-on-required-route": (lambda t: after_line(t, "      default_consumer: alice", "      anonymous: guest"),
                                    "anonymous: guest", ["optional"]),
    "identity-on-off-route": (lambda t: after_line(t, '      mode: "off"', "    identity: {}"),
                              "identity: {}", ["mode off"]),
    "policy-on-off-route": (lambda t: after_line(t, '      mode: "off"',
                                                 "    policy: [{allow: {valid_certificate: false}}]"),
                            "policy: [", ["mode off"]),
    "group-criterion-without-identity": (lambda t: t + NOID_ROUTE, "group: { is: admins }", ["identity block"]),
    "unknown-identity-key": (lambda t: replace_line(t, "      consumer_attribute: username",
                                                    "      consumer_by: username"),
                             "consumer_by", ["consumer_by"]),
    "bad-certificate-attribute": (lambda t: replace_line(t, "      certificate_attribute: common_name",
                                                         "      certificate_attribute: serial"),
                                  "certificate_attribute: serial", ["serial"]),
    "unknown-consumer-key": (lambda t: after_line(t, "  - username: alice", "    nickname: al"),
                             "nickname", ["nickname"]),
    "duplicate-username": (lambda t: replace_line(t, "  - username: guest", "  - username: alice"),
                           ("- username: alice", 2), ["already used"]),
    "credential-ca-file-missing": (lambda t: replace_line(t, "        ca_file: ca1.pem", "        ca_file: nope.pem"),
                                   "ca_file: nope.pem", ["nope.pem"]),
    "credential-ca-file-not-a-ca": (lambda t: replace_line(t, "        ca_file: ca1.pem",
                                                           "        ca_file: not-ca.pem"),
                                    "ca_file: not-ca.pem", ["CA:TRUE"]),
    "bad-fingerprint": (lambda t: after_line(t, "            - common_name: { in: [alice, bob] }",
                                             '            - fingerprint: { is: "ab:cd" }'),
                        "fingerprint:", ["64 hex digits"]),
    "bad-spki-hash": (lambda t: after_line(t, "            - common_name: { in: [alice, bob] }",
                                           '            - spki_hash: { is: "nope" }'),
                      "spki_hash:", ["base64"]),
    "valid-certificate-not-boolean": (lambda t: after_line(t, "            - common_name: { in: [alice, bob] }",
                                                           "            - valid_certificate: maybe"),
                                      "valid_certificate: maybe", ["true or false"]),
    "nested-unknown-criterion": (lambda t: after_line(t, "            - common_name: { in: [alice, bob] }",
                                                      "            - not:\n                - serial: { is: '01' }"),
                                 "serial:", ["serial"]),
}


def run_validate(certgate_bin, cfgdir, text, name):
    path = cfgdir / f"{name}.yaml"
    path.write_text(text)
    return path, validate_config(certgate_bin, path)


def test_good_config_is_valid(certgate_bin, cfgdir):
    _, (rc, out, err) = run_validate(certgate_bin, cfgdir, GOOD.format(port=free_port()), "good")
    assert rc == 0, err
    assert "OK" in out


@pytest.mark.parametrize("case", list(CASES))
def test_config_error_has_file_and_line(certgate_bin, cfgdir, case):
    mutate, needle, words = CASES[case]
    text = mutate(GOOD.format(port=free_port()))
    path, (rc, out, err) = run_validate(certgate_bin, cfgdir, text, case)
    assert rc == 1, f"validate-config accepted it: {out}{err}"
    line = line_of(text, *needle) if isinstance(needle, tuple) else line_of(text, needle)
    m = re.search(rf"^{re.escape(str(path))}:(\d+): (.+)$", err, re.M)
    assert m, f"no '{path}:LINE: reason' on stderr:\n{err}"
    assert int(m.group(1)) == line, f"line {m.group(1)} != {line} ({needle!r}):\n{err}\n{text}"
    for w in words:
        assert w in m.group(2), f"{w!r} not in {m.group(2)!r}"


def test_serve_refuses_a_bad_policy(certgate_bin, cfgdir):
    text = CASES["regex-does-not-compile"][0](GOOD.format(port=free_port()))
    path = cfgdir / "serve-bad.yaml"
    path.write_text(text)
    rc, _, err = serve_expect_exit(certgate_bin, path)
    assert rc not in (0, None), err
    assert f"{path}:{line_of(text, 'mallory(')}:" in err


def test_reload_with_a_bad_policy_keeps_the_old_one(gateway_factory, cfgdir):
    gw = gateway_factory(GOOD.replace("{port}", "${PORT}").replace("{{", "{").replace("}}", "}"),
                         config_dir=cfgdir, name="reload")
    ca = cfgdir / "server-ca.pem"
    alice = (cfgdir / "alice.pem", cfgdir / "alice.key")

    def status():
        with TLSClient(gw.port, "app.test", cacert=ca, cert=alice[0], key=alice[1]) as cl:
            return cl.get("/x").status

    assert status() == 200
    gw.config_path.write_text(CASES["regex-does-not-compile"][0](gw.config_text))
    gw.signal(signal.SIGHUP)
    deadline = time.monotonic() + 5
    while "reload rejected" not in gw.stderr_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "reload rejected" in gw.stderr_text()
    assert "does not compile" in gw.stderr_text()
    assert status() == 200
