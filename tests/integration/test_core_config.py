"""Config errors and `certgate validate-config`.

Every invalid config must be reported as `file:line: reason` on stderr with exit code 1 by
`validate-config`, and make `serve` exit non-zero with the same message. The line is the line of the
offending key or item; for a bad file, the line of the key naming it; for a bad trust bundle, the line of
`client_ca_file` / `client_ca` / `ca_file`.
"""

from __future__ import annotations

import base64
import re

import pytest

from harness.gateway import free_port, serve_expect_exit, validate_config
from harness.pki import PKI
from harness.yamlgen import line_of

GOOD = """\
workers: 2
access_log: stdout
log_level: info
listeners:
  - address: 127.0.0.1:{port}
    protocol: https
    certificates:
      - cert_file: server.pem
        key_file: server.key
    default_host: app.test
client_ca_file: global-ca.pem
mtls:
  mode: required
  max_verify_depth: 1
timeouts:
  handshake: 10s
  idle: 60s
  request_header: 30s
  upstream_connect: 5s
  upstream_response: 60s
  shutdown: 30s
limits:
  max_header_bytes: 64KiB
routes:
  - from: https://app.test
    to: http://127.0.0.1:9
    preserve_host: false
    mtls:
      mode: optional
      max_verify_depth: 2
    headers:
      identity: true
  - from: https://app.test/admin
    to: http://127.0.0.1:9/base
    mtls:
      ca_file: route-ca.pem
  - from: https://public.test
    to: echo://
    mtls:
      mode: "off"
"""


@pytest.fixture(scope="module")
def cfgdir(tmp_path_factory):
    d = tmp_path_factory.mktemp("config")
    p = PKI(d)
    sca = p.root_ca("server-ca")
    srv = p.server_cert(sca, "server", hosts=["app.test", "public.test"])
    other = p.server_cert(sca, "other", hosts=["app.test"])
    ca1 = p.root_ca("ca1")
    ca2 = p.root_ca("ca2")
    p.bundle("global-ca.pem", ca1, ca2)
    p.bundle("route-ca.pem", ca2)
    not_ca = p.root_ca("not-ca", basic_constraints="leaf")  # CA:FALSE
    no_bc = p.root_ca("no-bc", basic_constraints=None)  # basicConstraints absent
    p.bundle("ca-false.pem", not_ca)
    p.bundle("ca-absent.pem", no_bc)
    p.bundle("mixed-bundle.pem", ca1, not_ca)  # one good CA, one that must be refused
    p.write("garbage.key", "this is not a private key\n")
    p.write("truncated.key", srv.key_pem()[:60])
    p.write("garbage.pem", "-----BEGIN CERTIFICATE-----\nnot base64 !!\n-----END CERTIFICATE-----\n")
    (d / "dir.key").mkdir()  # unreadable as a file, even for root
    d.joinpath("sub").mkdir()
    p.write("sub/empty", "")
    return {"dir": d, "pki": p, "ca_false_b64": base64.b64encode(not_ca.pem()).decode(),
            "ca1_b64": base64.b64encode(ca1.pem()).decode(), "other_key": other.key_path.name}


def good_text() -> str:
    return GOOD.format(port=free_port())


