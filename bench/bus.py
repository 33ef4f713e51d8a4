"""Bus figures on this machine: publish-to-receipt latency at a steady rate (p50/p99) and burst
throughput, one publisher and two reading nodes, for memory://, redis:// and nats://.

Run: `python bench/bus.py [--rate 200] [--seconds 5] [--burst 20000]` (the local Redis on 6379
and NATS on 4222; keys and streams get a fresh prefix and are removed afterwards).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import struct
import time
import uuid

from listenpost.bus.base import Bus, Message, from_url
from listenpost.bus.settings import BusOptions

URLS = ("memory://bench", "redis://127.0.0.1:6379/0", "nats://127.0.0.1:4222")


async def _nodes(url: str, prefix: str, on: list[list[float]]) -> list[Bus]:
    buses = []
    for i in range(3):  # the first publishes; all three read
        bus = from_url(url, BusOptions(prefix=prefix, node=f"bench-{i}", maxlen=100_000))
        arrivals = on[i]

        def handler(m: Message, arrivals: list[float] = arrivals) -> None:
            sent = struct.unpack("d", m.payload[:8])[0]
            arrivals.append(time.perf_counter() - sent)

        bus.subscribe(["bench"], handler)
        await bus.start()
        buses.append(bus)
    return buses


async def _case(url: str, rate: int, seconds: float, burst: int) -> str:
    prefix = f"lpbench{uuid.uuid4().hex[:8]}"
    got: list[list[float]] = [[], [], []]
    buses = await _nodes(url, prefix, got)
    pad = b"x" * 300  # about a radio frame
    steady = int(rate * seconds)
    for _ in range(steady):
        await buses[0].publish("bench", struct.pack("d", time.perf_counter()) + pad, b"k")
        await asyncio.sleep(1 / rate)
    while min(len(g) for g in got) < steady:
        await asyncio.sleep(0.01)
    lags = sorted(x for g in got for x in g)
    p50, p99 = statistics.median(lags), lags[int(len(lags) * 0.99)]
    for g in got:
        g.clear()
    start = time.perf_counter()
    for _ in range(burst):
        await buses[0].publish("bench", struct.pack("d", time.perf_counter()) + pad, b"k")
    while min(len(g) for g in got) < burst:
        await asyncio.sleep(0.005)
    per_second = burst / (time.perf_counter() - start)
    for bus in buses:
        await bus.stop()
    await _forget(url, prefix)
    return (
        f"{url:28s} steady {rate}/s: p50 {p50 * 1e3:6.2f} ms  p99 {p99 * 1e3:6.2f} ms   "
        f"burst {burst}: {per_second:9,.0f} msg/s to each of 3 nodes"
    )


async def _forget(url: str, prefix: str) -> None:
    if url.startswith("redis"):
        from redis.asyncio import Redis

        redis = Redis.from_url(url)
        await redis.delete(f"{prefix}:bench")
        await redis.aclose()
    elif url.startswith("nats"):
        import nats

        nc = await nats.connect(url)
        await nc.jetstream().delete_stream(f"{prefix}_bench")
        await nc.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--burst", type=int, default=20_000)
    args = parser.parse_args()
    for url in URLS:
        print(await _case(url, args.rate, args.seconds, args.burst), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
