"""Radio records stored a batch at a time leave exactly what storing them one message per
transaction leaves: the same rows in every radio table (ids included) and the same events.

The batch path keeps call rows in memory and writes them just before the commit (ids handed
out without an INSERT, `radio/known_calls.py`), so these streams mix what could tell the two
apart: a call started and ended in one batch, re-sent ends, ends of calls never started,
audio for calls of the same batch, snapshots that start calls and end vanished ones. The
processor runs in process on SQLite and on PostgreSQL; its clock is fixed.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mqtt_support import FIXTURES
from sqlalchemy import event, select, text

from listenpost.bus.memory import MemoryBus
from listenpost.radio import processor as processor_module
from listenpost.radio.processor import RadioProcessor
from listenpost.radio.state import Emitted
from listenpost.store import radio_tables as rt
from listenpost.store.db import make_engine
from listenpost.store.migrations import migrate

T0 = 1_701_185_000
NOW_US = (T0 + 100_000) * 1_000_000
Message = tuple[str, bytes]


def _fixture(name: str) -> dict[str, Any]:
    return dict(json.loads((FIXTURES / name).read_text()))


class Stream:
    """Random but reproducible site traffic of one system, `p25trunk`."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.start_msg = _fixture("call_start.json")
        self.end_msg = _fixture("call_end.json")
        self.snap_msg = _fixture("calls_active.json")
        self.audio_msg = _fixture("extra/audio_valid_wav.json")
        self.unit_msg = _fixture("unit_call.json")
        self.calls: list[tuple[int, int]] = []  # (talkgroup, start) of calls started
        self.t = T0

    def _call(self, template: dict[str, Any], tg: int, start: int) -> dict[str, Any]:
        call = copy.deepcopy(template)
        call.update(id=f"3_{tg}_{start}", talkgroup=tg, start_time=start, sys_name="p25trunk")
        call["unit"] = 800_000 + self.rng.randrange(50)
        return call

    def _pick(self) -> tuple[int, int]:
        if self.calls and self.rng.random() < 0.85:
            return self.rng.choice(self.calls)
        return 100 + self.rng.randrange(20), self.t - self.rng.randrange(30)

    def message(self) -> Message:
        self.t += self.rng.randrange(3)
        kind = self.rng.choices(["start", "end", "snap", "audio", "unit"], [4, 4, 1, 1, 2])[0]
        if kind == "start":
            tg, start = 100 + self.rng.randrange(20), self.t - self.rng.randrange(3)
            self.calls.append((tg, start))
            msg = {**self.start_msg, "call": self._call(self.start_msg["call"], tg, start)}
            return "feeds/call_start", json.dumps({**msg, "timestamp": self.t}).encode()
        if kind == "end":
            msg = {**self.end_msg, "call": self._call(self.end_msg["call"], *self._pick())}
            return "feeds/call_end", json.dumps({**msg, "timestamp": self.t}).encode()
        if kind == "snap":
            live = self.rng.sample(self.calls, min(len(self.calls), self.rng.randrange(6)))
            template = self.snap_msg["calls"][0]
            calls = [self._call(template, tg, start) for tg, start in live]
            for call in calls:
                del call["start_time"]  # snapshots carry none: it comes from the id
            msg = {**self.snap_msg, "calls": calls, "timestamp": self.t}
            return "feeds/calls_active", json.dumps(msg).encode()
        if kind == "audio":
            msg = copy.deepcopy(self.audio_msg)
            tg, start = self._pick()
            meta = msg["call"]["metadata"]
            meta.update(talkgroup=tg, start_time=start, stop_time=start + 9, short_name="p25trunk")
            if self.rng.random() < 0.3:
                msg["call"]["audio_wav_base64"] = base64.b64encode(b"not a wav").decode()
            return "feeds/audio", json.dumps({**msg, "timestamp": self.t}).encode()
        msg = copy.deepcopy(self.unit_msg)
        msg["call"].update(unit=800_000 + self.rng.randrange(50), talkgroup=100 + len(self.calls))
        return "units/p25trunk/call", json.dumps({**msg, "timestamp": self.t}).encode()


