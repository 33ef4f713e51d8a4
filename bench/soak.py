"""Soak run (on demand, not a test): does a server stay flat and lose nothing for half an hour?

For `--minutes` (30; `--quick` is 5) it runs, against one `listenpost serve` process on SQLite
with MQTT ingest from the local Mosquitto (127.0.0.1:1883):
* WebSocket clients connecting, reading for a few seconds and disconnecting, on `/api/v1/ws`
  and on `/api/ws` (subscribed to `*`), `--churners` at a time;
* steady sound ingest, `POST /api/v1/events/batch`, `--sound-rate` events/s;
* steady MQTT ingest, one QoS-1 unit `on` message per new unit id, `--mqtt-rate` messages/s;
* one SIGTERM restart of the server half-way (same port, data and database).

It samples the server's RSS, prints it over time, and says whether it stayed within 10 % after
warm-up in each server lifetime; then it compares what was acknowledged (a 201 with event ids,
a broker PUBACK) with what the REST API holds at the end.

Run: `python bench/soak.py [--quick]`. Needs Mosquitto on 127.0.0.1:1883.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import signal
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiomqtt
import httpx
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support import SHARED, Server  # noqa: E402

UNIT_ON = SHARED / "fixtures" / "trunk-recorder-mqtt" / "unit_on.json"
WARMUP_SHARE = 0.25  # of each server lifetime, before RSS is expected to be flat


@dataclass
class Tally:
    """What the load generators saw; compared with the store at the end."""

    sound_acked: set[str] = field(default_factory=set)
    sound_refused: int = 0
    units_acked: set[int] = field(default_factory=set)
    mqtt_failed: int = 0
    ws_sessions: int = 0
    ws_frames: int = 0
    ws_failures: int = 0
    rss: list[tuple[float, int, int]] = field(default_factory=list)  # (t, lifetime, KiB)
    exit_codes: list[int | None] = field(default_factory=list)
    downtime: float = 0.0  # seconds from SIGTERM until the new server answered /health


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def sound_ingest(base: str, token: str, mic: str, rate: float, tally: Tally) -> None:
    """Batches of 10 events at `rate` events/s; only a 201's ids count as acknowledged."""
    batch = [{"mic_id": mic, "label_id": "crying", "confidence": 0.5, "noises": [70.0]}] * 10
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        headers = {"Authorization": f"Bearer {token}"}
        while True:
            started = time.monotonic()
            try:
                r = await client.post(
                    "/api/v1/events/batch", json={"events": batch}, headers=headers
                )
                if r.status_code == 201:
                    tally.sound_acked.update(e["id"] for e in r.json()["data"])
                else:
                    tally.sound_refused += 1
            except httpx.HTTPError:
                tally.sound_refused += 1
            await asyncio.sleep(max(0.0, len(batch) / rate - (time.monotonic() - started)))


async def mqtt_ingest(prefix: str, rate: float, tally: Tally) -> None:
    """One unit `on` per new unit id; a PUBACK from the broker is the acknowledgement."""
    template = json.loads(UNIT_ON.read_text())
    unit = 5_000_000
    while True:
        try:
            async with aiomqtt.Client("127.0.0.1", 1883, identifier=f"soak-{prefix}") as client:
                while True:
                    unit += 1
                    template["on"]["unit"] = unit
                    template["timestamp"] = int(time.time())
                    topic = f"{prefix}/units/p25trunk/on"
                    await client.publish(topic, json.dumps(template), qos=1)
                    tally.units_acked.add(unit)
                    await asyncio.sleep(1 / rate)
        except aiomqtt.MqttError:
            tally.mqtt_failed += 1
            await asyncio.sleep(1)


async def churner(ws_base: str, token: str, tally: Tally) -> None:
    """Connect, read for 1-5 s, disconnect; forever, alternating the two streams."""
    headers = {"Authorization": f"Bearer {token}"}
    while True:
        radio = random.random() < 0.5
        path = "/api/ws" if radio else "/api/v1/ws"
        try:
            async with websockets.connect(ws_base + path, additional_headers=headers) as ws:
                tally.ws_sessions += 1
                if radio:
                    await ws.send(json.dumps({"action": "subscribe", "channels": ["*"]}))
                until = time.monotonic() + random.uniform(1, 5)
                while (left := until - time.monotonic()) > 0:
                    try:
                        await asyncio.wait_for(ws.recv(), left)
                        tally.ws_frames += 1
                    except TimeoutError:
                        break
        except (OSError, websockets.WebSocketException):
            tally.ws_failures += 1
            await asyncio.sleep(0.5)


async def sample_rss(srv: Server, every: float, tally: Tally) -> None:
    """Every `every` s; a lifetime is one server process (numbered by pid, in order)."""
    start = time.monotonic()
    pids: list[int] = []
    while True:
        proc = srv.proc
        if proc is not None and proc.poll() is None:
            if proc.pid not in pids:
                pids.append(proc.pid)
            life = pids.index(proc.pid) + 1
            tally.rss.append((time.monotonic() - start, life, rss_kib(proc.pid)))
        await asyncio.sleep(every)


