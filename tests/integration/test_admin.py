"""The admin listener: authorization (bearer token, admin client certificate, both), the JSON endpoints,
POST /reload, config errors of the admin block, and the HTML status page rendered by headless Chromium."""

from __future__ import annotations

import re
import time

import pytest

from harness.admin import BearerProxy, admin_request, new_token
from harness.browser import render, screenshot
from harness.clients import curl
from harness.configs import cert_entry, gateway_config, rel, route
from harness.gateway import validate_config, write_config


@pytest.fixture(scope="module")
def token_path(std_pki):
    path = std_pki.dir / "admin.token"
    new_token(path)
    return path


@pytest.fixture(scope="module")
def evil(std_pki):
    """A trusted client certificate whose subject is markup: the status page must show it as text."""
    return std_pki.pki.leaf(std_pki.ca1, "evil", cn="<script>alert(1)</script><b>x</b>")


def admin_config(std, token_path, **admin):
    cfg = gateway_config(std, [
        route("https://app.test", "echo://"),
        route("https://public.test", "echo://", mtls={"mode": "off"}),
    ])
    cfg["routes"][0]["policy"] = [{"allow": {"common_name": {"in": ["alice"]}}}]
    cfg["admin"] = {"address": "127.0.0.1:${PORT1}", **admin}
    if token_path is not None and "token_file" not in admin:
        cfg["admin"]["token_file"] = token_path.name
    return cfg


@pytest.fixture(scope="module")
def gw(module_gateway, std_pki, token_path):
    return module_gateway(admin_config(std_pki, token_path))


def token(token_path) -> str:
    return token_path.read_text().strip()


def get(gw, token_path, path, method="GET"):
    return admin_request(gw.ports[1], path, token=token(token_path), method=method)


def test_every_endpoint_needs_the_token(gw, token_path):
    for path in ("/", "/metrics", "/status", "/routes", "/certificates", "/clients"):
        r = admin_request(gw.ports[1], path)
        assert r.status == 401, path
        assert r.headers["www-authenticate"].startswith("Bearer")
        t = token(token_path)
        wrong = t[:-1] + ("1" if t[-1] == "0" else "0")
        assert admin_request(gw.ports[1], path, token=wrong).status == 401, path
    assert admin_request(gw.ports[1], "/reload", method="POST").status == 401


def test_status(gw, token_path):
    r = get(gw, token_path, "/status")
    assert r.status == 200 and r.headers["content-type"] == "application/json"
    s = r.json()
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", s["version"])
    assert s["config_generation"] == 1
    assert s["config_source"] == str(gw.config_path)
    assert s["workers"] == 2
    assert s["uptime_seconds"] >= 0
    assert s["open_connections"] >= 0


def test_routes(gw, token_path):
    routes = get(gw, token_path, "/routes").json()["routes"]
    assert [(r["from"], r["to"], r["mtls"]) for r in routes] == [
        ("https://app.test", "echo://", "required"), ("https://public.test", "echo://", "off")]
    assert routes[0]["policy_rules"] == 1


def test_certificates(gw, std_pki, token_path):
    certs = get(gw, token_path, "/certificates").json()["certificates"]
    by_kind = {}
    for c in certs:
        by_kind.setdefault(c["kind"], []).append(c)
    assert len(by_kind["server"]) == 1 and "server" in by_kind["server"][0]["subject"], by_kind
    assert len(by_kind["client_ca"]) == 2, by_kind  # global-ca.pem: ca1 and ca3
    for c in certs:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", c["not_after"])
        assert isinstance(c["days_left"], int)
    assert by_kind["server"][0]["used_by"] == f"listener 127.0.0.1:{gw.port}"


def test_clients_is_empty_until_the_inventory_exists(gw, token_path):
    assert get(gw, token_path, "/clients").json()["clients"] == []
    assert get(gw, token_path, "/clients?expiring_within=30d").json()["clients"] == []
    assert get(gw, token_path, "/clients?expiring_within=soon").status == 400


