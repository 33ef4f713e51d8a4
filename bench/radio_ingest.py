"""Radio ingest benchmark: `rates` records/s with few and with many active calls.

Each stored record used to copy the whole active-call tracker for rollback, so one
`calls_active` with 20,000 entries made every later record slow (1,000 rate records took
41 s). With journaled rollback the cost is what a record changes. The processor runs in
process against a SQLite database in a temporary directory (the normaliser, store and event
building are all real; the bus has no subscribers).

Run: `python bench/radio_ingest.py [--records 1000] [--active 10,20000]`
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path

from listenpost.bus.memory import MemoryBus
from listenpost.radio.processor import RadioProcessor
from listenpost.radio.state import Limits
from listenpost.store.db import make_engine
from listenpost.store.migrations import migrate

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "trunk-recorder-mqtt"


def snapshot(n: int) -> bytes:
    msg = json.loads((FIXTURES / "calls_active.json").read_text())
    call = msg["calls"][0]
    msg["calls"] = [{**call, "id": f"2_{i}_1686699318", "talkgroup": i} for i in range(1, n + 1)]
    return json.dumps(msg).encode()


def rate(i: int) -> bytes:
    msg = json.loads((FIXTURES / "rates.json").read_text())
    msg["rates"] = msg["rates"][:1]
    msg["timestamp"] = 1686699024 + i
    return json.dumps(msg).encode()


async def run(active: int, records: int, batches: tuple[int, ...]) -> list[tuple[int, float]]:
    """One processor with `active` live calls; records/s for each batch size."""
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite+aiosqlite:///{tmp}/bench.db")
        await migrate(engine)
        limits = Limits(max_active_calls=max(active, 1), max_rate_systems=1000)
        proc = RadioProcessor(engine, MemoryBus(), tmp, limits)
        start = time.perf_counter()
        await proc.handle("feeds/calls_active", snapshot(active))
        print(f"  (calls_active with {active} calls stored in {time.perf_counter() - start:.1f} s)")
        assert len(proc.active.live) == active
        out = []
        for batch in batches:
            messages = [("feeds/rates", rate(i)) for i in range(records)]
            start = time.perf_counter()
            for i in range(0, records, batch):
                await proc.handle_batch(messages[i : i + batch])
            out.append((batch, records / (time.perf_counter() - start)))
        await engine.dispose()
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--active", default="10,20000", help="active-call counts to compare")
    args = parser.parse_args()
    results = []
    for active in (int(a) for a in args.active.split(",")):
        for batch, rps in asyncio.run(run(active, args.records, (1, 500))):
            results.append((active, batch, rps))
    print(f"{'active calls':>12} {'batch':>6} {'records/s':>10}")
    for active, batch, rps in results:
        print(f"{active:>12} {batch:>6} {rps:>10.0f}")


if __name__ == "__main__":
    main()
