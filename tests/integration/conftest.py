"""Shared fixtures for the certgate integration tests.

The gateway binary comes from $CERTGATE_BIN (CTest sets it). Unset: every test that needs the gateway is
skipped with a message; set but missing: those tests fail.
"""

from __future__ import annotations

import itertools
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import gateway as _gateway  # noqa: E402
from harness.configs import TEST_HOSTS  # noqa: E402
from harness.gateway import Gateway  # noqa: E402
from harness.pki import StandardPKI  # noqa: E402
from harness.upstream import Upstream  # noqa: E402

_counter = itertools.count(1)


@pytest.fixture(scope="session")
def certgate_bin() -> str:
    b = os.environ.get("CERTGATE_BIN")
    if not b:
        pytest.skip("CERTGATE_BIN is not set: point it at the certgate binary, e.g. "
                    "CERTGATE_BIN=build/certgate /usr/bin/python3 -m pytest tests/integration/")
    p = Path(b)
    if not p.is_file() or not os.access(p, os.X_OK):
        pytest.fail(f"CERTGATE_BIN={b} does not exist or is not executable (build it first)")
    return str(p.resolve())


@pytest.fixture(scope="module")
def std_pki(tmp_path_factory) -> StandardPKI:
    """The shared test PKI (see harness.pki.StandardPKI); server certificate covers TEST_HOSTS."""
    return StandardPKI(tmp_path_factory.mktemp("pki"), TEST_HOSTS)


@pytest.fixture(scope="module")
def upstream():
    up = Upstream().start()
    yield up
    up.stop()


def _make_factory(binary, base_dir, std):
    started = []

    def make(config, *, start=True, env=None, config_dir=None, name=None):
        n = next(_counter)
        name = name or f"gw{n}"
        gw = Gateway(binary, Path(base_dir) / name, config, config_name=f"{name}.yaml",
                     config_dir=config_dir or (std.dir if std is not None else None), env=env)
        started.append(gw)
        if start:
            gw.start()
        return gw

    return make, started


@pytest.fixture(scope="module")
def module_gateway(certgate_bin, std_pki, tmp_path_factory):
    """make(config_dict_or_text, env=None) -> started Gateway, stopped when the module ends."""
    make, started = _make_factory(certgate_bin, tmp_path_factory.mktemp("gw"), std_pki)
    yield make
    for gw in started:
        gw.stop(timeout=10)


@pytest.fixture
def gateway_factory(certgate_bin, std_pki, tmp_path):
    """Like module_gateway, but the gateways live for one test."""
    make, started = _make_factory(certgate_bin, tmp_path, std_pki)
    yield make
    for gw in started:
        gw.stop(timeout=10)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed and _gateway.RUNNING:
        for gw in list(_gateway.RUNNING):
            err = gw.stderr_text()
            rep.sections.append((f"certgate stderr (pid {gw.proc.pid if gw.proc else '?'}, last 4000 chars)",
                                 err[-4000:]))
