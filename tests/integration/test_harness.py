"""Self test of the harness (no certgate needed): the PKI verifies as intended with `openssl verify`,
the upstream works with curl, the clients work against Python/openssl TLS servers, and the Gateway
process wrapper works with a stand-in process. If these fail, the certgate tests cannot be trusted."""

from __future__ import annotations

import hashlib
import json
import socket
import ssl
import subprocess
import sys
import textwrap
import threading
import time
from http.server import ThreadingHTTPServer

import pytest

from harness import yamlgen
from harness.clients import TLSClient, curl, s_client
from harness.gateway import ClosedPort, Gateway, free_port, validate_config
from harness.pki import PKI, StandardPKI, openssl_verify, openssl_x509_field
from harness.upstream import CHUNKED_BODY, Upstream, _Handler, pattern_chunks, pattern_sha256


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return StandardPKI(tmp_path_factory.mktemp("pki"), ["app.test", "tls.test"])


# --- PKI -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name,ok,needle", [
    ("alice", True, None),
    ("tricky", True, None),
    ("rsa_client", True, None),
    ("bob", True, None),  # ca3: second CA of the bundle
    ("no_eku", True, None),
    ("both_eku", True, None),
    ("no_bc", True, None),
    ("carol", False, "unable to get local issuer"),  # ca2 is not in the global bundle
    ("untrusted", False, "unable to get local issuer"),
    ("expired", False, "certificate has expired"),
    ("not_yet_valid", False, "not yet valid"),
    ("server_only", False, "unsuitable certificate purpose"),
    ("deep", False, "unable to get local issuer"),  # intermediate not supplied
])
def test_pki_client_certs_verify_as_intended(pki, name, ok, needle):
    rc, out = openssl_verify(pki.global_bundle, pki[name].cert_path)
    assert (rc == 0) == ok, out
    if needle:
        assert needle in out


def test_pki_chain_file_completes_the_path(pki):
    rc, out = openssl_verify(pki.global_bundle, pki.deep.cert_path, untrusted=pki.inter1.cert_path)
    assert rc == 0, out
    # the chain file holds leaf + intermediate, in that order, and not the root
    text = pki.deep.chain_path.read_text()
    assert text.count("BEGIN CERTIFICATE") == 2
    assert text.startswith(pki.deep.pem().decode())
    assert pki.ca1.pem().decode() not in text


def test_pki_ca_as_leaf_is_a_ca(pki):
    # openssl verify accepts it: rejecting it is the gateway's own "leaf must not be a CA" rule.
    out = subprocess.run(["openssl", "x509", "-noout", "-text", "-in", str(pki.ca_as_leaf.cert_path)],
                         capture_output=True, text=True, check=True).stdout
    assert "CA:TRUE" in out
    assert pki.ca_as_leaf.key_path.exists()


@pytest.mark.parametrize("bc", [None, "leaf"])
def test_pki_roots_without_ca_true(tmp_path, bc):
    p = PKI(tmp_path)
    root = p.root_ca("badroot", basic_constraints=bc)
    leaf = p.leaf(root, "leaf")
    out = subprocess.run(["openssl", "x509", "-noout", "-text", "-in", str(root.cert_path)],
                         capture_output=True, text=True, check=True).stdout
    assert "CA:TRUE" not in out
    if bc is None:
        assert "Basic Constraints" not in out
    else:
        assert "CA:FALSE" in out
    rc, _ = openssl_verify(root.cert_path, leaf.cert_path, extra=["-x509_strict"])
    assert rc != 0


def test_pki_expected_header_values_match_openssl(pki):
    a = pki.alice
    assert a.subject_rfc2253 == "emailAddress=alice@example.com,CN=alice,OU=Engineering,O=Example Org"
    assert a.issuer_rfc2253 == "CN=ca1 root,O=certgate tests"
    assert a.serial_hex == openssl_x509_field(a.cert_path, "serial") == "0ABCDE0123456789"
    assert pki.tricky.serial_hex == openssl_x509_field(pki.tricky.cert_path, "serial") == "8F00000000000001"
    assert pki.tricky.subject_rfc2253 == r"CN=Bob\+Smith,O=Example\, Inc."
    fp = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in", str(a.cert_path)],
                        capture_output=True, text=True, check=True).stdout.strip().split("=", 1)[1]
    assert a.fingerprint_sha256 == fp.replace(":", "").lower()
    assert a.san_header == ("email:alice@example.com, DNS:alice.example.test, URI:spiffe://example.test/alice, "
                            "IP:192.0.2.10, DNS:second.example.test")
    assert a.not_after_rfc3339.endswith("T12:00:00Z")