def _event(frame: bytes) -> tuple[str, Any]:
    body = json.loads(frame)
    return body["event"], body["data"]


def batches(messages: list[Message], seed: int) -> Iterator[list[Message]]:
    rng = random.Random(seed)
    i = 0
    while i < len(messages):
        n = rng.choice([1, 2, 7, 30, 200])
        yield messages[i : i + n]
        i += n


async def ingest(url: str, data_dir: Path, groups: list[list[Message]]) -> tuple[Any, Emitted]:
    """Store the message groups, one transaction each; returns (every radio table, events)."""
    engine = make_engine(url)
    await migrate(engine)
    bus = MemoryBus()
    received: list[tuple[str, Any]] = []
    bus.subscribe([processor_module.STREAM], lambda m: received.append(_event(m.payload)))
    await bus.start()
    proc = RadioProcessor(engine, bus, str(data_dir))
    emitted: Emitted = []
    proc.after_store.append(lambda _records, events: emitted.extend(events))
    for group in groups:
        await proc.handle_batch(group)
    await bus.stop()
    assert received == [(e, json.loads(json.dumps(d))) for e, d in emitted]  # each, in order
    tables: dict[str, Any] = {}
    async with engine.connect() as conn:
        for table in rt.metadata.sorted_tables:
            if table.name.startswith("radio_") and table.name != "radio_frames":
                order = list(table.primary_key.columns)
                rows = await conn.execute(select(table).order_by(*order))
                tables[table.name] = [dict(r) for r in rows.mappings()]
    await engine.dispose()
    return tables, emitted


@pytest.fixture(params=["sqlite", "postgres"])
def two_databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/a.db", f"sqlite+aiosqlite:///{tmp_path}/b.db"
        return
    from support import create_pg_database

    (a, drop_a), (b, drop_b) = create_pg_database(), create_pg_database()
    try:
        yield a, b
    finally:
        drop_a()
        drop_b()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_batches_store_what_single_messages_store(
    seed: int, two_databases: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(processor_module, "now_us", lambda: NOW_US)
    stream = Stream(seed)
    messages = [stream.message() for _ in range(600)]
    alone_url, batched_url = two_databases
    alone = asyncio.run(ingest(alone_url, tmp_path / "alone", [[m] for m in messages]))
    batched = asyncio.run(ingest(batched_url, tmp_path / "batched", list(batches(messages, seed))))
    tables, events = batched
    assert len(tables["radio_calls"]) > 100 and any(e == "call_end" for e, _ in events)
    assert any(r["audio_path"] for r in tables["radio_calls"])
    assert tables == alone[0]
    assert events == alone[1]


def test_call_starts_and_ends_cost_no_statement_each(tmp_path: Path) -> None:
    """A batch of 100 call starts and their 100 ends reaches the database in a handful of
    statements (it took one INSERT or UPDATE round trip per call record)."""
    stream = Stream(0)
    calls = [(100 + i % 20, T0 + i) for i in range(100)]

    def messages(topic: str, template: dict[str, Any]) -> list[tuple[str, bytes]]:
        return [
            (
                topic,
                json.dumps(
                    {**template, "call": stream._call(template["call"], tg, start)}
                ).encode(),
            )
            for tg, start in calls
        ]

    starts = messages("feeds/call_start", stream.start_msg)
    ends = messages("feeds/call_end", stream.end_msg)

    async def run() -> tuple[list[str], int]:
        engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/c.db")
        await migrate(engine)
        proc = RadioProcessor(engine, MemoryBus(), str(tmp_path))
        await proc.handle_batch(starts[:1])  # the system exists: no first-sight statements
        statements: list[str] = []
        event.listen(
            engine.sync_engine,
            "before_cursor_execute",
            lambda _c, _cur, sql, *_: statements.append(sql.split()[0]),
        )
        await proc.handle_batch(starts[1:] + ends)
        async with engine.connect() as conn:
            stored = (await conn.execute(text("SELECT count(*) FROM radio_calls"))).scalar_one()
        await engine.dispose()
        return statements, int(stored)

    statements, stored = asyncio.run(run())
    assert stored == 100
    assert len(statements) <= 15, statements
