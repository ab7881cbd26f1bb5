"""X-Certgate-Jwt-Assertion: verified with Debian's python3-jwt against the JWKS fetched over HTTPS from
certgate itself; the claims, the RFC 8705 certificate binding (cnf.x5t#S256), the RFC 7638 kid, key
rotation on reload (the old key stays published for one rotation), and the JWKS endpoint on every host
without a client certificate.
"""

from __future__ import annotations

import base64
import hashlib
import json
import signal
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from harness.checks import hvals, token, upstream_headers
from harness.clients import TLSClient, curl
from harness.configs import TEST_HOSTS, gateway_config, route
from harness.pki import StandardPKI

JWKS_PATH = "/.well-known/certgate/jwks.json"
ALICE_ID = "6f1c2e0a-3b7d-4c41-9a55-0d3e8f7b1a2c"
HEADER = "X-Certgate-Jwt-Assertion"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def write_key(path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))


def fetch_jwks(gw, std, host="req.test", cert=None, method=None):
    """The JWKS over HTTPS (no client certificate unless given)."""
    c = std[cert] if cert else None
    r = curl(host, gw.port, JWKS_PATH, cacert=std.server_ca.cert_path, cert=c.cert_path if c else None,
             key=c.key_path if c else None, method=method)
    return r


def jwks_of(gw, std, **kw) -> dict:
    r = fetch_jwks(gw, std, **kw)
    assert r.status == 200, r
    assert r.media_type == "application/json", r
    return r.json()


