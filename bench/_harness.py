"""Processes the fan-out scenarios drive: a listenpost server, the bare library's server, a
fleet of clients (bench/_clients.py), and publishers for each; plus RSS and CPU readings."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson

from .common import ROOT, percentile

TICK = os.sysconf("SC_CLK_TCK")
#: Settings a benchmark server needs: no per-address or per-key caps for 10,000 sockets.
LISTENPOST_ENV = {
    "LISTENPOST_MAX_CONNECTIONS_PER_IP": "0",
    "LISTENPOST_MAX_WEBSOCKETS_PER_KEY": "0",
    "LISTENPOST_CLIENT_QUEUE": "4096",
}


def raise_open_files(wanted: int = 65536) -> int:
    """Lift this process's open-file limit (servers and client fleets inherit it) toward
    `wanted`, as far as the hard limit allows; returns the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


raise_open_files()  # 10,000 sockets in a server and in a client process


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def _env() -> dict[str, str]:
    src = os.environ.get("BENCH_SRC", str(ROOT / "src"))  # BENCH_SRC: compare another tree
    path = os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])
    return {**os.environ, "PYTHONPATH": path}


@dataclass
class Report:
    frames: int
    last: dict[int, float]
    count: dict[int, int]
    duplicates: int
    out_of_order: int
    closed: dict[int, int]
    open: int


class Fleet:
    """N clients in a separate process."""

    def __init__(self, url: str, n: int, headers: list[str], subscribe: str | None = None) -> None:
        args = [sys.executable, "-m", "bench._clients", url, str(n)]
        for h in headers:
            args += ["--header", h]
        if subscribe:
            args += ["--subscribe", subscribe]
        self.proc = subprocess.Popen(
            args, cwd=ROOT, env=_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        line = self._line()
        if not line.startswith("ready"):
            raise RuntimeError(f"clients did not start: {line!r}")
        self.connected = int(line.split()[1])

    def _line(self) -> str:
        assert self.proc.stdout is not None
        return self.proc.stdout.readline().decode().strip()

    def _say(self, command: str) -> str:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command.encode() + b"\n")
        self.proc.stdin.flush()
        return self._line()

    def mark(self) -> None:
        self._say("mark")

    def report(self) -> Report:
        data = orjson.loads(self._say("report"))
        return Report(
            data["frames"],
            {int(k): v for k, v in data["last"].items()},
            {int(k): v for k, v in data["count"].items()},
            data["duplicates"],
            data["out_of_order"],
            {int(k): v for k, v in data["closed"].items()},
            data["open"],
        )

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._say("quit")
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    async def wait_frames(self, expected: int, timeout: float) -> Report:
        """Poll until `expected` frames arrived (or `timeout`); the last report."""
        deadline = time.monotonic() + timeout
        report = self.report()
        while report.frames < expected and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            report = self.report()
        return report


@contextlib.contextmanager
def fleet(url: str, n: int, headers: list[str], subscribe: str | None = None) -> Iterator[Fleet]:
    f = Fleet(url, n, headers, subscribe)
    try:
        yield f
    finally:
        f.close()


class Bare:
    """The bare library's broadcast server in its own process."""

    def __init__(self, ping: float = 20.0) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench._bare", "--ping", str(ping)],
            cwd=ROOT,
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # websockets logs every client's abrupt end
        )
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline())
        self.url = f"ws://127.0.0.1:{self.port}/"
        self.pid = self.proc.pid

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(15)


@contextlib.contextmanager
def bare(ping: float = 20.0) -> Iterator[Bare]:
    b = Bare(ping)
    try:
        yield b
    finally:
        b.stop()


class Listenpost:
    """A `listenpost serve` process (tests/support.Server) with a mic and a token."""

    def __init__(self, tmp: Path, **env: str) -> None:
        from support import Server  # tests/support.py

        pythonpath = _env()["PYTHONPATH"]  # BENCH_SRC decides which tree serves
        self.server = Server(tmp, PYTHONPATH=pythonpath, **{**LISTENPOST_ENV, **env}).start()
        assert self.server.proc is not None
        self.pid = self.server.proc.pid
        self.token = self.server.token()
        self.headers = [f"Authorization: Bearer {self.token}"]
        with self.server.client(self.token) as c:
            self.mic = c.post("/api/v1/mics", json={"name": "bench"}).json()["data"]["id"]

    def ws(self, path: str) -> str:
        return self.server.ws_base + path

    def stop(self) -> None:
        self.server.stop()


@contextlib.contextmanager
def listenpost(**env: str) -> Iterator[Listenpost]:
    with tempfile.TemporaryDirectory(prefix="perf-fanout-") as tmp:
        lp = Listenpost(Path(tmp), **env)
        try:
            yield lp
        finally:
            lp.stop()


def sound_item(mic: str, seq: int) -> dict[str, Any]:
    return {
        "mic_id": mic,
        "label_id": "crying",
        "confidence": 0.5,
        "noises": [float(seq)] + [60.0 + i for i in range(19)],  # the first carries the seq
    }


