"""Batch ingest on PostgreSQL: events/s persisted by 1 node, and by 3 nodes ingesting at once.

What ordered offsets cost (docs/scale-out.md, "Offsets in order"): every group commit takes
its stream's advisory lock, stores, publishes and waits for the bus before it lets go, so
nodes take turns. Real `listenpost serve` processes on a fresh PostgreSQL database and the
local Redis; 1000 events per request, 4 posters per node (spread over the nodes). Figures
are printed, never asserted; compare trees with `PYTHONPATH=<tree>/src` (the servers run
the tree the environment names) in the same run, median of several.

Run: `python bench/ingest_pg.py [--events 40000] [--nodes 1,3] [--repeat 3]`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import orjson

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / d) for d in ("tests", "")]
from support import Server, create_pg_database  # noqa: E402

from bench._poster import post_all  # noqa: E402

PER_REQUEST = 1000
POSTERS = 4  # per node


async def _post(bases: list[str], token: str, bodies: list[bytes]) -> int:
    """The bodies spread evenly over the nodes, POSTERS connections to each."""
    path = "/api/v1/events/batch"
    shares = [bodies[i :: len(bases)] for i in range(len(bases))]
    counts = await asyncio.gather(
        *(post_all(b, token, path, share, POSTERS) for b, share in zip(bases, shares, strict=True))
    )
    return sum(counts)


def run_once(nodes: int, events: int) -> float:
    url, drop = create_pg_database(prefix="bench_ingest")
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            "LISTENPOST_BUS_URL": "redis://127.0.0.1:6379/0",
            "LISTENPOST_BUS_PREFIX": f"lpbench{uuid.uuid4().hex[:8]}",
            "LISTENPOST_MAX_CONNECTIONS_PER_IP": "0",
        }
        servers = [Server(Path(tmp) / f"n{i}", url, **env) for i in range(nodes)]
        try:
            for srv in servers:
                srv.startup_timeout = 120.0
                srv.start()
            token = servers[0].token()
            with servers[0].client(token) as c:
                mic = c.post("/api/v1/mics", json={"name": "bench"}).json()["data"]["id"]
            item = {"mic_id": mic, "label_id": "crying", "confidence": 0.5, "noises": [61.5] * 8}
            body = orjson.dumps({"events": [item] * PER_REQUEST})
            start = time.perf_counter()
            acked = asyncio.run(_post([s.base for s in servers], token, [body] * (events // 1000)))
            seconds = time.perf_counter() - start
            with servers[0].client(token) as c:
                stored = c.get("/api/v1/events", params={"size": 1}).json()["total_cnt"]
            if stored != acked:
                raise RuntimeError(f"acknowledged {acked}, stored {stored}")
            return acked / seconds
        finally:
            for srv in servers:
                srv.stop()
            drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=40_000)
    parser.add_argument("--nodes", default="1,3")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for nodes in [int(n) for n in args.nodes.split(",")]:
        rates = [run_once(nodes, args.events) for _ in range(args.repeat)]
        shown = ", ".join(f"{r:,.0f}" for r in rates)
        print(
            f"{nodes} node(s): median {statistics.median(rates):,.0f} events/s persisted "
            f"({shown})",
            flush=True,
        )


if __name__ == "__main__":
    main()
