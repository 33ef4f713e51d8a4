"""Scenario: the bare library alone (the yardstick of every ratio): a `websockets` broadcast
server, uvloop, compression off; burst deliveries/s and p99 at 20 events/s, 1000 clients."""

from __future__ import annotations

import asyncio

from . import _harness as h
from .common import Row
from .sound_fanout import Side, open_fleet

NAME = "library baseline (bare websockets)"


async def main(quick: bool) -> tuple[float, float]:
    with h.bare() as b:
        async with h.bare_publisher(b.url) as pub:
            side = Side(b.pid, b.url, [], pub)
            fl = await open_fleet(side, 1000)
            try:
                rate = (await side.burst(fl))["rate"]
                p99 = await side.latency(fl, 100 if quick else 200)
            finally:
                fl.close()
    return rate, p99


def run(quick: bool) -> list[Row]:
    rate, p99 = asyncio.run(main(quick))
    return [
        Row("bare: burst deliveries/s, 1000 clients", rate, "frames/s"),
        Row("bare: p99 latency at 20 events/s, 1000 clients", p99, "ms"),
    ]