def test_unknown_endpoint_and_wrong_method(gw, token_path):
    assert get(gw, token_path, "/nope").status == 404
    assert get(gw, token_path, "/reload").status == 405
    assert get(gw, token_path, "/status", method="POST").status == 405


def test_reload(gateway_factory, std_pki, token_path):
    gw = gateway_factory(admin_config(std_pki, token_path))
    r = get(gw, token_path, "/reload", method="POST")
    assert r.status == 200 and r.json() == {"ok": True, "config_generation": 2}
    good = gw.config_path.read_text()
    gw.config_path.write_text(good + "no_such_key: 1\n")
    r = get(gw, token_path, "/reload", method="POST")
    assert r.status == 422
    body = r.json()
    assert body["ok"] is False and body["config_generation"] == 2
    line = len(good.splitlines()) + 1
    assert body["error"].startswith(f"{gw.config_path}:{line}:"), body
    gw.config_path.write_text(good)
    assert get(gw, token_path, "/status").json()["config_generation"] == 2  # the previous config kept serving
    metrics = get(gw, token_path, "/metrics").text
    assert 'certgate_config_reloads_total{result="success"} 1' in metrics
    assert 'certgate_config_reloads_total{result="failure"} 1' in metrics
    assert "certgate_config_generation 2" in metrics


