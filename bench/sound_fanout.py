"""Scenario: sound fan-out. Burst: 200 events in two batch requests of 100 to 1000
`/api/v1/ws` clients, against the bare library broadcasting the same number of frames of the
same size; 5 alternating runs on servers started once, median of each side; server CPU seconds
per delivery from /proc. Sweep (the charts): burst deliveries/s and p99 latency at 20 events/s
for 1, 100, 1000 and 5000 clients, both sides.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from . import _harness as h
from .common import Chart, Row, chart, median, ratio_row
from .latency import steady

NAME = "sound fan-out"
BURST, BATCH = 200, 100


class Side:
    """One server (listenpost or bare) with its publisher, and fleets opened on demand."""

    def __init__(self, pid: int, url: str, headers: list[str], publisher: Any) -> None:
        self.pid, self.url, self.headers, self.publisher = pid, url, headers, publisher
        self.seq = 0

    def seqs(self, n: int) -> list[int]:
        self.seq += n
        return list(range(self.seq - n, self.seq))

    async def burst(self, fl: h.Fleet) -> dict[str, float]:
        fl.mark()
        cpu = h.cpu_seconds(self.pid)
        start = time.monotonic()
        for _ in range(BURST // BATCH):
            await self.publisher.send(self.seqs(BATCH))
        report = await fl.wait_frames(BURST * fl.connected, 60)
        cpu = h.cpu_seconds(self.pid) - cpu
        end = max(report.last.values(), default=start)
        return {
            "rate": report.frames / max(end - start, 1e-9),
            "cpu_per_delivery": cpu / max(report.frames, 1),
            "duplicates": report.duplicates,
            "out_of_order": report.out_of_order,
        }

    async def latency(self, fl: h.Fleet, events: int) -> float:
        fl.mark()
        first = self.seq
        self.seq += events
        sent = await steady(self.publisher, events, 20.0, first)
        report = await fl.wait_frames(events * fl.connected, 30)
        values, _ = h.latencies(sent, report, fl.connected)
        return h.summary(values)["p99"]


@contextlib.asynccontextmanager
async def sides():
    with h.listenpost() as lp, h.bare() as b:
        pub = h.SoundPublisher(lp)
        try:
            async with h.bare_publisher(b.url) as bpub:
                yield {
                    "listenpost": Side(lp.pid, lp.ws("/api/v1/ws"), lp.headers, pub),
                    "bare": Side(b.pid, b.url, [], bpub),
                }
        finally:
            await pub.close()


async def open_fleet(side: Side, n: int) -> h.Fleet:
    fl = await asyncio.get_running_loop().run_in_executor(
        None, lambda: h.Fleet(side.url, n, side.headers)
    )
    await side.publisher.send(side.seqs(1))  # warm the path
    await fl.wait_frames(fl.connected, 10)
    return fl


async def main(quick: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"bursts": {"listenpost": [], "bare": []}, "sweep": {}}
    async with sides() as both:
        fleets = {name: await open_fleet(side, 1000) for name, side in both.items()}
        try:
            for _ in range(3 if quick else 5):
                for name in ("bare", "listenpost"):
                    out["bursts"][name].append(await both[name].burst(fleets[name]))
        finally:
            for fl in fleets.values():
                fl.close()
        for n in [1, 100, 1000] if quick else [1, 100, 1000, 5000]:
            for name, side in both.items():
                fl = await open_fleet(side, n)
                try:
                    rate = (await side.burst(fl))["rate"]
                    p99 = await side.latency(fl, 60 if quick else 100)
                finally:
                    fl.close()
                out["sweep"].setdefault(name, []).append((n, rate, p99))
    return out


def run(quick: bool) -> list[Row]:
    out = asyncio.run(main(quick))
    h.dump("sound_fanout", out)
    lp, bare = out["bursts"]["listenpost"], out["bursts"]["bare"]
    rate = median([r["rate"] for r in lp])
    bare_rate = median([r["rate"] for r in bare])
    cpu = median([r["cpu_per_delivery"] for r in lp]) * 1e6
    bare_cpu = median([r["cpu_per_delivery"] for r in bare]) * 1e6
    rows = [
        ratio_row("burst deliveries/s, 1000 clients (median) ≥ 1.0× bare", rate, bare_rate,
                  "frames/s", 1.0, True),
        ratio_row("server CPU per delivery ≤ 1.0× bare", cpu, bare_cpu, "µs", 1.0, False),
    ]
    dupes = sum(r["duplicates"] + r["out_of_order"] for r in lp)
    runs = ", ".join(f"{r['rate']:,.0f}" for r in lp)
    rows[0].note += f"; listenpost runs {runs}"
    if dupes:
        rows[0].note += f"; {dupes} duplicate or out-of-order frames"
    sweep = out["sweep"]
    chart(Chart("deliveries_vs_clients.png", "Burst deliveries/s vs clients", "clients",
                "frames/s", {k: [(n, r) for n, r, _ in v] for k, v in sweep.items()}, logx=True))
    chart(Chart("p99_vs_clients.png", "p99 latency at 20 events/s vs clients", "clients",
                "p99 (ms)", {k: [(n, p) for n, _, p in v] for k, v in sweep.items()}, logx=True))
    return rows