def test_pki_server_cert_names(pki):
    # (*.localhost is in the SAN list as asked, but OpenSSL never matches a wildcard over a single label)
    assert ("DNS", "*.localhost") in pki.server.sans
    for host in ["app.test", "tls.test", "localhost"]:
        rc, out = openssl_verify(pki.server_ca.cert_path, pki.server.cert_path, purpose="sslserver",
                                 extra=["-verify_hostname", host])
        assert rc == 0, (host, out)
    rc, out = openssl_verify(pki.server_ca.cert_path, pki.server.cert_path, purpose="sslserver",
                             extra=["-verify_ip", "127.0.0.1"])
    assert rc == 0, out
    rc, _ = openssl_verify(pki.server_ca.cert_path, pki.server.cert_path, purpose="sslserver",
                           extra=["-verify_hostname", "other.test"])
    assert rc != 0


# --- yaml ------------------------------------------------------------------------------------------------

def test_yaml_emitter_round_trips():
    yaml = pytest.importorskip("yaml")
    cfg = {"a": 1, "b": "10s", "c": [{"x": "y", "z": {"k": True}}, "s"], "d": {}, "e": [], "f": yamlgen.Raw("off")}
    text = yamlgen.dump(cfg)
    back = yaml.safe_load(text)
    assert back["c"] == cfg["c"] and back["b"] == "10s" and back["d"] == {} and back["e"] == []
    assert "f: off" in text
    assert yamlgen.line_of(text, '"y"') == 4


# --- upstream via curl (plain HTTP) ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def up():
    u = Upstream().start()
    yield u
    u.stop()


def _plain_curl(args, timeout=20):
    p = subprocess.run(["curl", "-sS", "--noproxy", "*", *args], capture_output=True, timeout=timeout)
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_upstream_describes_request_with_duplicate_headers(up):
    out = _plain_curl(["-H", "X-Dup: 1", "-H", "X-Dup: 2", "-H", "x-dup: 3", f"{up.url}/hello?q=1"])
    d = json.loads(out)
    assert d["method"] == "GET" and d["path"] == "/hello?q=1"
    assert [v for k, v in d["headers"] if k.lower() == "x-dup"] == ["1", "2", "3"]
    assert ["x-dup", "3"] in d["headers"]  # case as sent
    rec = up.wait_for(lambda r: r.path == "/hello?q=1")
    assert rec.header_values("X-Dup") == ["1", "2", "3"]


def test_upstream_keep_alive_same_peer_port(up):
    out = _plain_curl(["-w", "\n", f"{up.url}/ka1", f"{up.url}/ka2"])
    a, b = [json.loads(line) for line in out.decode().strip().splitlines()]
    assert a["peer_port"] == b["peer_port"]


def test_upstream_chunked_response(up):
    raw = _plain_curl(["--raw", f"{up.url}/chunked"])
    assert raw != CHUNKED_BODY and b"\r\n0\r\n\r\n" in raw  # really chunked on the wire
    assert _plain_curl([f"{up.url}/chunked"]) == CHUNKED_BODY


@pytest.mark.parametrize("chunked", [False, True])
def test_upstream_upload_counts_and_hashes(up, tmp_path, chunked):
    data = b"".join(pattern_chunks(3 * 1024 * 1024 + 7))
    f = tmp_path / "body"
    f.write_bytes(data)
    args = ["--data-binary", f"@{f}", "-H", "Expect:"]
    if chunked:
        args += ["-H", "Transfer-Encoding: chunked"]
    d = json.loads(_plain_curl(args + [f"{up.url}/upload"]))
    assert d["bytes"] == len(data)
    assert d["sha256"] == hashlib.sha256(data).hexdigest() == pattern_sha256(len(data))


