"""Private Redis and NATS servers on random loopback ports, for tests that stop and restart
their bus (the shared ones on 6379 / 4222 serve every other test and are never touched)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import nats
from redis.asyncio import Redis
from support import free_port, service_missing


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def shared_url(kind: str) -> str:
    """The machine's shared bus server for `kind`; missing: skip locally, fail under CI."""
    if kind == "redis":
        if not port_open(6379):
            service_missing("Redis", "nothing listens on 127.0.0.1:6379")
        return "redis://127.0.0.1:6379/0"
    if not port_open(4222):
        service_missing("NATS", "nothing listens on 127.0.0.1:4222 (nats-server -js)")
    return "nats://127.0.0.1:4222"


class BusServer:
    """`redis-server` or `nats-server -js` on its own port and data directory."""

    def __init__(self, kind: str, data: Path) -> None:
        self.kind = kind
        self.data = data
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        binary = "redis-server" if kind == "redis" else "nats-server"
        if shutil.which(binary) is None:
            service_missing(binary, "not installed")
        self.binary = binary

    @property
    def url(self) -> str:
        return f"{self.kind}://127.0.0.1:{self.port}" + ("/0" if self.kind == "redis" else "")

    def start(self) -> BusServer:
        self.data.mkdir(parents=True, exist_ok=True)
        if self.kind == "redis":
            args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1"]
            args += ["--save", "", "--appendonly", "no", "--dir", str(self.data)]
        else:
            args = [self.binary, "-a", "127.0.0.1", "-p", str(self.port), "-js"]
            args += ["-sd", str(self.data)]
        log = open(self.data / "server.log", "ab")  # noqa: SIM115 (the process holds it)
        self.proc = subprocess.Popen(args, stdout=log, stderr=log)
        deadline = time.time() + 20
        while not port_open(self.port):
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"{self.binary} did not start: see {self.data}/server.log")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


async def forget(url: str, prefix: str) -> None:
    """Remove what a test left on a shared server."""
    if url.startswith("redis"):
        redis = Redis.from_url(url)
        keys = [k async for k in redis.scan_iter(match=f"{prefix}:*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()
    elif url.startswith("nats"):
        nc = await nats.connect(url)
        js = nc.jetstream()
        for info in await js.streams_info():
            if info.config.name.startswith(prefix):
                await js.delete_stream(info.config.name)
        await nc.close()
