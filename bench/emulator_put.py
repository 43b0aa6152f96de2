#!/usr/bin/env python3
"""Streaming PutObject throughput of the local OSS emulator on loopback.

Starts a release `oss-emulator` on a free port, takes STS credentials from its
GET /sts, presigns a V4 PUT URL with the official SDK (alibabacloud-oss-v2), and
streams a 1 GiB body to it from a native client (not a browser), N times.
Prints a markdown table (MB/s, GB/s per run and the median) and the machine.

    .venv/bin/python bench/emulator_put.py                 # both clients, both modes, 3 runs, 1 GiB
    .venv/bin/python bench/emulator_put.py --client curl   # curl -T from tmpfs
    .venv/bin/python bench/emulator_put.py --client both --runs 5 --size-mib 2048
    .venv/bin/python bench/emulator_put.py --mode md5      # only the OSS-faithful emulator

Clients:
  python  http.client: request line + headers, then the body sent with
          HTTPConnection.send() (socket.sendall) from a memoryview in 8 MiB slices.
  curl    `curl -T <file on /dev/shm>` with the presigned URL.

Target (issue 3): >= 1 GB/s, so the emulator is never the bottleneck of the
library's own benchmarks. 1 GB = 10^9 bytes, 1 MB = 10^6 bytes.
Needs: a release emulator (cargo build --release -p oss-emulator) and the venv of
tests/conformance/requirements.txt. Env OSS_EMULATOR_BIN overrides the binary path.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]
BUCKET = "demo"
REGION = "cn-hangzhou"
MIB = 1024 * 1024
CHUNK = 8 * MIB


# ----------------------------------------------------------------------------- machine

def machine_info() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "unknown"
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, AttributeError):
        pass
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "memory": mem,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


# ----------------------------------------------------------------------------- emulator

MODE_LABEL = {"md5": "default (MD5 ETag, as OSS)", "fast-etag": "--fast-etag (no MD5)"}


class Emulator:
    def __init__(self, binary: Path, data_dir: str, extra_args=None):
        self.binary = binary
        self.data_dir = data_dir
        self.extra_args = list(extra_args or [])
        self.proc = None
        self.base_url = None
        self.log_lines = 0
        self.tail: list = []

    def start(self) -> None:
        cmd = [str(self.binary), "--port", "0", "--bucket", BUCKET, "--region", REGION,
               "--sts-ttl", "3600", "--data-dir", self.data_dir, *self.extra_args]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        ready = threading.Event()

        def drain():
            for raw in iter(self.proc.stdout.readline, b""):
                line = raw.decode("utf-8", "replace").rstrip()
                self.log_lines += 1
                self.tail = (self.tail + [line])[-20:]
                m = re.search(r"oss-emulator listening on (http://127\.0\.0\.1:\d+)", line)
                if m and not ready.is_set():
                    self.base_url = m.group(1)
                    ready.set()

        threading.Thread(target=drain, daemon=True).start()
        if not ready.wait(30):
            self.stop()
            sys.exit("oss-emulator did not print its listening line within 30 s:\n"
                     + "\n".join(self.tail))

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


def sts_credentials(base_url: str) -> dict:
    with urllib.request.urlopen(f"{base_url}/sts", timeout=10) as r:
        return json.load(r)["Credentials"]


def presign_put(base_url: str, creds: dict, key: str) -> str:
    import datetime
    import alibabacloud_oss_v2 as oss

    cfg = oss.config.load_default()
    cfg.credentials_provider = oss.credentials.StaticCredentialsProvider(
        creds["AccessKeyId"], creds["AccessKeySecret"], creds["SecurityToken"])
    cfg.region = REGION
    cfg.endpoint = base_url
    cfg.use_path_style = True
    client = oss.Client(cfg)
    pre = client.presign(oss.PutObjectRequest(bucket=BUCKET, key=key),
                         expires=datetime.timedelta(hours=1))
    assert not pre.signed_headers, pre.signed_headers  # nothing extra to send
    return pre.url


# ----------------------------------------------------------------------------- clients

def put_python(url: str, body: memoryview) -> tuple:
    """Stream `body` as one PUT with http.client; return (seconds, status, headers).

    The body goes out with HTTPConnection.send() (socket.sendall) from a memoryview in
    8 MiB slices, so Python copies nothing itself.
    """
    u = urlsplit(url)
    target = u.path + ("?" + u.query if u.query else "")
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
    try:
        conn.connect()
        conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 * MIB)
        t0 = time.perf_counter()
        conn.putrequest("PUT", target, skip_accept_encoding=True)
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders()
        for off in range(0, len(body), CHUNK):
            conn.send(body[off:off + CHUNK])
        resp = conn.getresponse()
        resp.read()
        elapsed = time.perf_counter() - t0
        return elapsed, resp.status, {k.lower(): v for k, v in resp.getheaders()}
    finally:
        conn.close()


def _parse_head(resp: bytes) -> tuple:
    head = resp.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    lines = head.split("\r\n")
    status = int(lines[0].split()[1]) if lines and lines[0].startswith("HTTP/") else 0
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return status, headers


def put_curl(url: str, path: str) -> tuple:
    hdr_file = tempfile.NamedTemporaryFile(prefix="bench-hdr-", delete=False)
    hdr_file.close()
    try:
        # -H 'Expect:' so curl does not wait for 100-continue; --http1.1, no proxy.
        cmd = ["curl", "-sS", "--http1.1", "--noproxy", "*", "-H", "Expect:", "-T", path,
               "-o", "/dev/null", "-D", hdr_file.name, "-w", "%{time_total}", url]
        t0 = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - t0
        if out.returncode != 0:
            raise RuntimeError(f"curl failed ({out.returncode}): {out.stderr}")
        status, headers = _parse_head(Path(hdr_file.name).read_bytes())
        curl_time = float(out.stdout.strip() or wall)
        return curl_time, status, headers
    finally:
        os.unlink(hdr_file.name)


# ----------------------------------------------------------------------------- baselines

_SINK = r"""
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(4)
print(s.getsockname()[1], flush=True)
buf = memoryview(bytearray(1 << 20))
while True:
    c, _ = s.accept()
    head = b""
    while b"\r\n\r\n" not in head:
        head += c.recv(65536)
    h, _, rest = head.partition(b"\r\n\r\n")
    n = int([l.split(b":")[1] for l in h.split(b"\r\n") if l.lower().startswith(b"content-length")][0])
    got = len(rest)
    while got < n:
        k = c.recv_into(buf)
        if not k:
            break
        got += k
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    c.close()
"""


def loopback_ceiling(body: memoryview, runs: int) -> list:
    """Same python client against a discard-only sink: what loopback itself allows here."""
    proc = subprocess.Popen([sys.executable, "-c", _SINK], stdout=subprocess.PIPE)
    try:
        port = int(proc.stdout.readline())
        return [put_python(f"http://127.0.0.1:{port}/sink", body)[0] for _ in range(runs)]
    finally:
        proc.kill()
        proc.wait()


def md5_rate(body) -> float:
    n = min(len(body), 256 * MIB)
    t0 = time.perf_counter()
    hashlib.md5(body[:n]).digest()
    return n / (time.perf_counter() - t0) / 1e6


# ----------------------------------------------------------------------------- main

def make_body(size: int) -> bytearray:
    # Random 64 MiB block, tiled: incompressible enough, cheap to build.
    block = os.urandom(min(size, 64 * MIB))
    body = bytearray(size)
    for off in range(0, size, len(block)):
        n = min(len(block), size - off)
        body[off:off + n] = block[:n]
    return body


def crc64(data) -> str:
    from alibabacloud_oss_v2.crc import Crc64
    c = Crc64(0)
    for off in range(0, len(data), 64 * MIB):
        c.update(bytes(data[off:off + 64 * MIB]))
    return str(c.sum64())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--client", choices=["python", "curl", "both"], default="both")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--data-dir", default=None,
                    help="emulator --data-dir (default: a fresh directory on /dev/shm if it "
                         "exists, so the disk is not what is measured)")
    ap.add_argument("--mode", choices=["md5", "fast-etag", "both"], default="both",
                    help="emulator as OSS does it (MD5 ETag), with --fast-etag (benchmarks only: "
                         "no MD5), or both (default)")
    ap.add_argument("--no-verify", action="store_true", help="skip ETag/CRC64 checks")
    ap.add_argument("--no-baseline", action="store_true",
                    help="skip the loopback-sink and MD5 reference measurements")
    args = ap.parse_args()

    binary = Path(os.environ.get("OSS_EMULATOR_BIN") or REPO / "target" / "release" / "oss-emulator")
    if not binary.is_file():
        sys.exit(f"oss-emulator not found at {binary}: run `cargo build --release -p oss-emulator` "
                 f"(or set OSS_EMULATOR_BIN)")
    if args.client in ("curl", "both") and shutil.which("curl") is None:
        sys.exit("curl not found")

    size = args.size_mib * MIB
    shm = Path("/dev/shm")
    scratch_root = shm if shm.is_dir() else Path(tempfile.gettempdir())
    data_dir = args.data_dir or tempfile.mkdtemp(prefix="oss-emu-bench-", dir=scratch_root)
    body_path = None

    info = machine_info()
    print("# oss-emulator streaming PUT benchmark\n")
    print(f"- machine: {info['nproc']} CPUs, {info['cpu']}, {info['memory']} RAM, "
          f"Linux {info['kernel']}, Python {info['python']}, load average {info['load']} "
          f"(other work on the machine skews the figures)")
    print(f"- emulator: {binary}")
    print(f"- emulator data dir: {data_dir}")
    print(f"- body: {size} bytes ({args.size_mib} MiB), presigned V4 PUT, loopback, "
          f"{args.runs} runs per row\n")
    sys.stdout.flush()

    body = make_body(size)
    expect_md5 = expect_crc = None
    if not args.no_verify:
        expect_md5 = '"' + hashlib.md5(body).hexdigest().upper() + '"'
        expect_crc = crc64(body)

    clients = ["python", "curl"] if args.client == "both" else [args.client]
    modes = ["md5", "fast-etag"] if args.mode == "both" else [args.mode]
    results = {}
    view = memoryview(body)
    try:
        if "curl" in clients:
            fd, body_path = tempfile.mkstemp(prefix="bench-body-", dir=scratch_root)
            with os.fdopen(fd, "wb") as f:
                f.write(body)
        for mode in modes:
            extra = ["--fast-etag"] if mode == "fast-etag" else []
            emu = Emulator(binary, data_dir, extra)
            emu.start()
            try:
                creds = sts_credentials(emu.base_url)
                for name in clients:
                    times = []
                    for i in range(args.runs):
                        key = f"bench/put-{mode}-{name}-{i}.bin"
                        url = presign_put(emu.base_url, creds, key)
                        if name == "python":
                            secs, status, headers = put_python(url, view)
                        else:
                            secs, status, headers = put_curl(url, body_path)
                        if status != 200:
                            raise RuntimeError(f"{name} run {i}: HTTP {status} {headers}\n"
                                               + "\n".join(emu.tail))
                        # --fast-etag replaces the MD5 ETag by design; the CRC-64 still holds.
                        if expect_md5 and mode == "md5" and headers.get("etag") != expect_md5:
                            raise RuntimeError(f"ETag {headers.get('etag')} != {expect_md5}")
                        if expect_crc and headers.get("x-oss-hash-crc64ecma") != expect_crc:
                            raise RuntimeError(
                                f"CRC64 {headers.get('x-oss-hash-crc64ecma')} != {expect_crc}")
                        times.append(secs)
                        # Free the stored copy so tmpfs does not fill up across runs.
                        for p in Path(data_dir).rglob("*"):
                            if p.is_file() and p.stat().st_size >= size:
                                p.unlink()
                    results[f"{name}, emulator {MODE_LABEL[mode]}"] = times
            finally:
                emu.stop()
        if not args.no_baseline:
            results["python → discard sink (no emulator; loopback ceiling)"] = \
                loopback_ceiling(view, args.runs)
    finally:
        if body_path:
            os.unlink(body_path)
        if args.data_dir is None:
            shutil.rmtree(data_dir, ignore_errors=True)

    print("| client | run 1 | run 2 | run 3 | median MB/s | median GB/s | target ≥ 1 GB/s |"
          if args.runs == 3 else
          "| client | " + " | ".join(f"run {i + 1}" for i in range(args.runs))
          + " | median MB/s | median GB/s | target ≥ 1 GB/s |")
    print("|---" * (args.runs + 4) + "|")
    for name, times in results.items():
        rates = [size / t / 1e6 for t in times]
        med = statistics.median(rates)
        cells = [f"{r:,.0f} MB/s ({t:.2f} s)" for r, t in zip(rates, times)]
        ok = ("yes" if med >= 1000 else "NO") if "sink" not in name else "n/a"
        print(f"| {name} | " + " | ".join(cells) + f" | {med:,.0f} | {med / 1000:.2f} | {ok} |")
    if not args.no_baseline:
        print(f"\nReference: MD5 (the PutObject ETag) on one core of this CPU, Python hashlib: "
              f"{md5_rate(body):,.0f} MB/s — a single PUT that computes it inline cannot go faster.")
    print("\nMB = 10^6 bytes, GB = 10^9 bytes; time = first request byte sent to response received"
          + (", x-oss-hash-crc64ecma verified on every run, ETag = MD5 verified in the default mode"
             if not args.no_verify else "") + ".")
    return 0


if __name__ == "__main__":
    sys.exit(main())
