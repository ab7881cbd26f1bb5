"""Several upstreams behind one route: `to` as a list, lb_policy, passive health (an upstream that refuses
connections is skipped, the request goes to the next one), active health checks, DNS refresh, and the
config errors of a list.

Spread tests use three in-process recording upstreams (harness.upstream) and a gateway with one worker,
so the round-robin cursor and the in-flight counts are the worker's own and the counts are exact. Failure
tests use upstreams in their own processes (harness.upstream_process), killed with SIGKILL and started
again on the same port. The DNS test runs certgate in a private mount namespace (`unshare -m`) where a
temporary hosts file is bind-mounted over /etc/hosts, and edits that file in place.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time

import pytest

from harness.checks import token
from harness.clients import TLSClient, curl
from harness.configs import gateway_config, route
from harness.gateway import Gateway, free_port, validate_config, write_config
from harness.upstream import Upstream
from harness.upstream_process import UpstreamProcess
from harness.yamlgen import line_of


def _route(frm, to, **extra):
    r = route(frm, "placeholder", mtls={"mode": "off"})
    r["to"] = to
    r.update(extra)
    return r


@pytest.fixture(scope="module")
def ups():
    started = [Upstream().start() for _ in range(3)]
    yield started
    for up in started:
        up.stop()


@pytest.fixture(scope="module")
def gw(module_gateway, std_pki, ups):
    urls = [u.url for u in ups]
    routes = [
        _route("https://app.test", urls),  # round_robin by default
        _route("https://req.test", urls, lb_policy="least_request"),
        _route("https://deep.test", urls, lb_policy="random"),
    ]
    return module_gateway(gateway_config(std_pki, routes, workers=1))


def _client(gw, std, host):
    return TLSClient(gw.port, host, cacert=std.server_ca.cert_path).connect()


def _counts(ups, tok):
    return [len(u.find(lambda r: tok in r.path)) for u in ups]


def test_round_robin_spreads_requests_evenly(gw, std_pki, ups):
    tok = token()
    c = _client(gw, std_pki, "app.test")
    try:
        for i in range(30):
            assert c.request("GET", f"/rr?t={tok}&i={i}").status == 200
    finally:
        c.close()
    assert _counts(ups, tok) == [10, 10, 10]


def test_each_request_names_the_upstream_it_went_to_in_host(gw, std_pki, ups):
    tok = token()
    c = _client(gw, std_pki, "app.test")
    try:
        for i in range(3):
            r = c.request("GET", f"/host?t={tok}&i={i}")
            assert r.status == 200, r
    finally:
        c.close()
    for u in ups:
        (rec,) = u.find(lambda r: tok in r.path)
        assert rec.header_values("Host") == [f"127.0.0.1:{u.port}"]


def test_least_request_avoids_the_busy_upstream(gw, std_pki, ups):
    slow, fast = token(), token()
    result = {}
    t = threading.Thread(target=lambda: result.update(
        r=curl("req.test", gw.port, f"/slow?ms=10000&t={slow}", cacert=std_pki.server_ca.cert_path)))
    t.start()
    try:
        deadline = time.monotonic() + 10
        while not any(_counts(ups, slow)):
            assert time.monotonic() < deadline, "the slow request never reached an upstream"
            time.sleep(0.02)
        busy = _counts(ups, slow).index(1)
        c = _client(gw, std_pki, "req.test")
        try:
            for i in range(6):
                assert c.request("GET", f"/lr?t={fast}&i={i}").status == 200
        finally:
            c.close()
        assert t.is_alive(), "the slow request ended before the fast ones: no busy upstream to avoid"
    finally:
        t.join(30)
    assert result["r"].status == 200
    counts = _counts(ups, fast)
    # The busy upstream had one request in flight each time, the other two none: they share the six.
    assert counts[busy] == 0, counts
    assert sorted(c for i, c in enumerate(counts) if i != busy) == [3, 3], counts


def test_random_reaches_every_upstream(gw, std_pki, ups):
    tok = token()
    c = _client(gw, std_pki, "deep.test")
    try:
        for i in range(60):
            assert c.request("GET", f"/rnd?t={tok}&i={i}").status == 200
    finally:
        c.close()
    counts = _counts(ups, tok)
    assert sum(counts) == 60
    assert all(n > 0 for n in counts), counts  # a miss has odds of about 1e-10


# --- failures: an upstream killed mid-run ---------------------------------------------------------------------

@pytest.fixture
def procs():
    started = [UpstreamProcess().start() for _ in range(3)]
    yield started
    for p in started:
        p.kill()


def _whoami(c):
    r = c.request("GET", "/whoami")
    return r.status, (json.loads(r.body)["port"] if r.status == 200 else None)


def _wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_killed_upstream_is_skipped_and_comes_back_after_eject_time(gateway_factory, std_pki, procs):
    cfg = gateway_config(std_pki, [_route("https://app.test", [p.url for p in procs],
                                          passive_health={"eject_for": "2s"})], workers=2)
    gw = gateway_factory(cfg)
    c = _client(gw, std_pki, "app.test")
    try:
        seen = {_whoami(c)[1] for _ in range(6)}  # keep-alive connections to all three now
        assert seen == {p.port for p in procs}
        victim = procs[1]
        victim.kill()
        answers = [_whoami(c) for _ in range(30)]
        # A request that found the killed upstream (its pooled connection or a refused connect) sent nothing
        # the upstream answered: it went to the next upstream, so not one request failed.
        assert all(status == 200 for status, _ in answers), answers
        assert victim.port not in {port for _, port in answers}
        assert "skipped for 2000 ms" in gw.stderr_text()
        victim.start()  # same port
        _wait_until(lambda: _whoami(c)[1] == victim.port, 20, "the restarted upstream got no request")
    finally:
        c.close()


def test_active_health_check_marks_an_upstream_down_and_up(gateway_factory, std_pki, procs):
    hc = {"path": "/whoami", "interval": "500ms", "timeout": "400ms", "healthy": 1, "unhealthy": 1}
    # A passive ejection this long cannot be what brings the upstream back within the test.
    cfg = gateway_config(std_pki, [_route("https://app.test", [p.url for p in procs], health_check=hc,
                                          passive_health={"eject_for": "5m"})], workers=1)
    gw = gateway_factory(cfg)
    victim = procs[2]
    victim.kill()
    _wait_until(lambda: "marked down" in gw.stderr_text(), 20, "no health check failed")
    c = _client(gw, std_pki, "app.test")
    try:
        answers = [_whoami(c) for _ in range(12)]
        assert all(status == 200 for status, _ in answers), answers
        assert victim.port not in {port for _, port in answers}
        victim.start()
        _wait_until(lambda: "is healthy again" in gw.stderr_text(), 20, "the health check never passed")
        assert victim.port in {_whoami(c)[1] for _ in range(6)}
    finally:
        c.close()


def test_all_upstreams_down_still_tries_them(gateway_factory, std_pki, procs):
    """Panic mode: with every upstream ejected, requests still go out (and fail only while they are down)."""
    cfg = gateway_config(std_pki, [_route("https://app.test", [p.url for p in procs],
                                          passive_health={"eject_for": "5m"})], workers=1)
    gw = gateway_factory(cfg)
    for p in procs:
        p.kill()
    r = curl("app.test", gw.port, "/whoami", cacert=std_pki.server_ca.cert_path)
    assert r.status == 502, r
    procs[0].start()
    r = curl("app.test", gw.port, "/whoami", cacert=std_pki.server_ca.cert_path)
    assert r.status == 200, r
    assert json.loads(r.body)["port"] == procs[0].port


# --- DNS: a name whose address changes ---------------------------------------------------------------------

def _unshare_works() -> bool:
    if not shutil.which("unshare"):
        return False
    p = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    return p.returncode == 0


@pytest.mark.skipif(not _unshare_works(), reason="needs unshare -m (root) for a private /etc/hosts")
def test_a_name_is_followed_when_its_address_changes(certgate_bin, std_pki, tmp_path):
    name = "balanced-upstream.certgate.test"
    first = Upstream(host="127.0.0.2").start()
    second = Upstream(host="127.0.0.3", port=first.port).start()
    hosts = tmp_path / "hosts"
    hosts.write_text(f"127.0.0.1 localhost\n127.0.0.2 {name}\n")
    cfg = gateway_config(std_pki, [_route("https://app.test", f"http://{name}:{first.port}", dns_refresh="1s")],
                         workers=1)
    script = f'mount --bind "{hosts}" /etc/hosts && exec "{certgate_bin}" serve --config "$0"'
    gw = Gateway("unshare", tmp_path / "gw", cfg, config_dir=std_pki.dir,
                 args=["-m", "sh", "-c", script, "{config}"])
    try:
        gw.start()
        before = token()
        r = curl("app.test", gw.port, f"/dns?t={before}", cacert=std_pki.server_ca.cert_path)
        assert r.status == 200, r
        assert len(first.find(lambda rec: before in rec.path)) == 1
        with open(hosts, "r+") as f:  # in place: the bind mount follows the inode
            f.seek(0)
            f.write(f"127.0.0.1 localhost\n127.0.0.3 {name}\n")
            f.truncate()
        changed = time.monotonic()
        after = token()
        c = _client(gw, std_pki, "app.test")
        try:
            _wait_until(lambda: c.request("GET", f"/dns?t={after}").status == 200 and
                        second.find(lambda rec: after in rec.path), 15, "the new address never got a request")
        finally:
            c.close()
        followed_in = time.monotonic() - changed
        assert followed_in < 15
        # From then on the old address gets nothing.
        late = token()
        for _ in range(5):
            assert curl("app.test", gw.port, f"/dns?t={late}", cacert=std_pki.server_ca.cert_path).status == 200
        assert not first.find(lambda rec: late in rec.path)
        assert len(second.find(lambda rec: late in rec.path)) == 5
    finally:
        gw.stop(timeout=10)
        first.stop()
        second.stop()


# --- config errors ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("to,needle,message", [
    (["http://127.0.0.1:1", "https://127.0.0.1:2"], "https://127.0.0.1:2", "one scheme"),
    ([], "to: []", "empty list"),
    (["echo://"], "echo://", "http:// or https://"),
    (["tcp://127.0.0.1:1"], "tcp://127.0.0.1:1", "http:// or https://"),
    (["http://127.0.0.1:1/a", "http://127.0.0.1:2/b"], "http://127.0.0.1:2/b", "one base path"),
])
def test_bad_upstream_lists_are_refused_with_file_line(certgate_bin, std_pki, to, needle, message):
    cfg = gateway_config(std_pki, [_route("https://app.test", to)])
    path = write_config(std_pki.dir, cfg, name=f"bad-list-{token()}.yaml", ports=[free_port()])
    code, _, err = validate_config(certgate_bin, path)
    assert code == 1, err
    assert f"{path}:{line_of(path.read_text(), needle)}:" in err, (err, path.read_text())
    assert message in err, err


@pytest.mark.parametrize("extra,needle", [
    ({"lb_policy": "fastest"}, "lb_policy"),
    ({"health_check": {"interval": "5s"}}, "interval"),  # the map's line is its first key's
    ({"health_check": {"path": "healthz"}}, "path"),
    ({"passive_health": {"eject": "5s"}}, "eject"),
    ({"dns_refresh": "0s"}, "dns_refresh"),
])
def test_bad_balancing_keys_are_refused_with_file_line(certgate_bin, std_pki, extra, needle):
    cfg = gateway_config(std_pki, [_route("https://app.test", ["http://127.0.0.1:1", "http://127.0.0.1:2"],
                                          **extra)])
    path = write_config(std_pki.dir, cfg, name=f"bad-lb-{token()}.yaml", ports=[free_port()])
    code, _, err = validate_config(certgate_bin, path)
    assert code == 1, err
    assert f"{path}:{line_of(path.read_text(), needle)}:" in err, (err, path.read_text())


def test_balancing_keys_are_refused_on_echo_routes(certgate_bin, std_pki):
    cfg = gateway_config(std_pki, [_route("https://app.test", "echo://", lb_policy="random")])
    path = write_config(std_pki.dir, cfg, name=f"bad-echo-{token()}.yaml", ports=[free_port()])
    code, _, err = validate_config(certgate_bin, path)
    assert code == 1, err
    assert f"{path}:{line_of(path.read_text(), 'lb_policy')}:" in err, err
