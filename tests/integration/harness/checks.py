"""Assertion helpers shared by the test modules."""

from __future__ import annotations

import json
import uuid
from typing import Optional

from .gateway import Gateway, client_port_of

REASON_CODES = ["untrusted_issuer", "expired", "not_yet_valid", "ca_as_leaf", "bad_purpose", "depth_exceeded",
                "no_certificate"]

MSG_NO_CERT = "No required TLS certificate was sent"
MSG_FAILED = "TLS certificate failed verification"


def token() -> str:
    """A unique path segment to correlate a request with the upstream record and the access log."""
    return uuid.uuid4().hex[:12]


def hvals(headers, name: str) -> list[str]:
    """All values of header `name` (case-insensitive) in a [(name, value)] list."""
    n = name.lower()
    return [v for k, v in headers if k.lower() == n]


def upstream_view(r) -> dict:
    """The harness upstream's JSON description of the request it received (catch-all endpoint)."""
    d = r.json()
    assert isinstance(d, dict) and "headers" in d, f"not an upstream description: {r!r}"
    return d


def upstream_headers(r) -> list[tuple[str, str]]:
    return [(k, v) for k, v in upstream_view(r)["headers"]]


def find_log(gw: Gateway, client_port: Optional[int], tok: Optional[str] = None, timeout: float = 3.0) -> dict:
    """The access log entry for the request made from `client_port` whose path contains `tok`."""
    def pred(e):
        if client_port is not None and client_port_of(e) != client_port:
            return False
        return tok is None or tok in str(e.get("path", ""))
    return gw.wait_for_log(pred, timeout)


def assert_log(e: dict, *, status: int, reason: str, verify: Optional[str] = None, route: Optional[str] = None,
               sni: Optional[str] = None, host: Optional[str] = None, port: Optional[int] = None,
               method: Optional[str] = None, path: Optional[str] = None, client_port: Optional[int] = None,
               fingerprint: Optional[str] = "__any__") -> None:
    """Check the fields every access log line must carry, and the given expected values.

    host: the expected host name; the logged value may carry the port (`host:port`) if the request did.
    fingerprint: "__any__" (not checked), None (no certificate: empty string or absent), or the hex value.
    """
    ctx = json.dumps(e)
    for f in ("time", "client", "sni", "host", "method", "path", "status", "bytes_out", "duration_ms", "verify",
              "reason"):
        assert f in e, f"access log entry lacks {f!r}: {ctx}"
    assert isinstance(e["time"], str) and e["time"], ctx
    assert isinstance(e["status"], int) and e["status"] == status, f"status {e['status']!r} != {status}: {ctx}"
    assert e["reason"] == reason, f"reason {e['reason']!r} != {reason!r}: {ctx}"
    assert isinstance(e["bytes_out"], int) and e["bytes_out"] >= 0, ctx
    assert isinstance(e["duration_ms"], (int, float)) and e["duration_ms"] >= 0, ctx
    if verify is not None:
        assert e["verify"] == verify, f"verify {e['verify']!r} != {verify!r}: {ctx}"
    if route is not None:
        assert e.get("route") == route, f"route {e.get('route')!r} != {route!r}: {ctx}"
    if sni is not None:
        assert e["sni"] == sni, ctx
    if host is not None:
        ok = {host} | ({f"{host}:{port}"} if port else set())
        assert e["host"] in ok, f"host {e['host']!r} not in {ok}: {ctx}"
    if method is not None:
        assert e["method"] == method, ctx
    if path is not None:
        assert e["path"] == path, f"path {e['path']!r} != {path!r}: {ctx}"
    if client_port is not None:
        assert e["client"] == f"127.0.0.1:{client_port}", ctx
    if fingerprint is None:
        assert e.get("cert_fingerprint") in (None, ""), ctx
    elif fingerprint != "__any__":
        assert e.get("cert_fingerprint") == fingerprint, f"cert_fingerprint != {fingerprint}: {ctx}"


def assert_json_message(r, status: int, message: Optional[str] = None, exact_body: bool = False) -> None:
    """Status, Content-Type application/json and a {"message": "...", "request_id": "..."} body, the id
    the same as the X-Request-Id response header."""
    assert r.status == status, f"status {r.status} != {status}: {r!r}"
    assert r.media_type == "application/json", f"Content-Type {r.header('content-type')!r}: {r!r}"
    body = r.json()
    assert isinstance(body, dict) and isinstance(body.get("message"), str), r
    assert body.get("request_id") and body["request_id"] == r.header("X-Request-Id"), r
    if message is not None:
        assert body == {"message": message, "request_id": body["request_id"]}, r
    if exact_body:
        expected = {"message": message, "request_id": body["request_id"]}
        assert r.body.strip() == json.dumps(expected, separators=(",", ":")).encode(), r


def assert_no_reason_leak(r, reasons=REASON_CODES) -> None:
    """Neither the body nor any response header may carry a reason code."""
    blob = (r.body.decode("utf-8", "replace") + "\n" + "\n".join(f"{k}: {v}" for k, v in r.headers)).lower()
    for code in reasons:
        assert code not in blob, f"reason code {code!r} leaked to the client: {r!r}"
