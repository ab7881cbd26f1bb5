"""Identity mapping and per-route policy through a running gateway (docs/identity-and-policy.md).

One gateway for the module; every route is a path under req.test (mtls required, trust ca1 + ca3) or
opt.test (mtls optional). Tables drive real requests with real client certificates and check the status,
the identity headers the upstream received and the access log's reason, consumer and policy_rule.
"""

from __future__ import annotations

import base64
import hashlib
import uuid

import pytest
from cryptography.hazmat.primitives import serialization

from harness.checks import MSG_FAILED, assert_json_message, find_log, hvals, token, upstream_headers
from harness.clients import TLSClient
from harness.configs import gateway_config, route

NAMESPACE = uuid.UUID("696270c7-e9cd-4c6c-bd7e-8b3ac0ad1e9b")  # docs/identity-and-policy.md
SVC_CA3_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"

IDENTITY_HEADERS = ["X-Consumer-ID", "X-Consumer-Username", "X-Consumer-Custom-ID", "X-Consumer-Groups",
                    "X-Credential-Identifier", "X-Anonymous-Consumer"]


def uid(username: str) -> str:
    return str(uuid.uuid5(NAMESPACE, username))


def spki_hash(cert) -> str:
    der = cert.cert.public_key().public_bytes(serialization.Encoding.DER,
                                              serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


@pytest.fixture(scope="module")
def certs(std_pki):
    """Client certificates beyond the standard set (all EKU clientAuth)."""
    p, s = std_pki.pki, std_pki
    return {
        "svc1": p.leaf(s.ca1, "idp-svc1", cn="svc", sans=[("DNS", "svc.example.test")]),
        "svc3": p.leaf(s.ca3, "idp-svc3", cn="svc", sans=[("DNS", "svc.example.test")]),
        "shared": p.leaf(s.ca3, "idp-shared", cn="shared-cn", sans=[("DNS", "shared.example.test")]),
        "stranger": p.leaf(s.ca1, "idp-stranger", cn="stranger"),
        # the CN is the username, so routes mapping common_name -> username find them too
        "erin": p.leaf(s.ca1, "idp-erin", cn="erin", sans=[("email", "Erin@Example.COM")]),
        "frank": p.leaf(s.ca1, "idp-frank", cn="frank", email="frank@corp.example"),  # subject email only
        "urisvc": p.leaf(s.ca3, "idp-urisvc", cn="uri-svc", sans=[("URI", "spiffe://example.test/svc-u")]),
        "ipcert": p.leaf(s.ca1, "idp-ip", cn="ipuser", sans=[("IP", "2001:db8::5")]),
    }


CONSUMERS = [
    {"username": "alice", "email": "alice@example.com", "custom_id": "emp-42", "groups": ["admins", "ops"],
     "credentials": [{"subject_name": "alice.example.test", "ca_file": "ca1.pem"}]},
    {"username": "bob", "groups": ["dev"]},
    {"username": "svc-ca1", "credentials": [{"subject_name": "svc.example.test", "ca_file": "ca1.pem"}]},
    {"username": "svc-ca3", "id": SVC_CA3_ID.upper(),
     "credentials": [{"subject_name": "svc.example.test", "ca_file": "ca3.pem"}]},
    {"username": "shared", "credentials": [{"subject_name": "shared.example.test"}]},
    {"username": "erin", "email": "erin@example.com"},
    {"username": "frank", "email": "FRANK@corp.example"},
    {"username": "uri-svc", "custom_id": "spiffe://example.test/svc-u"},
    {"username": "ipuser"},
    {"username": "guest", "groups": ["visitors"]},
    {"username": "unknown-but-valid"},
]

CN_TO_USERNAME = {"certificate_attribute": "common_name", "consumer_attribute": "username"}


def policy_cases(std, certs):
    """(route suffix, policy, [(certificate name, expected status, deciding rule index or None)])."""
    alice, bob = std.alice, std.bob
    bob_fp = ":".join(bob.fingerprint_sha256[i:i + 2] for i in range(0, 64, 2)).upper()
    return [
        ("valid", [{"allow": {"valid_certificate": True}}], [("alice", 200, 0)]),
        ("cn-is", [{"allow": {"common_name": {"is": "alice"}}}], [("alice", 200, 0), ("bob", 403, None)]),
        ("subject-is", [{"allow": {"subject": {"is": alice.subject_rfc2253}}}],
         [("alice", 200, 0), ("bob", 403, None)]),
        ("issuer-starts-with", [{"allow": {"issuer": {"starts_with": "CN=ca3 root"}}}],
         [("bob", 200, 0), ("alice", 403, None)]),
        ("email-is", [{"allow": {"email": {"is": "ALICE@example.com"}}}], [("alice", 200, 0), ("bob", 403, None)]),
        # Pomerium's documented example: allow: or: - domain: is: example.com
        ("domain-pomerium", [{"allow": {"or": [{"domain": {"is": "example.com"}}]}}],
         [("alice", 200, 0), ("erin", 200, 0), ("frank", 403, None), ("bob", 403, None)]),
        ("san-email-ends-with", [{"allow": {"san_email": {"ends_with": "@example.com"}}}],
         [("alice", 200, 0), ("frank", 403, None)]),
        ("san-dns-is", [{"allow": {"san_dns": {"is": "second.example.test"}}}],
         [("alice", 200, 0), ("bob", 403, None)]),
        ("san-uri-regex", [{"allow": {"san_uri": {"regex": r"spiffe://example\.test/[a-z-]+"}}}],
         [("alice", 200, 0), ("urisvc", 200, 0), ("bob", 403, None)]),
        ("san-ip-in", [{"allow": {"or": [{"san_ip": {"in": ["192.0.2.10"]}}, {"san_ip": {"is": "2001:DB8:0:0::5"}}]}}],
         [("alice", 200, 0), ("ipcert", 200, 0), ("bob", 403, None)]),
        ("fingerprint-is", [{"allow": {"fingerprint": {"is": bob_fp}}}], [("bob", 200, 0), ("alice", 403, None)]),
        ("spki-hash-is", [{"allow": {"spki_hash": {"is": spki_hash(alice)}}}], [("alice", 200, 0), ("bob", 403, None)]),
        ("consumer-in", [{"allow": {"consumer": {"in": ["bob", "erin"]}}}], [("bob", 200, 0), ("alice", 403, None)]),
        ("group-is", [{"allow": {"group": {"is": "ops"}}}], [("alice", 200, 0), ("bob", 403, None)]),
        ("cn-contains", [{"allow": {"common_name": {"contains": "lic"}}}], [("alice", 200, 0), ("bob", 403, None)]),
        ("cn-ends-with", [{"allow": {"common_name": {"ends_with": "ob"}}}], [("bob", 200, 0), ("alice", 403, None)]),
        ("cn-in", [{"allow": {"common_name": {"in": ["x", "bob"]}}}], [("bob", 200, 0), ("alice", 403, None)]),
        ("cn-regex-full-match", [{"allow": {"common_name": {"regex": "b.b|li"}}}],
         [("bob", 200, 0), ("alice", 403, None)]),
        ("deny-overrides-allow", [{"allow": {"valid_certificate": True}}, {"deny": {"common_name": {"is": "alice"}}}],
         [("alice", 403, 1), ("bob", 200, 0)]),
        ("not", [{"allow": {"not": [{"common_name": {"is": "alice"}}, {"group": {"is": "dev"}}]}}],
         [("alice", 403, None), ("bob", 403, None), ("erin", 200, 0)]),
        ("nor", [{"allow": {"nor": [{"common_name": {"is": "alice"}}, {"group": {"is": "admins"}}]}}],
         [("alice", 403, None), ("bob", 200, 0)]),
        ("nested", [{"deny": {"and": [{"group": {"is": "dev"}}, {"not": [{"issuer": {"contains": "ca1"}}]}]}},
                    {"allow": {"or": [{"group": {"is": "admins"}}, {"group": {"is": "dev"}}]}}],
         [("alice", 200, 1), ("bob", 403, 0), ("erin", 403, None)]),
        ("deny-only", [{"deny": {"common_name": {"is": "x"}}}], [("alice", 403, None)]),
    ]


@pytest.fixture(scope="module")
def gw(module_gateway, std_pki, upstream, certs):
    up = upstream.url
    ident = lambda **kw: {**CN_TO_USERNAME, **kw}  # noqa: E731
    routes = [
        route("https://req.test/cn", up), route("https://req.test/cnd", up),
        route("https://req.test/email", up), route("https://req.test/uri", up),
        route("https://req.test/skipcn", up), route("https://req.test/skipdn", up),
        route("https://req.test/noid", up), route("https://req.test/hdroff", up, headers={"identity": False}),
        route("https://opt.test/anon", up), route("https://opt.test/noanon", up),
        route("https://opt.test/anonpol", up), route("https://opt.test/optpol", up),
    ]
    routes[0]["identity"] = ident()
    routes[1]["identity"] = ident(default_consumer="unknown-but-valid")
    routes[2]["identity"] = {"certificate_attribute": "email", "consumer_attribute": "email"}
    routes[3]["identity"] = {"certificate_attribute": "san_uri", "consumer_attribute": "custom_id"}
    routes[4]["identity"] = {"skip_consumer_lookup": True}
    routes[5]["identity"] = {"skip_consumer_lookup": True, "authenticated_group_by": "DN"}
    routes[7]["identity"] = ident()
    for r in routes[8:]:
        r["mtls"] = {"mode": "optional"}
    routes[8]["identity"] = ident(anonymous="guest")
    routes[9]["identity"] = ident()
    routes[10]["identity"] = ident(anonymous="guest")
    routes[10]["policy"] = [{"allow": {"or": [{"valid_certificate": True}, {"consumer": {"is": "guest"}}]}},
                            {"deny": {"group": {"is": "dev"}}}]
    routes[11]["policy"] = [{"allow": {"valid_certificate": True}}]
    for suffix, policy, _ in policy_cases(std_pki, certs):
        r = route(f"https://req.test/p/{suffix}", up)
        r["identity"] = ident()
        r["policy"] = policy
        routes.append(r)
    cfg = gateway_config(std_pki, routes)
    cfg["consumers"] = CONSUMERS
    return module_gateway(cfg)


def request(gw, std, certs, host, path, cert=None, headers=()):
    c = None if cert is None else (certs[cert] if cert in certs else std[cert])
    with TLSClient(gw.port, host, cacert=std.server_ca.cert_path, cert=c.cert_path if c else None,
                   key=c.key_path if c else None) as cl:
        r = cl.get(path, headers=list(headers))
        return r, cl.local_port


def identity_of(r) -> dict:
    hs = upstream_headers(r)
    out = {}
    for name in IDENTITY_HEADERS:
        values = hvals(hs, name)
        assert len(values) <= 1, f"{name} arrived {len(values)} times"
        if values:
            out[name] = values[0]
    return out


def consumer_headers(username, *, custom_id=None, groups=None, credential=None, anonymous=False, id_=None):
    h = {"X-Consumer-ID": id_ or uid(username), "X-Consumer-Username": username}
    if custom_id:
        h["X-Consumer-Custom-ID"] = custom_id
    if groups:
        h["X-Consumer-Groups"] = groups
    if credential:
        h["X-Credential-Identifier"] = credential
    if anonymous:
        h["X-Anonymous-Consumer"] = "true"
    return h


ALICE = consumer_headers("alice", custom_id="emp-42", groups="admins, ops", credential="alice.example.test")

# (id, host, path, certificate, status, expected identity headers (None: a denial), reason, logged consumer)
MATCHING = [
    ("1-credential-with-ca", "req.test", "/cn", "alice", 200, ALICE, "allowed", "alice"),
    ("1-same-name-ca1", "req.test", "/cn", "svc1", 200,
     consumer_headers("svc-ca1", credential="svc.example.test"), "allowed", "svc-ca1"),
    ("1-same-name-ca3", "req.test", "/cn", "svc3", 200,
     consumer_headers("svc-ca3", credential="svc.example.test", id_=SVC_CA3_ID), "allowed", "svc-ca3"),
    ("2-credential-any-ca", "req.test", "/cn", "shared", 200,
     consumer_headers("shared", credential="shared.example.test"), "allowed", "shared"),
    ("3-cn-to-username", "req.test", "/cn", "bob", 200, consumer_headers("bob", groups="dev"), "allowed", "bob"),
    ("3-san-email-to-email", "req.test", "/email", "erin", 200, consumer_headers("erin"), "allowed", "erin"),
    ("3-subject-email-to-email", "req.test", "/email", "frank", 200, consumer_headers("frank"), "allowed", "frank"),
    ("3-san-uri-to-custom-id", "req.test", "/uri", "urisvc", 200,
     consumer_headers("uri-svc", custom_id="spiffe://example.test/svc-u"), "allowed", "uri-svc"),
    ("4-default-consumer", "req.test", "/cnd", "stranger", 200, consumer_headers("unknown-but-valid"), "allowed",
     "unknown-but-valid"),
    ("5-consumer-not-found", "req.test", "/cn", "stranger", 401, None, "consumer_not_found", ""),
    ("5-consumer-not-found-email", "req.test", "/email", "bob", 401, None, "consumer_not_found", ""),
    ("5-skip-lookup-cn", "req.test", "/skipcn", "stranger", 200, {"X-Consumer-Groups": "stranger"}, "allowed", ""),
    ("5-skip-lookup-dn", "req.test", "/skipdn", "bob", 200, {"X-Consumer-Groups": "CN=bob"}, "allowed", ""),
    ("no-identity-block", "req.test", "/noid", "alice", 200, {}, "allowed", ""),
    ("identity-headers-off", "req.test", "/hdroff", "alice", 200, {}, "allowed", "alice"),
    ("anonymous-no-cert", "opt.test", "/anon", None, 200,
     consumer_headers("guest", groups="visitors", anonymous=True), "allowed", "guest"),
    ("anonymous-invalid-cert", "opt.test", "/anon", "expired", 200,
     consumer_headers("guest", groups="visitors", anonymous=True), "allowed", "guest"),
    ("optional-valid-cert-matches", "opt.test", "/anon", "alice", 200, ALICE, "allowed", "alice"),
    ("optional-valid-cert-no-match", "opt.test", "/anon", "stranger", 401, None, "consumer_not_found", ""),
    ("optional-no-anonymous", "opt.test", "/noanon", None, 200, {}, "allowed", ""),
    ("optional-policy-anonymous", "opt.test", "/anonpol", None, 200,
     consumer_headers("guest", groups="visitors", anonymous=True), "allowed", "guest"),
    ("optional-policy-no-cert", "opt.test", "/optpol", None, 403, None, "policy_denied", ""),
    ("optional-policy-valid-cert", "opt.test", "/optpol", "bob", 200, {}, "allowed", ""),
]


@pytest.mark.parametrize("case,host,path,cert,status,headers,reason,consumer", MATCHING, ids=[c[0] for c in MATCHING])
def test_identity_matching(gw, std_pki, certs, case, host, path, cert, status, headers, reason, consumer):
    tok = token()
    r, port = request(gw, std_pki, certs, host, f"{path}/{tok}", cert)
    if status == 200:
        assert r.status == 200, r
        assert identity_of(r) == headers
    elif status == 401:
        assert_json_message(r, 401, MSG_FAILED)
    else:
        assert_json_message(r, 403, "Forbidden")
    assert reason not in r.text
    e = find_log(gw, port, tok)
    assert e["status"] == status and e["reason"] == reason, e
    assert e["consumer"] == consumer, e
    assert "policy_rule" in e, e


@pytest.fixture(scope="module")
def policies(std_pki, certs):
    return policy_cases(std_pki, certs)


def test_policy_table_covers_every_criterion_and_matcher(policies):
    text = repr([p for _, p, _ in policies])
    for word in ["valid_certificate", "common_name", "subject", "issuer", "'email'", "domain", "san_email", "san_dns",
                 "san_uri", "san_ip", "fingerprint", "spki_hash", "consumer", "group", "'is'", "starts_with",
                 "ends_with", "contains", "'in'", "regex", "'and'", "'or'", "'not'", "'nor'", "'deny'"]:
        assert word in text, word


def test_policy_decisions(gw, std_pki, certs, policies):
    failures = []
    for suffix, _, expectations in policies:
        for cert, status, rule in expectations:
            tok = token()
            r, port = request(gw, std_pki, certs, "req.test", f"/p/{suffix}/{tok}", cert)
            e = find_log(gw, port, tok)
            want_reason = "allowed" if status == 200 else "policy_denied"
            got = (r.status, e["reason"], e["policy_rule"])
            if got != (status, want_reason, rule):
                failures.append(f"{suffix} / {cert}: got {got}, want {(status, want_reason, rule)}")
            if status == 403:
                assert_json_message(r, 403, "Forbidden")
                assert "policy_denied" not in r.text
            else:
                assert hvals(upstream_headers(r), "X-Consumer-Username") == [e["consumer"]], r
    assert not failures, "\n".join(failures)


# --- spoofing: client copies of every identity header never reach the upstream ---------------------------

def _variants(name):
    return [name, name.lower(), name.upper()]


SPOOF = [
    # (id, host, path, certificate, identity headers the gateway itself sets)
    ("consumer-matched", "req.test", "/cn", "alice", ALICE),
    ("no-identity-block", "req.test", "/noid", "alice", {}),
    ("skip-lookup", "req.test", "/skipcn", "bob", {"X-Consumer-Groups": "bob"}),
    ("anonymous", "opt.test", "/anon", None, consumer_headers("guest", groups="visitors", anonymous=True)),
    ("optional-nobody", "opt.test", "/noanon", None, {}),
    ("identity-headers-off", "req.test", "/hdroff", "alice", {}),
]


@pytest.mark.parametrize("case,host,path,cert,expected", SPOOF, ids=[c[0] for c in SPOOF])
def test_spoofed_identity_headers_are_stripped(gw, std_pki, certs, case, host, path, cert, expected):
    spoofed = [(v, f"spoofed-{i}") for i, name in enumerate(IDENTITY_HEADERS) for v in _variants(name)]
    r, _ = request(gw, std_pki, certs, host, f"{path}/{token()}", cert, headers=spoofed + [("X-Other", "kept")])
    assert r.status == 200, r
    hs = upstream_headers(r)
    assert [(k, v) for k, v in hs if "spoofed" in v] == []
    assert hvals(hs, "X-Other") == ["kept"]
    assert identity_of(r) == expected


def test_consumer_ids_are_uuid5_of_the_username_or_as_given(gw, std_pki, certs):
    r, _ = request(gw, std_pki, certs, "req.test", f"/cn/{token()}", "bob")
    assert identity_of(r)["X-Consumer-ID"] == "265cfd23-7833-5850-b676-86b6d431a317"  # uuid5(NAMESPACE, "bob")
    r, _ = request(gw, std_pki, certs, "req.test", f"/cn/{token()}", "svc3")
    assert identity_of(r)["X-Consumer-ID"] == SVC_CA3_ID  # given in upper case, sent in lower case


def test_keep_alive_requests_map_each_route_separately(gw, std_pki, certs):
    # one connection, three routes: identity is per route, not per connection
    c = std_pki.alice
    with TLSClient(gw.port, "req.test", cacert=std_pki.server_ca.cert_path, cert=c.cert_path,
                   key=c.key_path) as cl:
        assert identity_of(cl.get(f"/cn/{token()}")) == ALICE
        assert identity_of(cl.get(f"/noid/{token()}")) == {}
        assert cl.get(f"/p/cn-in/{token()}").status == 403
        assert identity_of(cl.get(f"/skipdn/{token()}")) == {"X-Consumer-Groups": c.subject_rfc2253}
        assert cl.connect_count == 1