def wait_for_generation(gw, token_value, generation, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = admin_request(gw.ports[1], "/status", token=token_value)
        if r.status == 200 and r.json()["config_generation"] >= generation:
            return
        time.sleep(0.1)
    raise AssertionError(f"config generation {generation} not reached within {timeout} s")


def test_token_file_change_reloads_and_the_address_needs_a_restart(gateway_factory, std_pki):
    path = std_pki.dir / "rotating.token"
    old = new_token(path)
    gw = gateway_factory(admin_config(std_pki, None, token_file=path.name))
    assert admin_request(gw.ports[1], "/status", token=old).status == 200

    # The token file is watched like every file the config names: a new token replaces the old one.
    new = new_token(path)
    deadline = time.monotonic() + 10
    while admin_request(gw.ports[1], "/status", token=new).status != 200:
        assert time.monotonic() < deadline, "the new token was not accepted within 10 s"
        time.sleep(0.1)
    assert admin_request(gw.ports[1], "/status", token=old).status == 401
    wait_for_generation(gw, new, 2)

    # A token that is too short is a failed reload: the running token keeps working.
    path.write_text("short\n")
    deadline = time.monotonic() + 10
    while not re.search(r"reload rejected.*16 characters", gw.stderr_text()):
        assert time.monotonic() < deadline, gw.stderr_text()[-2000:]
        time.sleep(0.1)
    assert admin_request(gw.ports[1], "/status", token=new).status == 200

    # Moving the admin listener is refused like moving a gateway listener.
    path.write_text(new + "\n")
    wait_for_generation(gw, new, 3)
    good = gw.config_path.read_text()
    gw.config_path.write_text(good.replace(f"127.0.0.1:{gw.ports[1]}", "127.0.0.1:1"))
    r = admin_request(gw.ports[1], "/reload", token=new, method="POST")
    assert r.status == 422 and "admin listener's address changed; that needs a restart" in r.json()["error"]
    gw.config_path.write_text(good)
    assert admin_request(gw.ports[1], "/status", token=new).status == 200


def test_admin_block_errors(certgate_bin, std_pki, token_path):
    short = std_pki.dir / "short.token"
    short.write_text("abc\n")
    cases = [
        ({"address": "127.0.0.1:1"}, "admin needs token_file, client_ca_file or both"),
        ({"address": "nowhere", "token_file": token_path.name}, "admin.address must be host:port"),
        ({"address": "127.0.0.1:1", "client_ca_file": "ca2.pem"}, "needs cert_file and key_file"),
        ({"address": "127.0.0.1:1", "token_file": short.name}, "at least 16 characters"),
        ({"address": "127.0.0.1:1", "token_file": token_path.name, "port": 1}, "port"),
    ]
    for admin, message in cases:
        cfg = gateway_config(std_pki, [route("https://app.test", "echo://")])
        cfg["admin"] = admin
        path = write_config(std_pki.dir, cfg, name="admin-bad.yaml")
        rc, out, err = validate_config(certgate_bin, path)
        assert rc == 1, (admin, out, err)
        assert re.search(rf"{re.escape(str(path))}:\d+: ", err) and message in err, (admin, err)


def tls_admin_config(std, token_path, with_token: bool):
    admin = {"client_ca_file": rel(std, std.ca2.cert_path), **{f: v for f, v in cert_entry(std, std.server).items()}}
    return admin_config(std, token_path if with_token else None, **admin)


def admin_curl(gw, std, path, cert=None, token_value=None):
    headers = [("Authorization", f"Bearer {token_value}")] if token_value else []
    return curl("localhost", gw.ports[1], path, cacert=std.server_ca.cert_path, cert=cert and cert.cert_path,
                key=cert and cert.key_path, headers=headers)


def test_admin_client_certificate(gateway_factory, std_pki):
    gw = gateway_factory(tls_admin_config(std_pki, None, with_token=False))
    assert admin_curl(gw, std_pki, "/status", cert=std_pki.carol).status == 200  # issued by ca2, the admin CA
    assert admin_curl(gw, std_pki, "/status").status == 401
    assert admin_curl(gw, std_pki, "/status", cert=std_pki.alice).status == 401  # ca1: not the admin CA
    assert admin_curl(gw, std_pki, "/status", cert=std_pki.untrusted).status == 401


def test_token_and_client_certificate_both_needed_when_both_set(gateway_factory, std_pki, token_path):
    gw = gateway_factory(tls_admin_config(std_pki, token_path, with_token=True))
    t = token(token_path)
    assert admin_curl(gw, std_pki, "/status", cert=std_pki.carol, token_value=t).status == 200
    assert admin_curl(gw, std_pki, "/status", cert=std_pki.carol).status == 401
    assert admin_curl(gw, std_pki, "/status", token_value=t).status == 401


def test_status_page_in_chromium(gw, std_pki, token_path, evil, tmp_path):
    ca = std_pki.server_ca.cert_path
    assert curl("app.test", gw.port, "/", cacert=ca).status == 401  # no certificate
    assert curl("app.test", gw.port, "/", cacert=ca, cert=evil.cert_path, key=evil.key_path).status == 403
    assert curl("app.test", gw.port, "/", cacert=ca, cert=std_pki.alice.cert_path,
                key=std_pki.alice.key_path).status == 200
    with BearerProxy(gw.ports[1], token(token_path)) as proxy:
        url = f"http://127.0.0.1:{proxy.port}/"
        shot = screenshot(url, tmp_path / "chromium", tmp_path / "status-page.png")
        dom = render(url, tmp_path / "chromium")
    print(f"screenshot of the status page: {shot}")
    assert "<title>certgate status</title>" in dom
    for section in ("status", "routes", "certificates", "refusals", "clients"):
        assert f'<section id="{section}">' in dom, section
    assert dom.count('<tr class="route">') == 2
    assert re.search(r'<tr class="certificate (ok|warn|crit|expired)" data-days-left="-?\d+">', dom)
    reasons = re.findall(r'<code class="reason">([a-z_]+)</code>', dom)
    assert reasons[:2] == ["policy_denied", "no_certificate"], reasons  # newest first
    # The subject is text, never markup: no script element, the escaped text is there (RFC 2253 adds its
    # own backslashes before < and >).
    assert "<script" not in dom
    assert "CN=\\&lt;script\\&gt;alert(1)\\&lt;/script\\&gt;\\&lt;b\\&gt;x\\&lt;/b\\&gt;" in dom
    assert '<tr class="client">' in dom  # the inventory: certificates the requests above used
