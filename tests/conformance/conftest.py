"""Fixtures for the OSS emulator conformance suite.

The suite drives a real `oss-emulator` process with the official Alibaba Cloud
OSS Python SDK V2 (`alibabacloud-oss-v2`): the SDK is the independent signer, the
emulator must accept what it signs and reject tampered copies with OSS's codes.

Binary: `$OSS_EMULATOR_BIN`, default `<repo>/target/release/oss-emulator`
(build it with `cargo build --release -p oss-emulator`).
"""

from __future__ import annotations

import pytest

import alibabacloud_oss_v2 as oss

from support import Emulator, StsCredentials, emulator_binary, fetch_sts, make_client


@pytest.fixture(scope="session")
def emulator():
    """The shared emulator: --port 0 --bucket demo --region cn-hangzhou --sts-ttl 900."""
    emu = Emulator(emulator_binary(), sts_ttl=900)
    try:
        emu.start()
    except RuntimeError as e:
        pytest.exit(str(e), returncode=1)
    yield emu
    emu.stop()


@pytest.fixture
def start_emulator():
    """Factory for extra emulators with other options (e.g. a short --sts-ttl)."""
    started = []

    def _start(**kwargs) -> Emulator:
        emu = Emulator(emulator_binary(), **kwargs).start()
        started.append(emu)
        return emu

    yield _start
    for emu in started:
        emu.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On failure, attach the emulator's log lines printed during the test."""
    outcome = yield
    report = outcome.get_result()
    emu = getattr(item, "_emulator_for_log", None)
    start = getattr(item, "_emulator_log_start", None)
    if report.failed and emu is not None and start is not None:
        report.sections.append(("oss-emulator log during this test", emu.lines_since(start)))


@pytest.fixture(autouse=True)
def _mark_emulator_log(request, emulator):
    request.node._emulator_for_log = emulator
    request.node._emulator_log_start = emulator.log_count
    yield


@pytest.fixture(scope="session")
def sts(emulator) -> StsCredentials:
    """STS credentials minted by the emulator's GET /sts (AssumeRole JSON)."""
    return fetch_sts(emulator.base_url)


@pytest.fixture
def client(emulator, sts) -> oss.Client:
    """SDK client: path style, cn-hangzhou, V4, STS credentials, no retries."""
    return make_client(emulator.base_url, sts)


@pytest.fixture
def client_factory(emulator, sts):
    def _make(**kwargs) -> oss.Client:
        return make_client(emulator.base_url, kwargs.pop("creds", sts), **kwargs)
    return _make
