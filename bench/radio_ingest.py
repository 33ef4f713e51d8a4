"""Radio (MQTT) ingest benchmark: records/s persisted with few and with many active calls.

The processor runs in process against SQLite in a temporary directory (normaliser, store and
event building all real; the bus has no subscribers), fed the way the MQTT shell feeds it:
batches of `--batch` messages (LISTENPOST_MQTT_BATCH_SIZE, 200 by default), one transaction
each. First a `calls_active` snapshot makes `active` calls live; then `--records` messages of
a busy site: unit `call`/`join`/`end` messages, `call_start`/`call_end` pairs and `rates`,
spread over 2,000 units and 300 talkgroups (a few new ones keep appearing).

Before journaled rollback each record copied the active-call tracker (1,000 rate records took
41 s after a 20,000-call snapshot); the figure should not depend on `active` at all.

Run: `python bench/radio_ingest.py [--quick] [--records 5000] [--active 10,1000,10000]`
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from listenpost.bus.memory import MemoryBus
from listenpost.radio.processor import RadioProcessor
from listenpost.radio.state import Limits
from listenpost.store.db import make_engine
from listenpost.store.migrations import migrate

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "trunk-recorder-mqtt"
T0 = 1_701_185_000


def _fixture(name: str) -> dict[str, Any]:
    return dict(json.loads((FIXTURES / name).read_text()))


def snapshot(n: int) -> bytes:
    msg = _fixture("calls_active.json")
    call = msg["calls"][0]
    msg["calls"] = [
        {**call, "id": f"9_{i}_{T0}", "talkgroup": 10_000 + i, "unit": 5_000_000 + i}
        for i in range(1, n + 1)
    ]
    msg["timestamp"] = T0
    return json.dumps(msg).encode()


class Site:
    """A deterministic stream of (topic, payload) messages of a busy site."""

    def __init__(self) -> None:
        self.units = {k: _fixture(f"unit_{k}.json") for k in ("call", "join", "end")}
        self.start = _fixture("call_start.json")
        self.end = _fixture("call_end.json")
        self.rates = _fixture("rates.json")
        self.rates["rates"] = self.rates["rates"][:1]

    def message(self, i: int) -> tuple[str, bytes]:
        t = T0 + 60 + i // 20
        unit = 800_000 + (i * 7919) % 2000 + (i // 1000)  # a new unit now and then
        tg = 100 + (i * 31) % 300
        kind = i % 6
        if kind in (0, 1, 2):
            name = ("call", "join", "end")[kind]
            msg = self.units[name]
            body = msg[name]
            body.update(unit=unit, talkgroup=tg, sys_name="p25trunk")
            msg["timestamp"] = t
            return f"units/p25trunk/{name}", json.dumps(msg).encode()
        if kind in (3, 4):
            n = i // 6 - (0 if kind == 3 else 2)  # ends the call started two cycles before
            msg = self.start if kind == 3 else self.end
            call = msg["call"]
            call.update(id=f"3_{tg}_{T0 + n}", talkgroup=tg, unit=unit, start_time=T0 + n)
            call["sys_name"] = "p25trunk"
            msg["timestamp"] = t
            return ("feeds/call_start" if kind == 3 else "feeds/call_end"), json.dumps(msg).encode()
        self.rates["timestamp"] = t
        return "feeds/rates", json.dumps(self.rates).encode()


@dataclass
class Figure:
    active: int
    batch: int
    records: int
    seconds: float
    snapshot_seconds: float

    @property
    def rate(self) -> float:
        return self.records / self.seconds

    def line(self) -> str:
        return (
            f"{self.active:>6} active calls, batch {self.batch:>3}: {self.rate:>8,.0f} records/s "
            f"({self.records:,} in {self.seconds:.2f} s; snapshot stored in "
            f"{self.snapshot_seconds:.1f} s)"
        )


async def run_one(active: int, records: int, batch: int) -> Figure:
    """One processor with `active` live calls; records/s through `handle_batch`."""
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite+aiosqlite:///{tmp}/bench.db")
        await migrate(engine)
        limits = Limits(max_active_calls=max(active, 1000), max_rate_systems=1000)
        proc = RadioProcessor(engine, MemoryBus(), tmp, limits)
        site = Site()
        await proc.handle_batch([site.message(i) for i in range(-600, 0)])  # warm: known units
        start = time.perf_counter()
        await proc.handle("feeds/calls_active", snapshot(active))
        snap = time.perf_counter() - start
        assert len(proc.active.live) >= active
        messages = [site.message(i) for i in range(records)]
        start = time.perf_counter()
        for i in range(0, records, batch):
            await proc.handle_batch(messages[i : i + batch])
        elapsed = time.perf_counter() - start
        await engine.dispose()
        return Figure(active, batch, records, elapsed, snap)


def run(
    quick: bool,
    actives: list[int] | None = None,
    batches: list[int] | None = None,
    records: int | None = None,
) -> list[Figure]:
    out = []
    for active in actives or [10, 1000, 10_000]:
        for batch in batches or [200]:
            n = records or (2000 if quick else 6000)
            figure = asyncio.run(run_one(active, n if batch > 1 else n // 4, batch))
            print(figure.line(), flush=True)
            out.append(figure)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--records", type=int, default=None)
    parser.add_argument("--active", default="10,1000,10000", help="active-call counts")
    parser.add_argument("--batch", default="200", help="batch sizes, e.g. 1,200")
    args = parser.parse_args()
    run(
        args.quick,
        [int(a) for a in args.active.split(",")],
        [int(b) for b in args.batch.split(",")],
        args.records,
    )


if __name__ == "__main__":
    main()
