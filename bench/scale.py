"""Scenario: one node vs three (docs/scale-out.md). Every topology runs on PostgreSQL and the
Redis bus, so only the number of nodes changes; each node has its own fleet of clients on
`/api/v1/ws` and takes its share of the ingest (events posted round-robin).

Two phases per topology: a steady 20 events/s (latency of an event = its last client's
receipt, on any node, minus the start of the POST that carried it) and a burst posted as fast
as the nodes answer (deliveries/s = frames received by all clients / time to the last one).

Run: `python -m bench scale [--quick]`, or `python -m bench.scale [--quick]` to print only.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from . import _harness as h
from .common import ROOT, Row

sys.path.insert(0, str(ROOT / "tests" / "cluster"))

NAME = "scale-out: 1 node vs 3 (PostgreSQL + Redis)"
RATE = 20.0
BATCH = 20  # events per POST in the burst
REDIS = "redis://127.0.0.1:6379/0"


async def _round_robin(pubs: list[Any], seqs: list[int], rate: float | None) -> dict[int, float]:
    """Send seq i through publisher i % n (batches of BATCH when `rate` is None)."""
    sent: dict[int, float] = {}
    tasks = []
    start = time.monotonic()

    async def one(pub: Any, batch: list[int]) -> None:
        began = await pub.send(batch)
        sent.update(dict.fromkeys(batch, began))

    step = 1 if rate else BATCH
    for i in range(0, len(seqs), step):
        if rate:
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(pubs[(i // step) % len(pubs)], seqs[i : i + step])))
    await asyncio.gather(*tasks)
    return sent


async def _reports(fleets: list[h.Fleet], events: int) -> list[h.Report]:
    return [await f.wait_frames(events * f.connected, 120) for f in fleets]


def _latencies(sent: dict[int, float], reports: list[h.Report], fleets: list[h.Fleet]) -> Any:
    values, missed = [], 0
    for seq, began in sent.items():
        if any(r.count.get(seq, 0) < f.connected for r, f in zip(reports, fleets, strict=True)):
            missed += 1
            continue
        values.append((max(r.last[seq] for r in reports) - began) * 1000)
    return values, missed


def topology(nodes: int, clients: int, events: int, burst: int) -> dict[str, float]:
    from cluster_support import Cluster

    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        env = {**h.LISTENPOST_ENV, "LISTENPOST_BUS_PREFIX": f"bench{uuid.uuid4().hex[:8]}"}
        cluster = Cluster(Path(tmp), size=nodes, bus_url=REDIS, **env).start()
        try:
            return asyncio.run(measure(cluster, clients, events, burst))
        finally:
            cluster.stop()


async def measure(cluster: Any, clients: int, events: int, burst: int) -> dict[str, float]:
    with ExitStack() as stack:
        token = cluster.nodes[0].token()
        with cluster.nodes[0].client(token) as c:
            mic = c.post("/api/v1/mics", json={"name": "bench"}).json()["data"]["id"]
        headers = [f"Authorization: Bearer {token}"]
        fleets = [
            stack.enter_context(h.fleet(n.ws_base + "/api/v1/ws", clients, headers))
            for n in cluster.nodes
        ]
        pubs = [
            h.SoundPublisher(SimpleNamespace(server=n, token=token, mic=mic))  # type: ignore[arg-type]
            for n in cluster.nodes
        ]
        try:
            await pubs[0].send([10**8])  # warm every path; not counted
            await _reports(fleets, 1)
            for f in fleets:
                f.mark()
            sent = await _round_robin(pubs, list(range(events)), RATE)
            reports = await _reports(fleets, events)
            values, missed = _latencies(sent, reports, fleets)
            for f in fleets:
                f.mark()
            seqs = list(range(events, events + burst))
            began = time.monotonic()
            await _round_robin(pubs, seqs, None)
            reports = await _reports(fleets, burst)
            frames = sum(r.frames for r in reports)
            last = max((t for r in reports for t in r.last.values()), default=began)
        finally:
            for p in pubs:
                await p.close()
    return {
        **h.summary(values),
        "missed": missed,
        "deliveries_per_s": frames / max(last - began, 1e-9),
        "clients": clients * len(fleets),
        "duplicates": sum(r.duplicates for r in reports),
    }


def run(quick: bool) -> list[Row]:
    clients, events, burst = (200, 100, 400) if quick else (500, 200, 1000)
    results = {n: topology(n, clients, events, burst) for n in (1, 3)}
    h.dump("scale", results)
    rows = []
    for n, r in results.items():
        note = f"{int(r['clients'])} clients in all ({clients} per node)"
        if r["missed"] or r["duplicates"]:
            note += f"; {r['missed']} events missed, {r['duplicates']} duplicates"
        rows.append(Row(f"{n} node(s): deliveries/s in a burst", r["deliveries_per_s"], "/s",
                        note=note))
        rows.append(Row(f"{n} node(s): p50 latency at {RATE:g} events/s", r["p50"], "ms"))
        rows.append(Row(f"{n} node(s): p99 latency at {RATE:g} events/s", r["p99"], "ms"))
    return rows


if __name__ == "__main__":
    for row in run("--quick" in sys.argv):
        print(f"{row.target:48} {row.measured:12.1f} {row.unit:4} {row.note}")
