"""Helpers for the OSS emulator conformance suite (process control, SDK clients, errors).

The suite drives a real `oss-emulator` process with the official Alibaba Cloud
OSS Python SDK V2 (`alibabacloud-oss-v2`): the SDK is the independent signer, the
emulator must accept what it signs and reject tampered copies with OSS's codes.

Binary: `$OSS_EMULATOR_BIN`, default `<repo>/target/release/oss-emulator`
(build it with `cargo build --release -p oss-emulator`).
"""

from __future__ import annotations

import collections
import datetime
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import pytest
import requests

import alibabacloud_oss_v2 as oss
from alibabacloud_oss_v2 import exceptions as oss_exceptions
from alibabacloud_oss_v2.transport.requests_client import RequestsHttpClient
from alibabacloud_oss_v2.types import HttpClient, HttpRequest, HttpResponse

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BIN = REPO_ROOT / "target" / "release" / "oss-emulator"
BUCKET = "demo"
REGION = "cn-hangzhou"
LISTEN_RE = re.compile(r"oss-emulator listening on (http://127\.0\.0\.1:(\d+))")
STARTUP_TIMEOUT_S = 30.0


# --------------------------------------------------------------------------------------
# Emulator process
# --------------------------------------------------------------------------------------


class Emulator:
    """One `oss-emulator` child process on a free loopback port."""

    def __init__(self, binary: Path, sts_ttl: int = 900, extra_args: Optional[list] = None):
        self.binary = binary
        self.sts_ttl = sts_ttl
        self.extra_args = list(extra_args or [])
        self.data_dir = tempfile.mkdtemp(prefix="oss-emu-data-")
        self.log = collections.deque(maxlen=4000)  # stdout+stderr lines, newest last
        self.log_count = 0  # total lines ever seen (for per-test slices)
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self.base_url: Optional[str] = None
        self.port: Optional[int] = None
        self.proc: Optional[subprocess.Popen] = None
        self._threads: list = []

    def _drain(self, stream, is_stdout: bool) -> None:
        # Keep reading until EOF so the child never blocks on a full pipe.
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self._lock:
                self.log.append(line if is_stdout else f"[stderr] {line}")
                self.log_count += 1
            if is_stdout and not self._ready.is_set():
                m = LISTEN_RE.search(line)
                if m:
                    self.base_url = m.group(1)
                    self.port = int(m.group(2))
                    self._ready.set()
        stream.close()

    def start(self) -> "Emulator":
        cmd = [
            str(self.binary),
            "--port", "0",
            "--bucket", BUCKET,
            "--region", REGION,
            "--sts-ttl", str(self.sts_ttl),
            "--data-dir", self.data_dir,
            *self.extra_args,
        ]
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL
        )
        for stream, is_stdout in ((self.proc.stdout, True), (self.proc.stderr, False)):
            t = threading.Thread(target=self._drain, args=(stream, is_stdout), daemon=True)
            t.start()
            self._threads.append(t)

        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not self._ready.wait(0.05):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                why = (f"exited with status {self.proc.returncode}" if self.proc.poll() is not None
                       else f"printed no 'oss-emulator listening on http://127.0.0.1:<port>' line "
                            f"within {STARTUP_TIMEOUT_S:.0f} s")
                self.stop()
                raise RuntimeError(
                    f"oss-emulator {why}.\ncommand: {' '.join(cmd)}\noutput:\n" + self.tail(60)
                )
        return self

    def tail(self, n: int = 40) -> str:
        with self._lock:
            return "\n".join(list(self.log)[-n:])

    def lines_since(self, count: int) -> str:
        with self._lock:
            new = self.log_count - count
            if new <= 0:
                return ""
            return "\n".join(list(self.log)[-min(new, len(self.log)):])

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        for t in self._threads:
            t.join(timeout=2)
        shutil.rmtree(self.data_dir, ignore_errors=True)


def emulator_binary() -> Path:
    path = Path(os.environ.get("OSS_EMULATOR_BIN") or DEFAULT_BIN)
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.exit(
            f"oss-emulator binary not found at {path}.\n"
            f"Build it first:  cargo build --release -p oss-emulator\n"
            f"(or point OSS_EMULATOR_BIN at an existing binary)",
            returncode=1,
        )
    return path


# --------------------------------------------------------------------------------------
# STS credentials and SDK clients
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StsCredentials:
    access_key_id: str
    access_key_secret: str
    security_token: str
    expiration: str


def fetch_sts(base_url: str) -> StsCredentials:
    resp = requests.get(f"{base_url}/sts", timeout=10)
    assert resp.status_code == 200, f"GET /sts -> {resp.status_code}: {resp.text[:500]}"
    body = resp.json()
    c = body["Credentials"]
    return StsCredentials(c["AccessKeyId"], c["AccessKeySecret"], c["SecurityToken"], c["Expiration"])