def test_upstream_status_and_slow_and_bytes(up):
    code = _plain_curl(["-o", "/dev/null", "-w", "%{http_code}", f"{up.url}/status/418"])
    assert code == b"418"
    t = time.monotonic()
    _plain_curl([f"{up.url}/slow?ms=300"])
    assert time.monotonic() - t >= 0.29
    assert hashlib.sha256(_plain_curl([f"{up.url}/bytes?n=100000"])).hexdigest() == pattern_sha256(100000)
    assert hashlib.sha256(_plain_curl([f"{up.url}/bytes?n=100000&chunked=1"])).hexdigest() == pattern_sha256(100000)


# --- clients against a TLS stand-in (Python TLS server with the upstream handler) ------------------------

class _TLSStandIn:
    def __init__(self, pki: StandardPKI, client_ca, verify=ssl.CERT_OPTIONAL):
        self.up = Upstream()
        self.srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.srv.daemon_threads = True
        self.srv.upstream = self.up
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(pki.server.cert_path), str(pki.server.key_path))
        ctx.load_verify_locations(str(client_ca))
        ctx.verify_mode = verify
        ctx.set_alpn_protocols(["http/1.1"])
        self.peer_certs = []

        self.srv.socket = ctx.wrap_socket(self.srv.socket, server_side=True, do_handshake_on_connect=False)
        orig_get = self.srv.get_request

        def get_request():
            s, addr = orig_get()
            s.do_handshake()
            self.peer_certs.append(s.getpeercert(binary_form=True))
            return s, addr

        self.srv.get_request = get_request
        self.port = self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


@pytest.fixture(scope="module")
def standin(pki):
    s = _TLSStandIn(pki, pki.global_bundle)
    yield s
    s.close()


def test_curl_wrapper_with_client_cert(pki, standin):
    r = curl("app.test", standin.port, "/x?y=1", cacert=pki.server_ca.cert_path, cert=pki.alice.cert_path,
             key=pki.alice.key_path, headers=["X-A: 1", ("X-A", "2")])
    assert r.status == 200 and r.media_type == "application/json"
    d = r.json()
    assert d["path"] == "/x?y=1"
    assert [v for k, v in d["headers"] if k == "X-A"] == ["1", "2"]
    host = [v for k, v in d["headers"] if k.lower() == "host"]
    assert host == [f"app.test:{standin.port}"]  # real name via --resolve
    assert r.local_port and r.local_port == d["peer_port"]
    assert standin.peer_certs[-1] == pki.alice.der()
    r = curl("app.test", standin.port, "/upload", cacert=pki.server_ca.cert_path, data=b"z" * 1000, chunked=True)
    assert r.json()["bytes"] == 1000
    assert any(k.lower() == "transfer-encoding" and v == "chunked" for k, v in r.json()["headers"])


def test_curl_wrapper_sends_chain(pki, tmp_path):
    # the stand-in trusts only ca1 and requires a certificate: deep (via inter1) works only with the chain
    s = _TLSStandIn(pki, pki.ca1.cert_path, verify=ssl.CERT_REQUIRED)
    try:
        r = curl("app.test", s.port, "/", cacert=pki.server_ca.cert_path, cert=pki.deep.chain_path,
                 key=pki.deep.key_path)
        assert r.status == 200
        c = TLSClient(s.port, "app.test", cacert=pki.server_ca.cert_path, cert=pki.deep.chain_path,
                      key=pki.deep.key_path)
        assert c.get("/").status == 200
        c.close()
        r = curl("app.test", s.port, "/", cacert=pki.server_ca.cert_path, cert=pki.deep.cert_path,
                 key=pki.deep.key_path, check=False)
        assert r.status == 0  # handshake failed: leaf alone does not verify
    finally:
        s.close()


def test_tls_client_keep_alive_and_chunked(pki, standin):
    with TLSClient(standin.port, "app.test", cacert=pki.server_ca.cert_path, cert=pki.alice.cert_path,
                   key=pki.alice.key_path) as c:
        ports = set()
        for i in range(20):
            r = c.get(f"/k{i}", headers=[("X-Dup", "a"), ("X-DUP", "b")])
            assert r.status == 200
            ports.add(r.json()["peer_port"])
        assert c.connect_count == 1 and len(ports) == 1 and ports == {c.local_port}
        body = pattern_chunks(2 * 1024 * 1024)
        r = c.request("POST", "/upload", body=body, encode_chunked=True)
        assert r.json()["bytes"] == 2 * 1024 * 1024
        assert r.json()["sha256"] == pattern_sha256(2 * 1024 * 1024)
        r = c.request("POST", "/upload", body=pattern_chunks(5000), headers=[("Content-Length", "5000")])
        assert r.json()["bytes"] == 5000 and c.connect_count == 1
        r = c.get("/chunked")
        assert r.body == CHUNKED_BODY


