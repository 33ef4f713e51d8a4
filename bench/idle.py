"""Scenario: memory per idle authenticated connection, 10,000 connections, keep-alives running
(every 2 s here, so several rounds pass while connected), then one event each must receive.

Server RSS after the connections settle minus RSS before they opened, divided by their count;
`/api/v1/ws`, `/api/ws` (subscribed to everything, fed from MQTT) and the bare library, each
in its own server process in the same run. The chart shows RSS against connections.

listenpost's WebSocket pings (tr-engine's 54 s, not configurable) also run on every connection,
so the final reading of a listenpost server waits until each connection has had a ping
answered (`PING_ROUND` after the last ones opened); the bare server pings every 2 s itself.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from . import _harness as h
from .common import Chart, Row, absolute_row, chart

NAME = "idle connections"
KEEPALIVE = 2.0
TARGET_KIB = 20.0
PING_ROUND = 54.0 + 6.0  # uvicorn ws_ping_interval + ws_ping_timeout (serving.py)


async def _grow(pid: int, open_fleet: Callable[[int], Any], steps: list[int]) -> tuple[list, list]:
    """Open fleets until `steps[-1]` connections; (connections, RSS MiB) points, fleets."""
    points = [(0, h.rss_kib(pid) / 1024)]
    fleets = []
    total = 0
    for step in steps:
        fleets.append(open_fleet(step - total))
        total = step
        await asyncio.sleep(KEEPALIVE * 1.5)  # a few keep-alive rounds
        points.append((sum(f.connected for f in fleets), h.rss_kib(pid) / 1024))
    return points, fleets


async def _measure(pid: int, open_fleet: Callable[[int], Any], publisher: Any,
                   steps: list[int], ping_round: float = 0.0) -> dict[str, Any]:
    await asyncio.sleep(1)
    points, fleets = await _grow(pid, open_fleet, steps)
    grown = points[-1][1]
    if ping_round:  # every connection pinged and answered at least once
        await asyncio.sleep(max(0.0, ping_round - KEEPALIVE * 1.5))
        points[-1] = (sum(f.connected for f in fleets), h.rss_kib(pid) / 1024)
    try:
        for f in fleets:
            f.mark()
        await publisher.send([7])
        got = 0
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            got = sum(f.report().count.get(7, 0) for f in fleets)
            if got >= points[-1][0]:
                break
            await asyncio.sleep(0.5)
    finally:
        for f in fleets:
            f.close()
    connected = points[-1][0]
    per = (points[-1][1] - points[0][1]) * 1024 / max(connected, 1)
    return {"points": points, "connected": connected, "kib_per_conn": per, "received": got,
            "rss_mib_before_ping_round": grown}


async def bare(steps: list[int]) -> dict[str, Any]:
    with h.bare(ping=KEEPALIVE) as b:
        async with h.bare_publisher(b.url) as pub:
            return await _measure(b.pid, lambda n: h.Fleet(b.url, n, []), pub, steps)


async def sound(steps: list[int]) -> dict[str, Any]:
    with h.listenpost(LISTENPOST_KEEPALIVE=str(KEEPALIVE)) as lp:
        pub = h.SoundPublisher(lp)
        try:
            url = lp.ws("/api/v1/ws")
            fleet = lambda n: h.Fleet(url, n, lp.headers)  # noqa: E731
            return await _measure(lp.pid, fleet, pub, steps, PING_ROUND)
        finally:
            await pub.close()


async def radio(steps: list[int]) -> dict[str, Any]:
    async with h.radio_listenpost(LISTENPOST_KEEPALIVE=str(KEEPALIVE)) as (lp, pub):
        url = lp.ws("/api/ws")
        return await _measure(
            lp.pid, lambda n: h.Fleet(url, n, lp.headers, h.SUBSCRIBE_ALL), pub, steps, PING_ROUND
        )


def run(quick: bool) -> list[Row]:
    steps = [1000, 2500, 5000] if quick else [1000, 2500, 5000, 7500, 10000]
    results = {"bare": asyncio.run(bare(steps))}
    results["/api/v1/ws"] = asyncio.run(sound(steps))
    results["/api/ws"] = asyncio.run(radio(steps))
    h.dump("idle", results)
    chart(Chart("rss_vs_connections.png", "Server RSS vs idle connections", "connections",
                "RSS (MiB)", {k: v["points"] for k, v in results.items()}))
    base = results["bare"]["kib_per_conn"]
    rows = []
    for where in ("/api/v1/ws", "/api/ws"):
        r = results[where]
        row = absolute_row(f"{where}: KiB per idle connection at {r['connected']:,} ≤ 20",
                           r["kib_per_conn"], "KiB", TARGET_KIB, False, bare=base)
        if r["received"] < r["connected"]:
            row.met = False
            row.note += f"; only {r['received']:,} of {r['connected']:,} got the event"
        rows.append(row)
    return rows
