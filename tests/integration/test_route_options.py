"""Per-route upstream options: set_request_headers, preserve_host_header (Pomerium's name), timeout (the
whole exchange with the upstream) and idle_timeout.

One gateway for the module, every route mtls off, all to the recording upstream:
  app.test     set_request_headers {X-Env: prod, X-Team: core}
  keep.test    preserve_host_header: true
  slow.test    timeout: 1s
  base.test    idle_timeout: 1s (replaces upstream_response's per-read wait too)
"""

from __future__ import annotations

import time

import pytest

from harness.checks import hvals, token, upstream_headers
from harness.clients import curl
from harness.configs import gateway_config, route
from harness.gateway import free_port, validate_config, write_config
from harness.yamlgen import line_of


def _route(frm, up, **extra):
    r = route(frm, up, mtls={"mode": "off"})
    r.update(extra)
    return r


@pytest.fixture(scope="module")
def gw(module_gateway, std_pki, upstream):
    up = upstream.url
    routes = [
        _route("https://app.test", up, set_request_headers={"X-Env": "prod", "X-Team": "core"}),
        _route("https://keep.test", up, preserve_host_header=True),
        _route("https://slow.test", up, timeout="1s"),
        _route("https://base.test", up, idle_timeout="1s"),
    ]
    return module_gateway(gateway_config(std_pki, routes))


def _get(gw, std, host, path, headers=()):
    return curl(host, gw.port, path, cacert=std.server_ca.cert_path, headers=headers)


def test_set_request_headers_replace_client_copies(gw, std_pki):
    r = _get(gw, std_pki, "app.test", f"/{token()}", headers=["X-Env: dev"])
    assert r.status == 200, r
    hs = upstream_headers(r)
    assert hvals(hs, "X-Env") == ["prod"]
    assert hvals(hs, "X-Team") == ["core"]


def test_preserve_host_header_keeps_the_client_host(gw, std_pki):
    r = _get(gw, std_pki, "keep.test", f"/{token()}")
    assert hvals(upstream_headers(r), "Host") == [f"keep.test:{gw.port}"]


def test_route_timeout_bounds_the_upstream_wait(gw, std_pki):
    t = token()
    started = time.monotonic()
    r = _get(gw, std_pki, "slow.test", f"/slow?ms=5000&t={t}")
    waited = time.monotonic() - started
    assert r.status == 504, r
    assert waited < 4.5, waited
    e = gw.wait_for_log(lambda e: t in str(e.get("path")))
    assert e["reason"] == "upstream_timeout"
    assert _get(gw, std_pki, "slow.test", "/slow?ms=10").status == 200


def test_route_idle_timeout_replaces_the_per_read_wait(gw, std_pki):
    started = time.monotonic()
    r = _get(gw, std_pki, "base.test", "/slow?ms=5000")
    assert r.status == 504, r
    assert time.monotonic() - started < 4.5


@pytest.mark.parametrize("extra,needle", [
    ({"set_request_headers": {"X-Client-Cert-Verify": "SUCCESS"}}, "X-Client-Cert-Verify"),
    ({"set_request_headers": {"X-Forwarded-For": "1.2.3.4"}}, "X-Forwarded-For"),
    ({"set_request_headers": {"Bad Name": "x"}}, "Bad Name"),
    ({"preserve_host": True, "preserve_host_header": True}, "preserve_host_header"),
    ({"timeout": "0s"}, "timeout"),
])
def test_bad_route_options_are_refused_with_file_line(certgate_bin, std_pki, upstream, extra, needle):
    cfg = gateway_config(std_pki, [_route("https://app.test", upstream.url, **extra)])
    path = write_config(std_pki.dir, cfg, name=f"bad-route-{token()}.yaml", ports=[free_port()])
    code, _, err = validate_config(certgate_bin, path)
    assert code == 1, err
    assert f"{path}:{line_of(path.read_text(), needle)}:" in err, (err, path.read_text())
