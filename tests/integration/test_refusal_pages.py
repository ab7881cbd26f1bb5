"""Refusal pages, `responses:` and X-Request-Id (issue 16), against a real certgate.

Gateway `gw` (no trusted proxies), `responses.no_certificate.status: 495` at the top level:
  app.test     mtls required
  req.test     mtls required, its own `responses.invalid_certificate.status: 495`
  public.test  mtls off
Gateway `gw_trusted`: the same with `trusted_proxies: [127.0.0.1]` (every test client is then a proxy).

The browser test renders the 495 page in headless Chromium (Debian's `chromium`) and reads its DOM.
"""

from __future__ import annotations

import re

import pytest

from harness.browser import render, screenshot
from harness.clients import curl
from harness.configs import gateway_config, route

HEX_ID = re.compile(r"^[0-9a-f]{32}$")
JSON = ("Accept", "application/json")
BROWSER_ACCEPT = ("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
LOG_WAIT = 15.0  # access log lines are flushed by the worker's loop; wide margin for a loaded ASan box


def _config(std, up, **extra):
    req = route("https://req.test", up.url)
    req["responses"] = {"invalid_certificate": {"status": 495}}
    cfg = gateway_config(std, [route("https://app.test", up.url), req,
                               route("https://public.test", up.url, mtls={"mode": "off"})])
    cfg["responses"] = {"no_certificate": {"status": 495}}
    cfg.update(extra)
    return cfg


@pytest.fixture(scope="module")
def gw(module_gateway, std_pki, upstream):
    return module_gateway(_config(std_pki, upstream))


@pytest.fixture(scope="module")
def gw_trusted(module_gateway, std_pki, upstream):
    return module_gateway(_config(std_pki, upstream, trusted_proxies=["127.0.0.1"]))


def get(gw, std, host, path, headers=(), cert=None):
    kw = {"cert": cert.cert_path, "key": cert.key_path} if cert else {}
    return curl(host, gw.port, path, cacert=std.server_ca.cert_path, headers=list(headers), **kw)


def log_entry(gw, path):
    return gw.wait_for_log(lambda e: e["path"] == path, timeout=LOG_WAIT)


def test_no_certificate_answers_the_configured_495_as_json(gw, std_pki):
    r = get(gw, std_pki, "app.test", "/json-495", [JSON])
    assert r.status == 495, r
    assert r.media_type == "application/json"
    request_id = r.header("X-Request-Id")
    assert request_id and HEX_ID.match(request_id), r
    assert r.json() == {"message": "No required TLS certificate was sent", "request_id": request_id}
    entry = log_entry(gw, "/json-495")
    assert (entry["status"], entry["reason"], entry["request_id"]) == (495, "no_certificate", request_id)
    # The error log's denial line names the same request.
    assert re.search(rf"denied .* reason=no_certificate .* request_id={request_id}\n", gw.stderr_text())


def test_json_stays_the_default_without_accept(gw, std_pki):
    r = get(gw, std_pki, "app.test", "/no-accept")
    assert r.status == 495 and r.media_type == "application/json", r
    assert r.json()["request_id"] == r.header("X-Request-Id")


def test_browsers_get_an_html_page_without_the_reason(gw, std_pki):
    r = get(gw, std_pki, "app.test", "/html-495", [BROWSER_ACCEPT])
    assert r.status == 495 and r.media_type == "text/html", r
    request_id = r.header("X-Request-Id")
    assert f'id="request-id">{request_id}</span>' in r.text
    assert "Install the certificate your organisation gave you" in r.text
    assert "<script" not in r.text and "no_certificate" not in r.text


def test_other_refusals_keep_their_status_unless_configured(gw, std_pki):
    # app.test: invalid_certificate is not configured (401); req.test configures it (495) and inherits
    # no_certificate from the top level.
    r = get(gw, std_pki, "app.test", "/untrusted", [JSON], cert=std_pki.untrusted)
    assert r.status == 401, r
    r = get(gw, std_pki, "req.test", "/untrusted", [JSON], cert=std_pki.untrusted)
    assert r.status == 495, r
    assert r.json()["message"] == "TLS certificate failed verification"
    assert get(gw, std_pki, "req.test", "/none", [JSON]).status == 495
    assert get(gw, std_pki, "app.test", "/valid", cert=std_pki.alice).status == 200


def test_a_generated_id_replaces_an_untrusted_clients_and_reaches_the_upstream(gw, std_pki, upstream):
    r = get(gw, std_pki, "public.test", "/untrusted-id", [("X-Request-Id", "client-chosen-id")])
    assert r.status == 200, r
    seen = upstream.wait_for(lambda q: q.path == "/untrusted-id", timeout=LOG_WAIT).header_values("X-Request-Id")
    assert len(seen) == 1 and HEX_ID.match(seen[0]), seen
    assert log_entry(gw, "/untrusted-id")["request_id"] == seen[0]


def test_every_request_gets_its_own_id(gw, std_pki):
    for i in range(3):
        get(gw, std_pki, "public.test", f"/distinct-{i}")
    ids = {log_entry(gw, f"/distinct-{i}")["request_id"] for i in range(3)}
    assert len(ids) == 3 and all(HEX_ID.match(i) for i in ids), ids


def test_a_trusted_proxys_id_is_kept(gw_trusted, std_pki, upstream):
    r = get(gw_trusted, std_pki, "public.test", "/trusted-id", [("X-Request-Id", "lb-7f3a:42")])
    assert r.status == 200, r
    seen = upstream.wait_for(lambda q: q.path == "/trusted-id", timeout=LOG_WAIT).header_values("X-Request-Id")
    assert seen == ["lb-7f3a:42"]
    assert log_entry(gw_trusted, "/trusted-id")["request_id"] == "lb-7f3a:42"
    # On a refusal the proxy's id comes back too.
    r = get(gw_trusted, std_pki, "app.test", "/trusted-refused", [JSON, ("X-Request-Id", "lb-7f3a:43")])
    assert (r.status, r.header("X-Request-Id"), r.json()["request_id"]) == (495, "lb-7f3a:43", "lb-7f3a:43")


def test_an_unacceptable_id_from_a_trusted_proxy_is_replaced(gw_trusted, std_pki, upstream):
    get(gw_trusted, std_pki, "public.test", "/long-id", [("X-Request-Id", "a" * 129)])
    seen = upstream.wait_for(lambda q: q.path == "/long-id", timeout=LOG_WAIT).header_values("X-Request-Id")
    assert len(seen) == 1 and HEX_ID.match(seen[0]), seen


def test_chromium_renders_the_495_page(gw, tmp_path):
    profile = tmp_path / "chromium-profile"
    # The page is what is tested, not the server certificate: the test CA is not in Chromium's store.
    flags = ("--ignore-certificate-errors", "--host-resolver-rules=MAP app.test 127.0.0.1")
    url = f"https://app.test:{gw.port}/browser-page"
    dom = render(url, profile, flags=(*flags, "--window-size=412,915", "--virtual-time-budget=5000"))
    entry = log_entry(gw, "/browser-page")
    assert entry["status"] == 495 and entry["reason"] == "no_certificate", entry
    assert f'id="request-id">{entry["request_id"]}</span>' in dom, dom[:3000]
    assert "A certificate is needed" in dom
    assert "Install the certificate your organisation gave you" in dom
    assert "restart the browser" in dom
    assert "495 SSL Certificate Error" in dom

    shot = screenshot(url + "?shot", profile, tmp_path / "refusal-495.png", flags=flags)
    print(f"screenshot of the 495 page: {shot}")
