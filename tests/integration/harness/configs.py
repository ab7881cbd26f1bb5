"""Builders for certgate config dicts (emitted with harness.yamlgen).

Paths are written relative to the PKI directory, and configs are written into that directory, so every
test config exercises "relative paths are relative to the config file's directory".
"""

from __future__ import annotations

from typing import Optional, Sequence

from .pki import Cert, StandardPKI

# Every host name a test module uses; the standard server certificate covers all of them.
TEST_HOSTS = [
    "app.test", "req.test", "deep.test", "opt.test", "public.test", "mixed.test", "nohost.test",
    "noid.test", "echo.test", "keep.test", "off-echo.test", "opt-echo.test", "proxy.test", "down.test",
    "base.test", "baseapi.test", "slow.test", "tls.test",
]


def rel(std: StandardPKI, path) -> str:
    """A path relative to the PKI (= config) directory."""
    return str(path.relative_to(std.dir))


def cert_entry(std: StandardPKI, cert: Cert) -> dict:
    return {"cert_file": rel(std, cert.cert_path), "key_file": rel(std, cert.key_path)}


def listener(std: StandardPKI, certs: Optional[Sequence[Cert]] = None, *, address: str = "127.0.0.1:${PORT}",
             default_host: Optional[str] = None) -> dict:
    d = {
        "address": address,
        "protocol": "https",
        "certificates": [cert_entry(std, c) for c in (certs or [std.server])],
    }
    if default_host:
        d["default_host"] = default_host
    return d


def route(frm: str, to: str, *, mtls: Optional[dict] = None, headers: Optional[dict] = None,
          preserve_host: Optional[bool] = None) -> dict:
    r: dict = {"from": frm, "to": to}
    if preserve_host is not None:
        r["preserve_host"] = preserve_host
    if mtls is not None:
        r["mtls"] = mtls
    if headers is not None:
        r["headers"] = headers
    return r


def gateway_config(std: StandardPKI, routes: list, *, listeners: Optional[list] = None,
                   client_ca_file: Optional[str] = "global-ca.pem", mtls: Optional[dict] = None,
                   timeouts: Optional[dict] = None, limits: Optional[dict] = None, workers: int = 2,
                   access_log: str = "stdout", log_level: str = "info") -> dict:
    cfg: dict = {
        "workers": workers,
        "access_log": access_log,
        "log_level": log_level,
        "listeners": listeners or [listener(std)],
    }
    if client_ca_file:
        cfg["client_ca_file"] = client_ca_file
    cfg["mtls"] = mtls if mtls is not None else {"mode": "required", "max_verify_depth": 1}
    if timeouts:
        cfg["timeouts"] = timeouts
    if limits:
        cfg["limits"] = limits
    cfg["routes"] = routes
    return cfg