def replace_line(text: str, old: str, new: str) -> str:
    """Replace the first line equal (after rstrip) to `old` with `new` (may be several lines)."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.rstrip() == old:
            lines[i] = new
            return "\n".join(lines) + "\n"
    raise AssertionError(f"line {old!r} not in config")


LOC_RE = r"(?P<file>\S*?{name}):(?P<line>\d+): (?P<reason>\S.*)$"


def error_locations(stderr: str, name: str) -> list[tuple[int, str, str]]:
    """[(line, reason, 'file:line: reason' text)] for every `file:line: reason` naming the config file."""
    out = []
    for m in re.finditer(LOC_RE.format(name=re.escape(name)), stderr, re.M):
        f = m.group("file").lstrip("'\"(")
        if f == name or f.endswith("/" + name):
            out.append((int(m.group("line")), m.group("reason"), m.group(0)[m.group(0).index(name):]))
    return out


# Each case: id -> (mutate(text, ctx) -> text, expected-lines(text) -> set[int], words the message must name)
def _case_unknown_top(t, c):
    return replace_line(t, "log_level: info", "log_level: info\ncolour: blue")


def _case_unknown_route_mtls(t, c):
    return replace_line(t, "      max_verify_depth: 2", "      max_verify_depth: 2\n      verify_everything: true")


def _case_unknown_listener(t, c):
    return replace_line(t, "    protocol: https", "    protocol: https\n    backlog_size: 5")


def _case_unknown_timeouts(t, c):
    return replace_line(t, "  idle: 60s", "  idle: 60s\n  handshak: 10s")


def _case_unknown_route(t, c):
    return replace_line(t, "    preserve_host: false", "    preserve_host: false\n    preserve_hots: true")


def _case_unknown_certificates_item(t, c):
    return replace_line(t, "        key_file: server.key", "        key_file: server.key\n        password: x")


CASES = {
    # unknown keys: the line of that key, and the message names it
    "unknown-key-top-level": (_case_unknown_top, lambda t: {line_of(t, "colour:")}, ["colour"]),
    "unknown-key-route-mtls": (_case_unknown_route_mtls, lambda t: {line_of(t, "verify_everything:")},
                               ["verify_everything"]),
    "unknown-key-listener": (_case_unknown_listener, lambda t: {line_of(t, "backlog_size:")}, ["backlog_size"]),
    "unknown-key-timeouts": (_case_unknown_timeouts, lambda t: {line_of(t, "handshak:")}, ["handshak"]),
    "unknown-key-route": (_case_unknown_route, lambda t: {line_of(t, "preserve_hots:")}, ["preserve_hots"]),
    "unknown-key-certificate-item": (_case_unknown_certificates_item, lambda t: {line_of(t, "password:")},
                                     ["password"]),
    # missing files: the line of the key naming the file, and the message names the file
    "missing-cert-file": (lambda t, c: replace_line(t, "      - cert_file: server.pem",
                                                    "      - cert_file: missing-server.pem"),
                          lambda t: {line_of(t, "cert_file:")}, ["missing-server.pem"]),
    "missing-key-file": (lambda t, c: replace_line(t, "        key_file: server.key", "        key_file: nokey.key"),
                         lambda t: {line_of(t, "key_file:")}, ["nokey.key"]),
    "missing-client-ca-file": (lambda t, c: replace_line(t, "client_ca_file: global-ca.pem",
                                                         "client_ca_file: no-such-ca.pem"),
                               lambda t: {line_of(t, "client_ca_file:")}, ["no-such-ca.pem"]),
    "missing-route-ca-file": (lambda t, c: replace_line(t, "      ca_file: route-ca.pem",
                                                        "      ca_file: no-route-ca.pem"),
                              lambda t: {line_of(t, "ca_file: no-route")}, ["no-route-ca.pem"]),
    # unreadable / garbage key and cert files
    "garbage-key-file": (lambda t, c: replace_line(t, "        key_file: server.key", "        key_file: garbage.key"),
                         lambda t: {line_of(t, "key_file:")}, []),
    "truncated-key-file": (lambda t, c: replace_line(t, "        key_file: server.key",
                                                     "        key_file: truncated.key"),
                           lambda t: {line_of(t, "key_file:")}, []),
    "key-file-is-a-directory": (lambda t, c: replace_line(t, "        key_file: server.key",
                                                          "        key_file: dir.key"),
                                lambda t: {line_of(t, "key_file:")}, []),
    "empty-key-file": (lambda t, c: replace_line(t, "        key_file: server.key", "        key_file: sub/empty"),
                       lambda t: {line_of(t, "key_file:")}, []),
    "garbage-cert-file": (lambda t, c: replace_line(t, "      - cert_file: server.pem",
                                                    "      - cert_file: garbage.pem"),
                          lambda t: {line_of(t, "cert_file:")}, []),
    # a certificate that does not match its key: the line of cert_file or key_file (same item)
    "cert-key-mismatch": (lambda t, c: replace_line(t, "        key_file: server.key",
                                                    f"        key_file: {c['other_key']}"),
                          lambda t: {line_of(t, "cert_file:"), line_of(t, "key_file:")}, []),
    # trust anchors without basicConstraints CA:TRUE: the line of the trust bundle key
    "client-ca-ca-false": (lambda t, c: replace_line(t, "client_ca_file: global-ca.pem",
                                                     "client_ca_file: ca-false.pem"),
                           lambda t: {line_of(t, "client_ca_file:")}, []),
    "client-ca-bc-absent": (lambda t, c: replace_line(t, "client_ca_file: global-ca.pem",
                                                      "client_ca_file: ca-absent.pem"),
                            lambda t: {line_of(t, "client_ca_file:")}, []),
    "client-ca-bundle-with-one-bad-ca": (lambda t, c: replace_line(t, "client_ca_file: global-ca.pem",
                                                                   "client_ca_file: mixed-bundle.pem"),
                                         lambda t: {line_of(t, "client_ca_file:")}, []),
    "route-ca-file-ca-false": (lambda t, c: replace_line(t, "      ca_file: route-ca.pem", "      ca_file: ca-false.pem"),
                               lambda t: {line_of(t, "ca_file: ca-false")}, []),
    "route-ca-file-bc-absent": (lambda t, c: replace_line(t, "      ca_file: route-ca.pem",
                                                          "      ca_file: ca-absent.pem"),
                                lambda t: {line_of(t, "ca_file: ca-absent")}, []),
    "inline-client-ca-ca-false": (lambda t, c: replace_line(t, "client_ca_file: global-ca.pem",
                                                            f"client_ca: {c['ca_false_b64']}"),
                                  lambda t: {line_of(t, "client_ca:")}, []),
    # invalid values
    "invalid-mode-global": (lambda t, c: replace_line(t, "  mode: required", "  mode: mandatory"),
                            lambda t: {line_of(t, "mode: mandatory")}, ["mandatory"]),
    "invalid-mode-route": (lambda t, c: replace_line(t, "      mode: optional", "      mode: sometimes"),
                           lambda t: {line_of(t, "mode: sometimes")}, ["sometimes"]),
    "invalid-duration": (lambda t, c: replace_line(t, "  handshake: 10s", "  handshake: 10x"),
                         lambda t: {line_of(t, "handshake: 10x")}, []),
    "invalid-duration-words": (lambda t, c: replace_line(t, "  upstream_response: 60s",
                                                         "  upstream_response: soon"),
                               lambda t: {line_of(t, "upstream_response:")}, []),
    "invalid-log-level": (lambda t, c: replace_line(t, "log_level: info", "log_level: loud"),
                          lambda t: {line_of(t, "log_level:")}, []),
    # bad URLs
    "bad-from-scheme": (lambda t, c: replace_line(t, "  - from: https://public.test", "  - from: ftp://public.test"),
                        lambda t: {line_of(t, "from: ftp://")}, []),
    "bad-from-no-host": (lambda t, c: replace_line(t, "  - from: https://public.test", '  - from: "https://"'),
                         lambda t: {line_of(t, 'from: "https://"')}, []),
    "bad-to-scheme": (lambda t, c: replace_line(t, "    to: http://127.0.0.1:9", "    to: gopher://127.0.0.1:70"),
                      lambda t: {line_of(t, "to: gopher://")}, []),
    "bad-to-port": (lambda t, c: replace_line(t, "    to: http://127.0.0.1:9", "    to: http://127.0.0.1:99999"),
                    lambda t: {line_of(t, "to: http://127.0.0.1:99999")}, []),
    "bad-to-no-host": (lambda t, c: replace_line(t, "    to: http://127.0.0.1:9/base", '    to: "http://"'),
                       lambda t: {line_of(t, 'to: "http://"')}, []),
}


def _no_trust_inherited(t, c):
    # no global trust bundle; app.test/admin inherits mode `required` but has its own ca_file (fine);
    # the first route (mode optional in its own mtls block) has no trust bundle at all
    return replace_line(t, "client_ca_file: global-ca.pem", "")


def _no_trust_route_without_mtls_block(t, c):
    t = replace_line(t, "client_ca_file: global-ca.pem", "")
    # drop the first route's mtls block: it inherits mode `required` from the global block
    lines = t.splitlines()
    i = lines.index("      mode: optional")
    del lines[i - 1:i + 2]  # "    mtls:", "      mode: optional", "      max_verify_depth: 2"
    return "\n".join(lines) + "\n"


def _route_item_lines(t, needle_from):
    """The lines that name an offending route: its `- from:` item, and its `mtls:` / `mode:` keys."""
    start = line_of(t, needle_from)
    lines = t.splitlines()
    out = {start}
    for i in range(start, len(lines)):  # 0-based index `start` is the line after the item
        if lines[i].startswith("  - "):
            break
        if lines[i].strip().startswith(("mtls:", "mode:")):
            out.add(i + 1)
    return out


CASES["route-mtls-without-any-trust"] = (
    _no_trust_inherited, lambda t: _route_item_lines(t, "- from: https://app.test"), [])
CASES["route-inherited-mtls-without-any-trust"] = (
    _no_trust_route_without_mtls_block, lambda t: {line_of(t, "- from: https://app.test")}, [])


def _make(cfgdir, case_id):
    mutate, expected, words = CASES[case_id]
    text = mutate(good_text(), cfgdir)
    name = f"bad-{case_id}.yaml"
    path = cfgdir["dir"] / name
    path.write_text(text)
    return path, text, expected(text), words


def test_good_config_is_valid(certgate_bin, cfgdir, tmp_path):
    path = cfgdir["dir"] / "good.yaml"
    path.write_text(good_text())
    # run from another directory: relative paths are relative to the config file
    rc, out, err = validate_config(certgate_bin, path, cwd=tmp_path)
    assert rc == 0, f"stdout={out!r} stderr={err!r}"


@pytest.mark.parametrize("variant", ["unquoted-off", "inline-client-ca", "durations", "minimal"])
def test_other_valid_configs(certgate_bin, cfgdir, tmp_path, variant):
    t = good_text()
    if variant == "unquoted-off":
        t = replace_line(t, '      mode: "off"', "      mode: off")  # YAML 1.1 would read a bool
    elif variant == "inline-client-ca":
        t = replace_line(t, "client_ca_file: global-ca.pem", f"client_ca: {cfgdir['ca1_b64']}")
    elif variant == "durations":
        t = replace_line(t, "  handshake: 10s", "  handshake: 500ms")
        t = replace_line(t, "  idle: 60s", "  idle: 2m")
        t = replace_line(t, "  upstream_response: 60s", "  upstream_response: 1h")
        t = replace_line(t, "  shutdown: 30s", "  shutdown: 7")  # a bare number means seconds
    elif variant == "minimal":
        t = (f"listeners:\n  - address: 127.0.0.1:{free_port()}\n    protocol: https\n    certificates:\n"
             "      - cert_file: server.pem\n        key_file: server.key\n"
             "client_ca_file: global-ca.pem\nroutes:\n  - from: https://app.test\n    to: echo://\n")
    path = cfgdir["dir"] / f"good-{variant}.yaml"
    path.write_text(t)
    rc, out, err = validate_config(certgate_bin, path, cwd=tmp_path)
    assert rc == 0, f"{variant}: stdout={out!r} stderr={err!r}\n{t}"


@pytest.mark.parametrize("case_id", list(CASES))
def test_validate_config_reports_file_and_line(certgate_bin, cfgdir, tmp_path, case_id):
    path, text, expected_lines, words = _make(cfgdir, case_id)
    assert expected_lines, "test bug: no expected line"
    rc, out, err = validate_config(certgate_bin, path, cwd=tmp_path)
    assert rc == 1, f"{case_id}: validate-config exit code {rc}, want 1\nstderr={err!r}\nconfig:\n{text}"
    locs = error_locations(err, path.name)
    assert locs, f"{case_id}: no '{path.name}:LINE: reason' on stderr: {err!r}"
    line, reason, _ = locs[0]
    numbered = "\n".join(f"{i:3}: {l}" for i, l in enumerate(text.splitlines(), 1))
    assert line in expected_lines, (f"{case_id}: reported line {line} ({reason!r}), want one of "
                                    f"{sorted(expected_lines)}\n{numbered}")
    for w in words:
        assert w in err, f"{case_id}: the message should name {w!r}: {err!r}"


@pytest.mark.parametrize("case_id", list(CASES))
def test_serve_refuses_bad_config_with_same_message(certgate_bin, cfgdir, tmp_path, case_id):
    path, text, expected_lines, _ = _make(cfgdir, case_id)
    rc_v, _, err_v = validate_config(certgate_bin, path, cwd=tmp_path)
    rc, out, err = serve_expect_exit(certgate_bin, path, cwd=tmp_path, timeout=4)
    assert rc is not None, f"{case_id}: `serve` kept running with an invalid config; stderr={err!r}"
    assert rc != 0, f"{case_id}: `serve` exited 0 with an invalid config"
    v_locs = error_locations(err_v, path.name)
    s_locs = error_locations(err, path.name)
    assert s_locs, f"{case_id}: no '{path.name}:LINE: reason' on serve's stderr: {err!r}"
    assert s_locs[0][0] in expected_lines
    if v_locs:
        assert s_locs[0][2] == v_locs[0][2], "serve and validate-config should print the same message"


def test_validate_config_missing_config_file(certgate_bin, tmp_path):
    rc, out, err = validate_config(certgate_bin, tmp_path / "does-not-exist.yaml")
    assert rc != 0
    assert "does-not-exist.yaml" in err


def test_yaml_syntax_error_has_a_line(certgate_bin, cfgdir, tmp_path):
    t = replace_line(good_text(), "  mode: required", "  mode: [required")
    path = cfgdir["dir"] / "syntax.yaml"
    path.write_text(t)
    rc, out, err = validate_config(certgate_bin, path, cwd=tmp_path)
    assert rc == 1
    assert error_locations(err, path.name), err
