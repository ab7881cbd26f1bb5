"""Enforcement in the TLS handshake (`mtls.mode: reject_connection`), the CA names list in
CertificateRequest (`send_ca_names`), and what clients without SNI get. Checked with `openssl s_client`,
which prints the alert the gateway sent ("SSL alert number N") and the CA names it received."""

from __future__ import annotations

import re
import socket
import ssl

import pytest

from harness.alert_probe import alert_read_by_record_by_record_client
from harness.clients import s_client
from harness.configs import cert_entry, gateway_config, rel, route
from harness.gateway import free_port, validate_config

HTTP_GET = b"GET /probe HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"


def alert_number(output: str):
    m = re.search(r"SSL alert number (\d+)", output)
    return int(m.group(1)) if m else None


def ca_names(output: str):
    """The CNs s_client lists under "Acceptable client certificate CA names"; None when none were sent."""
    if "No client certificate CA names sent" in output:
        return None
    m = re.search(r"Acceptable client certificate CA names\n(.*?)\n(?:Requested Signature|Client Certificate Types)",
                  output, re.S)
    assert m, f"s_client printed neither CA names nor their absence:\n{output}"
    return sorted(re.search(r"CN = ([^,\n]+)", line).group(1) for line in m.group(1).splitlines())


def _listener(std_pki, port, default_host=None):
    d = {"address": f"127.0.0.1:${{{port}}}", "protocol": "https", "certificates": [cert_entry(std_pki, std_pki.server)]}
    if default_host:
        d["default_host"] = default_host
    return d


@pytest.fixture(scope="module")
def gw(module_gateway, std_pki):
    ca1 = rel(std_pki, std_pki.ca1.cert_path)
    ca2 = rel(std_pki, std_pki.ca2.cert_path)
    reject = {"mode": "reject_connection", "ca_file": ca1}
    routes = [
        route("https://reject.localhost", "echo://", mtls=reject),
        route("https://reject.localhost/other", "echo://", mtls=dict(reject)),
        route("https://rejnames.localhost", "echo://", mtls={"mode": "reject_connection", "send_ca_names": True}),
        route("https://names.localhost", "echo://", mtls={"mode": "required", "send_ca_names": True}),
        route("https://names.localhost/ca2", "echo://", mtls={"mode": "optional", "send_ca_names": True, "ca_file": ca2}),
        route("https://nonames.localhost", "echo://", mtls={"mode": "required"}),
        route("https://public.localhost", "echo://", mtls={"mode": "off", "send_ca_names": True}),
    ]
    listeners = [_listener(std_pki, "PORT0", "reject.localhost"), _listener(std_pki, "PORT1", "names.localhost"),
                 _listener(std_pki, "PORT2")]
    return module_gateway(gateway_config(std_pki, routes, listeners=listeners))


def _sc(gw, sni, tls, cert=None, *, listener=0, host=None, **kw):
    args = {"cert": cert.cert_path, "key": cert.key_path} if cert is not None else {}
    if cert is not None and cert.chain_path:
        args["cert_chain"] = cert.issuer.cert_path  # s_client sends only the first certificate of -cert
    return s_client(gw.ports[listener], servername=sni, tls=tls, ign_eof=True,
                    stdin=HTTP_GET % (host or sni or "reject.localhost").encode(), **args, **kw)


def _rejection_logged(gw, sni, reason, alert, subject_cn=None) -> bool:
    pattern = (r"handshake rejected 127\.0\.0\.1:\d+ sni=%s subject=\"[^\"]*%s[^\"]*\" reason=%s alert=%d"
               % (re.escape(sni), re.escape(subject_cn or ""), reason, alert))
    return re.search(pattern, gw.stderr_text()) is not None


# --- reject_connection ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("tls,alert", [("1.3", 116), ("1.2", 40)])
def test_no_certificate_fails_the_handshake(gw, tls, alert):
    r = _sc(gw, "reject.localhost", tls)
    assert alert_number(r.output) == alert, r.output
    assert "HTTP/1.1" not in r.output
    assert _rejection_logged(gw, "reject.localhost", "no_certificate", alert), gw.stderr_text()[-3000:]