class HookedHttpClient(HttpClient):
    """The SDK's own requests transport, with a hook that runs after signing.

    The SDK signs the HttpRequest and then hands it to `send`; `mutate` can change
    the signed request (tamper a header, the Authorization, the URL) before it goes
    on the wire. `rewrite_host` maps virtual-hosted names like demo.localhost to
    127.0.0.1 while keeping the Host header, since *.localhost may not resolve here.
    """

    def __init__(self, mutate: Optional[Callable[[HttpRequest], None]] = None,
                 loopback_port: Optional[int] = None):
        self._inner = RequestsHttpClient()
        self.mutate = mutate
        self.loopback_port = loopback_port
        self.sent: list = []

    def send(self, request: HttpRequest, **kwargs) -> HttpResponse:
        if self.mutate is not None:
            self.mutate(request)
        if self.loopback_port is not None:
            m = re.match(r"^(https?)://([^/]+)(/.*)?$", request.url)
            if m and m.group(2) != f"127.0.0.1:{self.loopback_port}":
                request.headers["Host"] = m.group(2)
                request.url = f"{m.group(1)}://127.0.0.1:{self.loopback_port}{m.group(3) or '/'}"
        self.sent.append((request.method, request.url, dict(request.headers.items())))
        return self._inner.send(request, **kwargs)

    def open(self) -> None:
        self._inner.open()

    def close(self) -> None:
        self._inner.close()


class RecordingSignerV4(oss.signer.SignerV4):
    """The SDK's V4 signer, remembering what it signed (string to sign, canonical request)."""

    def __init__(self) -> None:
        self.string_to_sign: Optional[str] = None
        self.canonical_request: Optional[str] = None

    def _calc_canonical_request(self, signing_ctx, additional_headers=None) -> str:
        self.canonical_request = super()._calc_canonical_request(signing_ctx, additional_headers)
        return self.canonical_request

    def sign(self, signing_ctx) -> None:
        super().sign(signing_ctx)
        self.string_to_sign = signing_ctx.string_to_sign


def make_client(
    base_url: str,
    creds: StsCredentials,
    *,
    security_token: Optional[str] = "<from creds>",
    mutate: Optional[Callable[[HttpRequest], None]] = None,
    path_style: bool = True,
    endpoint: Optional[str] = None,
    retries: int = 1,
    signer: Optional[oss.signer.SignerV4] = None,
    signature_version: str = "v4",
) -> oss.Client:
    token = creds.security_token if security_token == "<from creds>" else security_token
    cfg = oss.config.load_default()
    cfg.credentials_provider = oss.credentials.StaticCredentialsProvider(
        creds.access_key_id, creds.access_key_secret, token
    )
    cfg.region = REGION
    cfg.endpoint = endpoint or base_url
    cfg.use_path_style = path_style
    cfg.signature_version = signature_version
    # One attempt: a rejected request must surface as-is, never be retried/re-signed.
    cfg.retry_max_attempts = retries
    port = int(base_url.rsplit(":", 1)[1])
    cfg.http_client = HookedHttpClient(mutate=mutate, loopback_port=port)
    client = oss.Client(cfg, signer=signer) if signer is not None else oss.Client(cfg)
    client.transport = cfg.http_client  # type: ignore[attr-defined]  # for tests: .sent log
    return client


# --------------------------------------------------------------------------------------
# Error helpers
# --------------------------------------------------------------------------------------


@dataclass
class OssError:
    status: int
    code: str
    ec: str
    fields: dict
    headers: dict
    raw: bytes

    def __str__(self) -> str:
        return (f"HTTP {self.status} {self.code} EC={self.ec} fields={self.fields!r} "
                f"body={self.raw[:800]!r}")


def sdk_error(fn: Callable, *args, **kwargs) -> OssError:
    """Run an SDK call that must fail with a service error; return that error."""
    try:
        result = fn(*args, **kwargs)
    except oss_exceptions.OperationError as e:
        inner = e.unwrap()
        if not isinstance(inner, oss_exceptions.ServiceError):
            raise AssertionError(f"expected a service error, got {inner!r}") from e
        return OssError(
            status=inner.status_code,
            code=inner.code or "",
            ec=inner.ec or "",
            fields=dict(inner.error_fileds or {}),
            headers={k.lower(): v for k, v in (inner.headers or {}).items()},
            raw=inner.snapshot or b"",
        )
    raise AssertionError(f"request unexpectedly succeeded: {getattr(result, 'status_code', result)!r}")


def http_error(resp: requests.Response) -> OssError:
    """Parse an OSS XML error from a raw HTTP response."""
    fields: dict = {}
    raw = resp.content or b""
    if raw:
        try:
            root = ET.fromstring(raw)
            if root.tag == "Error":
                fields = {child.tag: (child.text or "") for child in root}
        except ET.ParseError:
            pass
    return OssError(
        status=resp.status_code,
        code=fields.get("Code", ""),
        ec=fields.get("EC", "") or resp.headers.get("x-oss-ec", ""),
        fields=fields,
        headers={k.lower(): v for k, v in resp.headers.items()},
        raw=raw,
    )


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)
