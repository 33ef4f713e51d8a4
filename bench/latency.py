"""Scenario: latency at a steady rate. One event per ingest call at 20 events/s to N = 1000
clients; latency of an event = its last client's receipt minus the call's start. Against the
bare library broadcasting frames of the same size at the same rate, in the same run.

Sound: `POST /api/v1/events/batch` with one event → `/api/v1/ws`. Radio: one trunk-recorder
unit `on` message published to Mosquitto (QoS 1) → `/api/ws` subscribed to everything.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from . import _harness as h
from .common import Row, ratio_row

NAME = "latency at 20 events/s"
RATE = 20.0


async def steady(publisher: Any, events: int, rate: float, first: int = 0) -> dict[int, float]:
    """Send one event per call at `rate`/s without waiting for answers; seq -> send start."""
    sent: dict[int, float] = {}
    tasks = []
    start = time.monotonic()

    async def one(seq: int) -> None:
        sent[seq] = await publisher.send([seq])

    for i in range(events):
        delay = start + i / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(first + i)))
    await asyncio.gather(*tasks)
    return sent


async def measure(fl: h.Fleet, publisher: Any, events: int, rate: float) -> dict[str, float]:
    await publisher.send([10**8])  # warm the path; not counted
    await fl.wait_frames(fl.connected, 10)
    fl.mark()
    sent = await steady(publisher, events, rate)
    report = await fl.wait_frames(events * fl.connected, 30)
    deadline = time.monotonic() + 10  # more frames than events (radio): wait for each event
    while time.monotonic() < deadline and any(
        report.count.get(seq, 0) < fl.connected for seq in sent
    ):
        await asyncio.sleep(0.2)
        report = fl.report()
    values, missed = h.latencies(sent, report, fl.connected)
    return {**h.summary(values), "missed": missed, "duplicates": report.duplicates}


async def sound_listenpost(clients: int, events: int, rate: float) -> dict[str, float]:
    with h.listenpost() as lp, h.fleet(lp.ws("/api/v1/ws"), clients, lp.headers) as fl:
        pub = h.SoundPublisher(lp)
        try:
            return await measure(fl, pub, events, rate)
        finally:
            await pub.close()


async def bare(clients: int, events: int, rate: float) -> dict[str, float]:
    with h.bare() as b, h.fleet(b.url, clients, []) as fl:
        async with h.bare_publisher(b.url) as pub:
            return await measure(fl, pub, events, rate)


async def radio_listenpost(clients: int, events: int, rate: float) -> dict[str, float]:
    async with h.radio_listenpost() as (lp, publisher):
        with h.fleet(lp.ws("/api/ws"), clients, lp.headers, h.SUBSCRIBE_ALL) as fl:
            return await measure(fl, publisher, events, rate)


def run(quick: bool) -> list[Row]:
    clients, events = 1000, (200 if quick else 400)
    rows: list[Row] = []
    raw: dict[str, Any] = {}
    for name, lp_run in (("sound", sound_listenpost), ("radio", radio_listenpost)):
        b = asyncio.run(bare(clients, events, RATE))
        lp = asyncio.run(lp_run(clients, events, RATE))
        raw[name] = {"listenpost": lp, "bare": b}
        where = "/api/v1/ws" if name == "sound" else "/api/ws (MQTT)"
        rows.append(ratio_row(f"{where} p50, 1000 clients, ≤ 1.5× bare", lp["p50"], b["p50"],
                              "ms", 1.5, False))
        rows.append(ratio_row(f"{where} p99, 1000 clients, ≤ 2× bare", lp["p99"], b["p99"],
                              "ms", 2.0, False))
        if lp["missed"] or lp["duplicates"]:
            rows[-1].note += f"; {lp['missed']} events missed, {lp['duplicates']} duplicates"
    h.dump("latency", raw)
    return rows