def restart(srv: Server, tally: Tally) -> None:
    """SIGTERM, wait for the exit (its status is reported), start again on the same port."""
    assert srv.proc is not None
    stopped = time.monotonic()
    srv.proc.send_signal(signal.SIGTERM)
    try:
        tally.exit_codes.append(srv.proc.wait(60))
    except Exception:
        srv.proc.kill()
        tally.exit_codes.append(None)
    srv.start()
    tally.downtime = time.monotonic() - stopped


def stored_ids(base: str, token: str, path: str, key: str, **params: Any) -> set[Any]:
    found: set[Any] = set()
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as c:
        page = 1
        while True:
            got = c.get(path, params={"size": 100, "page": page, **params}, timeout=30).json()
            found |= {row[key] for row in got["results" if "results" in got else "data"]}
            if page >= got["max_page"]:
                return found
            page += 1


def flatness(tally: Tally) -> list[str]:
    lines = []
    for life in sorted({s[1] for s in tally.rss}):
        samples = [(t, kib) for t, life_, kib in tally.rss if life_ == life]
        if len(samples) < 4:
            continue
        settled = samples[int(len(samples) * WARMUP_SHARE) :]
        first, peak, last = settled[0][1], max(k for _, k in settled), settled[-1][1]
        growth = (peak - first) / first * 100
        verdict = "flat" if growth <= 10 else "GROWING"
        lines.append(
            f"lifetime {life}: after warm-up {first / 1024:.0f} MiB -> peak {peak / 1024:.0f} "
            f"MiB, last {last / 1024:.0f} MiB ({growth:+.1f} %, {verdict} within 10 %)"
        )
    return lines


async def soak(args: argparse.Namespace, data: Path) -> Tally:
    prefix = f"soak{uuid.uuid4().hex[:8]}"
    topics = ",".join(f"{prefix}/{t}" for t in ("feeds/#", "units/#", "messages/#"))
    srv = Server(
        data,
        LISTENPOST_MQTT_URL="mqtt://127.0.0.1:1883",
        LISTENPOST_MQTT_TOPICS=topics,
        LISTENPOST_MQTT_CLIENT_ID=f"listenpost-{prefix}",
    ).start()
    tally = Tally()
    try:
        token = srv.token()
        with srv.client(token) as c:
            mic = c.post("/api/v1/mics", json={"name": "soak", "edge_id": "soak"}).json()
        seconds = args.minutes * 60
        every = max(2.0, seconds / 120)
        tasks = [
            asyncio.create_task(sample_rss(srv, every, tally)),
            asyncio.create_task(
                sound_ingest(srv.base, token, mic["data"]["id"], args.sound_rate, tally)
            ),
            asyncio.create_task(mqtt_ingest(prefix, args.mqtt_rate, tally)),
        ] + [asyncio.create_task(churner(srv.ws_base, token, tally)) for _ in range(args.churners)]
        started = time.monotonic()
        await asyncio.sleep(seconds / 2)
        print(f"[{time.monotonic() - started:6.0f} s] SIGTERM restart", flush=True)
        await asyncio.to_thread(restart, srv, tally)
        await asyncio.sleep(seconds / 2)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.sleep(10)  # let the last MQTT records be stored
        stored = stored_ids(srv.base, token, "/api/v1/events", "id", mic_id=mic["data"]["id"])
        lost_sound = tally.sound_acked - stored
        units = stored_ids(srv.base, token, "/api/v1/units", "unit_id")
        lost_units = tally.units_acked - units
        print_report(
            args,
            tally,
            len(stored),
            len(lost_sound),
            len(units & tally.units_acked),
            len(lost_units),
        )
    finally:
        srv.stop()
    return tally


def print_report(
    args: argparse.Namespace, tally: Tally, stored: int, lost: int, units: int, lost_units: int
) -> None:
    print(
        f"\nsoak: {args.minutes:g} min, {args.churners} churning WebSocket clients, "
        f"{args.sound_rate:g} sound events/s, {args.mqtt_rate:g} MQTT messages/s"
    )
    print("RSS over time (s, lifetime, MiB):")
    for t, life, kib in tally.rss[:: max(1, len(tally.rss) // 30)]:
        print(f"  {t:7.0f}  {life}  {kib / 1024:7.1f}")
    for line in flatness(tally):
        print(line)
    print(f"SIGTERM exit status: {tally.exit_codes}, down for {tally.downtime:.1f} s")
    print(
        f"sound: acknowledged {len(tally.sound_acked)}, stored {stored}, acknowledged but "
        f"missing {lost}, batches refused or failed {tally.sound_refused}"
    )
    print(
        f"mqtt: acknowledged by broker {len(tally.units_acked)}, stored {units}, missing "
        f"{lost_units}, publisher reconnects {tally.mqtt_failed}"
    )
    print(
        f"websocket: {tally.ws_sessions} sessions, {tally.ws_frames} frames, "
        f"{tally.ws_failures} failed connects"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--quick", action="store_true", help="5 minutes")
    parser.add_argument("--churners", type=int, default=10)
    parser.add_argument("--sound-rate", type=float, default=20.0)
    parser.add_argument("--mqtt-rate", type=float, default=20.0)
    args = parser.parse_args()
    if args.quick:
        args.minutes = 5.0
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(soak(args, Path(tmp)))


if __name__ == "__main__":
    main()