#: What the bare server broadcasts: about the size of a listenpost sound frame.
BARE_FRAME = (
    '{"id":"0123456789abcdef0123456789abcdef","mic":{"id":"m","name":"bench"},'
    '"label":{"id":"crying","name":"Crying"},"confidence":0.5,"sound_level":null,'
    '"noises":[{seq}.0,' + ",".join(f"{60.0 + i}" for i in range(19)) + '],"description":null,'
    '"audio_file":null,"suppressed":false,"is_read":false,"created_at":"2026-12-05T13:00:00Z"}'
)


class SoundPublisher:
    """POST /api/v1/events/batch; `send` returns the time the call started."""

    def __init__(self, lp: Listenpost) -> None:
        self.lp = lp
        self.http = httpx.AsyncClient(
            base_url=lp.server.base,
            headers={"Authorization": f"Bearer {lp.token}", "Content-Type": "application/json"},
            timeout=60,
        )

    async def send(self, seqs: list[int]) -> float:
        started = time.monotonic()
        body = {"events": [sound_item(self.lp.mic, s) for s in seqs]}
        r = await self.http.post("/api/v1/events/batch", content=orjson.dumps(body))
        if r.status_code >= 300:
            raise RuntimeError(f"ingest answered {r.status_code}: {r.text[:300]}")
        return started

    async def close(self) -> None:
        await self.http.aclose()


class BarePublisher:
    """One more client of the bare server whose messages it broadcasts to the others."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.ws: Any = None

    async def open(self) -> BarePublisher:
        from websockets.asyncio.client import connect

        self.ws = await connect(self.url, compression=None)
        await self.ws.recv()  # hello
        return self

    async def send(self, seqs: list[int]) -> float:
        started = time.monotonic()
        frames = [BARE_FRAME.replace("{seq}", str(s)) for s in seqs]
        await self.ws.send(frames[0] if len(frames) == 1 else "batch\n" + "\n".join(frames))
        return started

    async def close(self) -> None:
        await self.ws.close()


@contextlib.asynccontextmanager
async def bare_publisher(url: str) -> AsyncIterator[BarePublisher]:
    p = await BarePublisher(url).open()
    try:
        yield p
    finally:
        await p.close()


def latencies(sent: dict[int, float], report: Report, clients: int) -> tuple[list[float], int]:
    """Per event: last receipt minus send start (ms), for events every client received; and
    how many events some client missed."""
    out, missed = [], 0
    for seq, started in sent.items():
        if report.count.get(seq, 0) < clients:
            missed += 1
            continue
        out.append((report.last[seq] - started) * 1000)
    return out, missed


def summary(values: list[float]) -> dict[str, float]:
    return {"p50": percentile(values, 50), "p99": percentile(values, 99)}


def dump(name: str, data: Any) -> None:
    """Raw figures next to results.json, for whoever wants more than the table."""
    (ROOT / "bench" / f".raw_{name}.json").write_text(json.dumps(data, indent=1))


UNIT_ON: dict[str, Any] = {
    "type": "on",
    "on": {"sys_num": 3, "sys_name": "p25trunk", "unit": 806308, "unit_alpha_tag": "x"},
    "timestamp": 1686711527,
    "instance_id": "bench",
}
SUBSCRIBE_ALL = json.dumps({"action": "subscribe", "channels": ["*"]})


class MqttPublisher:
    """Trunk-recorder unit `on` messages (QoS 1) whose alpha tag carries the sequence."""

    def __init__(self, client: Any, prefix: str) -> None:
        self.client, self.prefix = client, prefix

    async def send(self, seqs: list[int]) -> float:
        started = time.monotonic()
        for seq in seqs:
            msg = copy.deepcopy(UNIT_ON)
            msg["on"]["unit"] = 1_000_000 + seq % 1_000_000
            msg["on"]["unit_alpha_tag"] = f"seq={seq}"
            await self.client.publish(f"{self.prefix}/units/p25trunk/on", json.dumps(msg), qos=1)
        return started


@contextlib.asynccontextmanager
async def radio_listenpost(**env: str) -> AsyncIterator[tuple[Listenpost, MqttPublisher]]:
    """A listenpost fed from Mosquitto on a topic prefix of its own, and its publisher."""
    import aiomqtt

    prefix = f"perf-fanout-{uuid.uuid4().hex[:8]}"
    topics = ",".join(f"{prefix}/{t}" for t in ("feeds/#", "units/#", "messages/#"))
    env = {
        "LISTENPOST_MQTT_URL": "mqtt://127.0.0.1:1883",
        "LISTENPOST_MQTT_TOPICS": topics,
        "LISTENPOST_MQTT_CLIENT_ID": prefix,
        **env,
    }
    with listenpost(**env) as lp:
        async with aiomqtt.Client("127.0.0.1", 1883, identifier=prefix + "-pub") as client:
            yield lp, MqttPublisher(client, prefix)