def thumbprint(jwk: dict) -> str:
    canonical = json.dumps({k: jwk[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"), sort_keys=True)
    return b64url(hashlib.sha256(canonical.encode()).digest())


def verify(token_value: str, jwks: dict, *, audience: str, issuer: str) -> dict:
    """Verify like an upstream would: the key by kid from the JWKS, ES256 only, aud and iss checked."""
    kid = jwt.get_unverified_header(token_value)["kid"]
    keys = {k.key_id: k for k in jwt.PyJWKSet.from_dict(jwks).keys}
    assert kid in keys, f"kid {kid} not in the JWKS {list(keys)}"
    return jwt.decode(token_value, keys[kid].key, algorithms=["ES256"], audience=audience, issuer=issuer,
                      options={"require": ["iss", "aud", "sub", "iat", "exp", "jti", "cnf"]})


def assertion_of(gw, std, path="/t/", cert="alice", host="req.test"):
    c = std[cert]
    r = curl(host, gw.port, f"{path}{token()}", cacert=std.server_ca.cert_path, cert=c.cert_path, key=c.key_path)
    assert r.status == 200, r
    values = hvals(upstream_headers(r), HEADER)
    assert len(values) == 1, upstream_headers(r)
    return values[0]


@pytest.fixture(scope="module")
def std_pki(tmp_path_factory) -> StandardPKI:
    """The standard PKI, its server certificate also covering *.wild.test (a wildcard route)."""
    return StandardPKI(tmp_path_factory.mktemp("pki"), TEST_HOSTS + ["*.wild.test"])


@pytest.fixture(scope="module")
def key_file(std_pki):
    p = std_pki.dir / "jwt-signing.pem"
    write_key(p)
    return p


@pytest.fixture(scope="module")
def gw(module_gateway, std_pki, upstream, key_file):
    up = upstream.url
    cfg = gateway_config(std_pki, [
        route("https://req.test", up, headers={"jwt_assertion": True}),
        route("https://req.test/short", up, headers={"jwt_assertion": True, "jwt_ttl": "1m"}),
        route("https://req.test/plain", up),
        route("https://opt.test", up, mtls={"mode": "optional"}, headers={"jwt_assertion": True}),
        route("https://app.test", up, headers={"jwt_assertion": True}),
        route("https://*.wild.test", up, headers={"jwt_assertion": True}),
    ])
    ident = route("https://keep.test", up, headers={"jwt_assertion": True})
    ident["identity"] = {"certificate_attribute": "common_name", "consumer_attribute": "username",
                         "default_consumer": "unknown-but-valid"}
    cfg["routes"].append(ident)
    cfg["consumers"] = [{"username": "alice", "id": ALICE_ID, "email": "alice@corp.example",
                         "groups": ["admins", "ops"]},
                        {"username": "bob", "email": "bob@corp.example"},
                        {"username": "unknown-but-valid"}]
    cfg["jwt"] = {"signing_key_file": key_file.name}
    return module_gateway(cfg)


# --- the JWKS endpoint ------------------------------------------------------------------------------------

def test_jwks_is_public_on_every_host(gw, std_pki):
    first = jwks_of(gw, std_pki)  # req.test requires a client certificate for everything else
    assert [set(k) for k in first["keys"]] == [{"kty", "crv", "x", "y", "kid", "use", "alg"}]
    k = first["keys"][0]
    assert (k["kty"], k["crv"], k["alg"], k["use"]) == ("EC", "P-256", "ES256", "sig")
    assert "d" not in k
    assert k["kid"] == thumbprint(k)  # RFC 7638
    for host in ("opt.test", "app.test", "public.test", "nohost.test"):  # nohost.test: no route at all
        assert jwks_of(gw, std_pki, host=host) == first, host
    assert jwks_of(gw, std_pki, cert="alice") == first
    with TLSClient(gw.port, "req.test", cacert=std_pki.server_ca.cert_path) as cl:
        head = cl.request("HEAD", JWKS_PATH)
        assert head.status == 200 and head.body == b"", head
        assert int(head.header("content-length")) == len(json.dumps(first, separators=(",", ":")))
        assert cl.get(JWKS_PATH).json() == first  # the connection stays usable after HEAD
        assert cl.connect_count == 1
    post = fetch_jwks(gw, std_pki, method="POST")
    assert post.status == 405 and post.header("allow") == "GET, HEAD", post


def test_jwks_public_key_is_the_configured_one(gw, std_pki, key_file):
    pub = serialization.load_pem_private_key(key_file.read_bytes(), None).public_key().public_numbers()
    k = jwks_of(gw, std_pki)["keys"][0]
    assert k["x"] == b64url(pub.x.to_bytes(32, "big")) and k["y"] == b64url(pub.y.to_bytes(32, "big"))


# --- the assertion ----------------------------------------------------------------------------------------

def test_assertion_verifies_and_carries_the_claims(gw, std_pki):
    alice = std_pki.alice
    jwks = jwks_of(gw, std_pki)
    before = int(time.time())
    t = assertion_of(gw, std_pki)
    assert jwt.get_unverified_header(t) == {"alg": "ES256", "typ": "JWT", "kid": jwks["keys"][0]["kid"]}
    claims = verify(t, jwks, audience="req.test", issuer=f"https://req.test:{gw.port}")
    assert claims["sub"] == alice.subject_rfc2253
    assert claims["email"] == "alice@example.com"
    assert claims["groups"] == []
    assert claims["exp"] - claims["iat"] == 300  # default 5 minutes
    assert before - 1 <= claims["iat"] <= int(time.time()) + 1
    assert len(claims["jti"]) >= 16
    # RFC 8705: the token is bound to the client certificate
    assert claims["cnf"] == {"x5t#S256": b64url(hashlib.sha256(alice.der()).digest())}


def test_assertion_for_another_certificate_and_ttl(gw, std_pki):
    jwks = jwks_of(gw, std_pki)
    claims = verify(assertion_of(gw, std_pki, "/short/", "bob"), jwks, audience="req.test",
                    issuer=f"https://req.test:{gw.port}")
    assert claims["sub"] == std_pki.bob.subject_rfc2253
    assert "email" not in claims  # bob's certificate has none
    assert claims["exp"] - claims["iat"] == 60
    assert claims["cnf"]["x5t#S256"] == b64url(hashlib.sha256(std_pki.bob.der()).digest())


def test_assertion_audience_is_the_route_host(gw, std_pki):
    t = assertion_of(gw, std_pki, host="app.test")
    verify(t, jwks_of(gw, std_pki), audience="app.test", issuer=f"https://app.test:{gw.port}")
    with pytest.raises(jwt.InvalidAudienceError):
        verify(t, jwks_of(gw, std_pki), audience="req.test", issuer=f"https://app.test:{gw.port}")


def test_consumer_is_the_subject_with_its_groups(gw, std_pki):
    jwks = jwks_of(gw, std_pki)
    iss = f"https://keep.test:{gw.port}"
    alice = verify(assertion_of(gw, std_pki, host="keep.test"), jwks, audience="keep.test", issuer=iss)
    assert alice["sub"] == ALICE_ID
    assert alice["groups"] == ["admins", "ops"]
    assert alice["email"] == "alice@example.com"  # the certificate's, which the upstream can check
    bob = verify(assertion_of(gw, std_pki, cert="bob", host="keep.test"), jwks, audience="keep.test", issuer=iss)
    assert bob["sub"] != ALICE_ID and len(bob["sub"]) == 36  # bob's derived UUID
    assert bob["email"] == "bob@corp.example"  # the certificate has none: the consumer's
    assert bob["groups"] == []
    other = verify(assertion_of(gw, std_pki, cert="rsa_client", host="keep.test"), jwks, audience="keep.test",
                   issuer=iss)
    assert other["sub"] not in (ALICE_ID, bob["sub"])  # the default consumer


def test_wildcard_route_names_the_request_host(gw, std_pki):
    t = assertion_of(gw, std_pki, host="api.wild.test")
    claims = verify(t, jwks_of(gw, std_pki, host="api.wild.test"), audience="api.wild.test",
                    issuer=f"https://api.wild.test:{gw.port}")
    assert claims["sub"] == std_pki.alice.subject_rfc2253


def test_tampered_assertion_does_not_verify(gw, std_pki):
    t = assertion_of(gw, std_pki)
    head, payload, sig = t.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "CN=mallory"
    forged = ".".join([head, b64url(json.dumps(claims).encode()), sig])
    with pytest.raises(jwt.InvalidSignatureError):
        verify(forged, jwks_of(gw, std_pki), audience="req.test", issuer=f"https://req.test:{gw.port}")


def test_no_assertion_without_a_verified_certificate_or_when_off(gw, std_pki):
    for cert in (None, "expired"):
        c = std_pki[cert] if cert else None
        r = curl("opt.test", gw.port, f"/{token()}", cacert=std_pki.server_ca.cert_path,
                 cert=c.cert_path if c else None, key=c.key_path if c else None, headers=[(HEADER, "spoofed")])
        assert r.status == 200, r
        assert hvals(upstream_headers(r), HEADER) == [], cert
    c = std_pki.alice
    r = curl("req.test", gw.port, f"/plain/{token()}", cacert=std_pki.server_ca.cert_path, cert=c.cert_path,
             key=c.key_path, headers=[(HEADER, "spoofed"), (HEADER.lower(), "spoofed2")])
    assert hvals(upstream_headers(r), HEADER) == []


def test_keep_alive_connection_reuses_its_token(gw, std_pki):
    c = std_pki.alice
    with TLSClient(gw.port, "req.test", cacert=std_pki.server_ca.cert_path, cert=c.cert_path, key=c.key_path) as cl:
        tokens = [hvals(upstream_headers(cl.get(f"/t/{token()}", headers=[(HEADER, "spoofed")])), HEADER)
                  for _ in range(3)]
        assert cl.connect_count == 1
    assert all(len(t) == 1 for t in tokens) and tokens[0] == tokens[1] == tokens[2]
    assert assertion_of(gw, std_pki) != tokens[0][0]  # another connection signs its own (new jti)


# --- rotation ---------------------------------------------------------------------------------------------

def _reload(g):
    before = g.stderr_text().count("reload done")
    g.signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while g.stderr_text().count("reload done") == before:
        assert time.monotonic() < deadline, g.stderr_text()[-2000:]
        time.sleep(0.05)


def test_rotation_keeps_the_old_key_published_for_one_rotation(gateway_factory, std_pki, upstream, tmp_path):
    key = std_pki.dir / f"rotating-{token()}.pem"
    write_key(key)
    cfg = gateway_config(std_pki, [route("https://req.test", upstream.url, headers={"jwt_assertion": True})])
    cfg["jwt"] = {"signing_key_file": key.name, "issuer": "https://gateway.example"}
    g = gateway_factory(cfg)
    iss = "https://gateway.example"
    kid_a = jwks_of(g, std_pki)["keys"][0]["kid"]
    token_a = assertion_of(g, std_pki)

    _reload(g)  # same file: nothing rotates
    assert [k["kid"] for k in jwks_of(g, std_pki)["keys"]] == [kid_a]

    write_key(key)
    _reload(g)
    jwks = jwks_of(g, std_pki)
    kid_b = jwks["keys"][0]["kid"]
    assert kid_b != kid_a
    assert [k["kid"] for k in jwks["keys"]] == [kid_b, kid_a]
    verify(token_a, jwks, audience="req.test", issuer=iss)  # signed before the rotation, still verifies
    token_b = assertion_of(g, std_pki)
    assert jwt.get_unverified_header(token_b)["kid"] == kid_b
    verify(token_b, jwks, audience="req.test", issuer=iss)

    write_key(key)
    _reload(g)
    jwks = jwks_of(g, std_pki)
    assert [k["kid"] for k in jwks["keys"]][1:] == [kid_b]  # a is gone after the second rotation
    with pytest.raises(AssertionError):
        verify(token_a, jwks, audience="req.test", issuer=iss)


def test_bad_key_file_on_reload_keeps_the_old_key(gateway_factory, std_pki, upstream):
    key = std_pki.dir / f"bad-reload-{token()}.pem"
    write_key(key)
    cfg = gateway_config(std_pki, [route("https://req.test", upstream.url, headers={"jwt_assertion": True})])
    cfg["jwt"] = {"signing_key_file": key.name}
    g = gateway_factory(cfg)
    before = jwks_of(g, std_pki)
    key.write_text("not a key")
    g.signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while "reload rejected" not in g.stderr_text():
        assert time.monotonic() < deadline, g.stderr_text()[-2000:]
        time.sleep(0.05)
    assert "jwt.signing_key_file" in g.stderr_text()
    assert jwks_of(g, std_pki) == before
    verify(assertion_of(g, std_pki), before, audience="req.test", issuer=f"https://req.test:{g.port}")


def test_generated_key_without_jwt_block(gateway_factory, std_pki, upstream):
    g = gateway_factory(gateway_config(std_pki, [route("https://req.test", upstream.url,
                                                       headers={"jwt_assertion": True})]))
    jwks = jwks_of(g, std_pki)
    assert len(jwks["keys"]) == 1
    verify(assertion_of(g, std_pki), jwks, audience="req.test", issuer=f"https://req.test:{g.port}")
    _reload(g)
    assert jwks_of(g, std_pki) == jwks  # a generated key lives as long as the process


def test_no_jwks_endpoint_without_jwt(gateway_factory, std_pki, upstream):
    g = gateway_factory(gateway_config(std_pki, [route("https://public.test", upstream.url, mtls={"mode": "off"})]))
    r = fetch_jwks(g, std_pki, host="public.test")
    assert r.status == 200 and r.json()["path"] == JWKS_PATH, r  # the upstream answered, not the gateway
    assert fetch_jwks(g, std_pki, host="req.test").status == 404