@pytest.mark.parametrize("tls", ["1.3", "1.2"])
@pytest.mark.parametrize("name,alert,reason", [
    ("untrusted", 48, "untrusted_issuer"),   # rogue CA
    ("bob", 48, "untrusted_issuer"),         # ca3: trusted globally, not by this host's bundle
    ("deep", 48, "depth_exceeded"),          # leaf + intermediate, max_verify_depth 1
    ("expired", 45, "expired"),
    ("not_yet_valid", 42, "not_yet_valid"),
    ("server_only", 42, "bad_purpose"),
    ("ca_as_leaf", 42, "ca_as_leaf"),
])
def test_invalid_certificate_fails_with_precise_alert(gw, std_pki, tls, name, alert, reason):
    cert = std_pki[name]
    r = _sc(gw, "reject.localhost", tls, cert)
    assert alert_number(r.output) == alert, r.output
    assert "HTTP/1.1" not in r.output
    cn = cert.cert.subject.rfc4514_string().split("CN=")[1].split(",")[0]
    assert _rejection_logged(gw, "reject.localhost", reason, alert, f"CN={cn}"), gw.stderr_text()[-3000:]


def _refusal_seen_by_eager_client(port: int, tls: str) -> str:
    """A client without a certificate that writes its request as soon as its side of the handshake is done
    (as browsers and tlsfuzzer do): 'alert' when it read the gateway's alert, else what it saw instead."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE  # only the refusal matters here
    ctx.minimum_version = ctx.maximum_version = (ssl.TLSVersion.TLSv1_3 if tls == "1.3" else ssl.TLSVersion.TLSv1_2)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        try:
            with ctx.wrap_socket(raw, server_hostname="reject.localhost") as s:
                s.sendall(HTTP_GET % b"reject.localhost")
                s.recv(100)
                return "no refusal"
        except ssl.SSLError as e:
            return "alert" if "ALERT" in (e.reason or "").upper() else f"{type(e).__name__}: {e}"
        except OSError as e:
            return f"{type(e).__name__}: {e}"


@pytest.mark.parametrize("tls,alert", [("1.3", 116), ("1.2", 40)])
def test_refusal_alert_reaches_a_client_that_sends_record_by_record(gw, tls, alert):
    seen = [alert_read_by_record_by_record_client(gw.port, "reject.localhost", tls, HTTP_GET % b"reject.localhost")
            for _ in range(10)]
    assert seen == [alert] * 10, seen
    assert _rejection_logged(gw, "reject.localhost", "no_certificate", alert), gw.stderr_text()[-3000:]


@pytest.mark.parametrize("tls", ["1.3", "1.2"])
def test_refusal_alert_reaches_a_client_that_keeps_writing(gw, tls):
    # Closing right after the alert while the client's records are unread makes the kernel send a reset that
    # can overtake the alert; the gateway stops sending and drains instead, so every try sees the alert.
    seen = [_refusal_seen_by_eager_client(gw.port, tls) for _ in range(20)]
    assert seen == ["alert"] * 20, seen


@pytest.mark.parametrize("tls", ["1.3", "1.2"])
def test_valid_certificate_passes_and_is_still_checked_per_request(gw, std_pki, tls):
    r = _sc(gw, "reject.localhost", tls, std_pki.alice)
    assert alert_number(r.output) is None, r.output
    assert "HTTP/1.1 200" in r.output, r.output
    assert '"x-client-cert-verify": "SUCCESS"' in r.output, r.output
    e = gw.wait_for_log(lambda e: e["sni"] == "reject.localhost" and e["tls"] == f"TLSv{tls}"
                        and e["cert_fingerprint"] == std_pki.alice.fingerprint_sha256)
    assert e["status"] == 200 and e["verify"] == "SUCCESS" and e["reason"] == "allowed", e


def test_no_sni_gets_the_default_host_enforcement(gw, std_pki):
    r = _sc(gw, None, "1.3", listener=0)
    assert alert_number(r.output) == 116, r.output
    r = _sc(gw, None, "1.3", std_pki.alice, listener=0)
    assert "HTTP/1.1 200" in r.output, r.output


def test_no_sni_without_default_host_is_checked_per_request(gw, std_pki):
    """Without SNI and default_host the listener's routes disagree, so nothing is refused in the handshake;
    the request is still refused by its route (401), never admitted."""
    r = _sc(gw, None, "1.3", listener=2, host="reject.localhost")
    assert alert_number(r.output) is None, r.output
    assert r.has_certificate_request, r.output
    assert "HTTP/1.1 401" in r.output, r.output


# --- send_ca_names -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("tls", ["1.3", "1.2"])
@pytest.mark.parametrize("sni,listener,want", [
    ("names.localhost", 0, ["ca1 root", "ca2 root", "ca3 root"]),  # merged over the host's routes
    ("rejnames.localhost", 0, ["ca1 root", "ca3 root"]),
    ("nonames.localhost", 0, None),
    ("reject.localhost", 0, None),
    (None, 1, ["ca1 root", "ca2 root", "ca3 root"]),  # no SNI: default_host names.localhost
    (None, 0, None),  # no SNI: default_host reject.localhost
    (None, 2, ["ca1 root", "ca2 root", "ca3 root"]),  # no SNI, no default_host: every route of the listener
])
def test_ca_names_only_when_enabled(gw, sni, listener, want, tls):
    r = s_client(gw.ports[listener], servername=sni, tls=tls)
    assert r.has_certificate_request, r.output
    assert ca_names(r.output) == want, r.output


@pytest.mark.parametrize("tls", ["1.3", "1.2"])
def test_off_host_gets_no_certificate_request(gw, tls):
    r = s_client(gw.ports[0], servername="public.localhost", tls=tls)
    assert r.handshake_ok, r.output
    assert not r.has_certificate_request, r.output


# --- config errors -------------------------------------------------------------------------------------------

CONFIG = """\
listeners:
  - address: 127.0.0.1:{port}
    protocol: https
    certificates:
      - cert_file: server.pem
        key_file: server.key