def test_s_client_sees_certificate_request(pki):
    for verify_args, expect in ([["-Verify", "1"], True], [[], False]):
        port = free_port()
        srv = subprocess.Popen(["openssl", "s_server", "-www", "-accept", f"127.0.0.1:{port}", "-naccept", "5",
                                "-cert", str(pki.server.cert_path), "-key", str(pki.server.key_path),
                                "-CAfile", str(pki.global_bundle), "-alpn", "http/1.1", *verify_args],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 5
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    assert time.monotonic() < deadline
                    time.sleep(0.05)
            for tls in ("1.3", "1.2"):
                r = s_client(port, servername="app.test", tls=tls, cert=pki.alice.cert_path, key=pki.alice.key_path,
                             alpn="h2,http/1.1")
                assert r.handshake_ok, r.output
                assert r.protocol == f"TLSv{tls}"
                assert r.has_certificate_request == expect, r.output
                assert r.alpn == "http/1.1"
                assert "app.test" in r.server_cert_dns_names
        finally:
            srv.kill()  # the s_server started just above, by its Popen handle
            srv.wait()


def test_closed_port_refuses(tmp_path):
    cp = ClosedPort()
    try:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", cp.port), timeout=1)
    finally:
        cp.close()


# --- the Gateway wrapper, with a stand-in process ---------------------------------------------------------

FAKE = textwrap.dedent('''
    import json, re, signal, socket, sys, threading, time
    cfg = open(sys.argv[sys.argv.index("--config") + 1]).read()
    port = int(re.search(r"127\\.0\\.0\\.1:(\\d+)", cfg).group(1))
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port)); s.listen(16)
    print("fake starting", file=sys.stderr, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    ballast = []
    def serve():
        while True:
            c, addr = s.accept()
            data = c.recv(100)
            if data.startswith(b"GROW"):
                ballast.append(bytearray(30 * 1024 * 1024))
                for i in range(0, len(ballast[-1]), 4096): ballast[-1][i] = 1
            print(json.dumps({"client": "%s:%d" % addr, "path": data.decode(errors="replace")}), flush=True)
            c.close()
    threading.Thread(target=serve, daemon=True).start()
    stop.wait()
    sys.exit(0)
''')


def test_gateway_wrapper_with_stand_in(tmp_path):
    fake = tmp_path / "fake.py"
    fake.write_text(FAKE)
    gw = Gateway(sys.executable, tmp_path / "gw", {"listeners": [{"address": "127.0.0.1:${PORT}"}]},
                 args=[str(fake), "serve", "--config", "{config}"])
    gw.start()
    try:
        assert gw.running()
        assert str(gw.port) in gw.config_path.read_text()
        assert "fake starting" in gw.stderr_text()
        hwm0 = gw.hwm_kib()
        assert hwm0 > 0 and gw.rss_kib() > 0
        with socket.create_connection(("127.0.0.1", gw.port)) as c:
            my_port = c.getsockname()[1]
            c.sendall(b"GROW")
            c.recv(10)
        e = gw.log_for_client_port(my_port)
        assert e["path"] == "GROW"
        assert gw.hwm_kib() - hwm0 > 25 * 1024
        assert len(gw.access_log_lines()) >= 1
        with pytest.raises(AssertionError):
            gw.wait_for_log(lambda e: e["path"] == "never", timeout=0.3)
    finally:
        rc = gw.stop()
    assert rc == 0


def test_gateway_wrapper_reports_start_failure(tmp_path):
    gw = Gateway("/bin/sh", tmp_path / "gw", "x: 1\n", args=["-c", "echo boom >&2; exit 3"])
    with pytest.raises(AssertionError, match="boom"):
        gw.start()
    assert gw.exit_code == 3


def test_validate_config_wrapper(tmp_path):
    rc, out, err = validate_config("/bin/false", tmp_path / "x.yaml")
    assert rc == 1