client_ca_file: global-ca.pem
routes:
  - from: https://mix.localhost
    to: echo://
    mtls:
      mode: reject_connection
  - from: https://mix.localhost/b
    to: echo://
    mtls:
{second}
"""


@pytest.mark.parametrize("second,words", [
    ("      mode: required", ["uses mtls.mode required", "reject_connection", "line 9"]),
    ("      mode: \"off\"", ["uses mtls.mode off", "line 9"]),
    ("      mode: reject_connection\n      ca_file: ca1.pem", ["another trust bundle", "line 9"]),
    ("      mode: reject_connection\n      max_verify_depth: 2", ["max_verify_depth", "line 9"]),
])
def test_reject_connection_needs_one_trust_set_per_host(certgate_bin, std_pki, second, words):
    path = std_pki.dir / f"reject-mix-{abs(hash(second))}.yaml"
    path.write_text(CONFIG.format(port=free_port(), second=second))
    rc, _, err = validate_config(certgate_bin, path)
    assert rc == 1, err
    assert f"{path.name}:13: route https://mix.localhost/b " in err, err
    for w in words:
        assert w in err, (w, err)


def test_reject_connection_with_equal_bundles_is_accepted(certgate_bin, std_pki):
    """Two files with the same certificates are one trust bundle."""
    copy = std_pki.dir / "global-ca-copy.pem"
    copy.write_bytes((std_pki.dir / "global-ca.pem").read_bytes())
    path = std_pki.dir / "reject-same.yaml"
    path.write_text(CONFIG.format(port=free_port(), second="      mode: reject_connection\n      ca_file: global-ca-copy.pem"))
    rc, out, err = validate_config(certgate_bin, path)
    assert rc == 0, err


def test_reject_connection_mode_value_is_known(certgate_bin, std_pki):
    path = std_pki.dir / "reject-typo.yaml"
    path.write_text(CONFIG.format(port=free_port(), second="      mode: reject"))
    rc, _, err = validate_config(certgate_bin, path)
    assert rc == 1 and f"{path.name}:16: " in err and "reject_connection" in err, err
