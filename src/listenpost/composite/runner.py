"""Feeds accepted events through the pure engine, stores what it decides, announces new composites.

State is rebuilt from the database at start (recent composites and events), so a restart in
the middle of a window neither loses nor duplicates a composite.

The engine's watermark follows the server clock: every `EXPIRE_EVERY` seconds it moves to
`now - lateness` (the accepted clock skew), so events older than that by more than a rule's
window count nowhere and groups idle that long are forgotten (memory follows the groups
active recently, not every group ever seen).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ..bus.base import Bus
from ..cluster import order
from ..cluster.seq import SeqCursor
from ..metrics import COMPOSITE_GROUPS, COMPOSITE_LATE, COMPOSITES_CREATED
from ..resume.protocol import offset_key
from ..store import composites as store
from ..timeutil import now_us
from .engine import BaseEvent, CompositeJoined, CompositeOpened, Engine, RuleSpec
from .views import composite_view

log = logging.getLogger("listenpost.composite")
STREAM = "sound.composites"
EXPIRE_EVERY = 1.0  # seconds between watermark advances


def spec_of(row: Mapping[Any, Any]) -> RuleSpec:
    return RuleSpec(
        id=row["id"],
        window_seconds=float(row["window_seconds"]),
        min_events=int(row["min_events"]),
        group_by=row["group_by"],
        include_label_ids=frozenset(row["include_label_ids"] or ()) or None,
        include_mic_ids=frozenset(row["include_mic_ids"] or ()) or None,
        enabled=bool(row["enabled"]),
    )


class CompositeRunner:
    def __init__(
        self, engine: AsyncEngine, bus: Bus, lateness: float = 300.0, shared: bool = False
    ) -> None:
        self.db = engine
        self.shared = shared  # other nodes write to this database (PostgreSQL)
        self.leading = False
        self.cursor: SeqCursor | None = None  # events handled, by seq (shared database only)
        self.bus = bus
        self.lateness = lateness
        self.engine = Engine()
        self._expiring: asyncio.Task[None] | None = None
        self.rules: dict[str, dict[str, Any]] = {}
        self.lock = asyncio.Lock()
        # decisions the engine made that the database refused; retried with the next events
        self.unsaved: list[CompositeOpened | CompositeJoined] = []
        # called with the views of new composites once they are stored (the alert rules)
        self.after_create: list[Callable[[list[dict[str, Any]]], Awaitable[None]]] = []

    def watermark(self) -> float:
        """The engine's clock bound in unix seconds: now minus the accepted lateness."""
        return now_us() / 1e6 - self.lateness

    async def start(self) -> None:
        """A lone node (SQLite, memory bus) always evaluates; a cluster's nodes call `lead`
        and `follow` as the composite lease comes and goes (cluster/roles.py)."""
        if not self.shared:
            await self.lead()

    async def lead(self) -> None:
        """Rebuild the engine from the store (rules, recent composites and events) and start
        evaluating. On a shared database the cursor then follows every node's events by
        `seq`, starting at the oldest event replayed so none stored meanwhile is missed."""
        async with self.lock:
            watermark = self.watermark()
            newest_allowed = watermark + 2 * self.lateness  # the ingest's bound: now + skew
            self.engine = Engine()
            async with self.db.connect() as conn:
                rows = await store.all_rules(conn)
                self.rules = {r["id"]: dict(r) for r in rows}
                self.engine.set_rules(spec_of(r) for r in rows)
                widest = max((float(r["window_seconds"]) for r in rows), default=0.0)
                since = int((watermark - 2 * widest) * 1e6) - 1
                until = int(newest_allowed * 1e6)
                comps = await store.recent_composites(conn, since)
                events = await store.recent_events(conn, since, until)
                newest = await store.newest_event_seq(conn) if self.shared else 0
            missing = self.engine.restore(
                [_Stored(c) for c in comps], [_base(e) for e in events], now=watermark
            )
            if self.shared:
                seqs = [int(e["seq"]) for e in events]
                self.cursor = SeqCursor(min(seqs) - 1 if seqs else newest, seqs)
            for opened in missing:
                await self._persist([opened])
            self.leading = True
            COMPOSITE_GROUPS.set(self.engine.group_count())
        self._expiring = asyncio.create_task(self._expire_forever(), name="composite-expire")
        log.info(
            "composite engine ready: %d rules, %d recent events replayed", len(rows), len(events)
        )

    async def follow(self) -> None:
        """Another node evaluates: forget the groups (rules stay current for a later lead)."""
        await self.stop()
        async with self.lock:
            self.leading = False
            self.engine = Engine()
            self.engine.set_rules(spec_of(r) for r in self.rules.values())
            self.unsaved = []
            self.cursor = None
            COMPOSITE_GROUPS.set(0)

    async def stop(self) -> None:
        if self._expiring is not None:
            self._expiring.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._expiring
            self._expiring = None

    async def _expire_forever(self) -> None:
        while True:
            await asyncio.sleep(EXPIRE_EVERY)
            try:
                async with self.lock:
                    self.engine.expire(self.watermark())
                    COMPOSITE_GROUPS.set(self.engine.group_count())
            except Exception:  # keep expiring: a stopped watermark is unbounded memory
                log.exception("composite expiry failed")

    async def set_rule(self, row: Mapping[Any, Any]) -> None:
        async with self.lock:
            self.rules[row["id"]] = dict(row)
            self.engine.set_rule(spec_of(row))

    async def remove_rule(self, rule_id: str) -> None:
        async with self.lock:
            self.rules.pop(rule_id, None)
            self.engine.remove_rule(rule_id)

    async def on_events(self, rows: list[dict[str, Any]]) -> None:
        """Ingest hook and the cluster's event feed: rows are stored events carrying `seq`
        and `edge_id`; on a shared database each `seq` is evaluated once, whichever path
        brings it first. Suppressed events and followers' calls change nothing."""
        if not self.leading:
            return
        async with self.lock:
            if self.cursor is not None:
                rows = [r for r in rows if self.cursor.take(int(r["seq"]))]
            if not self.rules:
                return
            changes: list[CompositeOpened | CompositeJoined] = []
            for row in rows:
                if row.get("suppressed"):
                    continue
                result = self.engine.feed(_base(row))
                changes += result.changes
                if result.late_rules:
                    COMPOSITE_LATE.inc(result.late_rules)
            COMPOSITE_GROUPS.set(self.engine.group_count())
            pending, self.unsaved = self.unsaved + changes, []
            if pending:
                try:
                    await self._persist(pending)
                except Exception:
                    self.unsaved = pending
                    raise

    async def _persist(self, changes: list[CompositeOpened | CompositeJoined]) -> None:
        """Store the engine's decisions; new composites take offsets, so they are stored and
        published in a turn of the stream (cluster/order.py: in offset order on any node)."""
        opens = any(isinstance(c, CompositeOpened) for c in changes)
        turn = order.turn(self.db, self.bus, STREAM) if opens else self.db.connect()
        async with turn as conn:
            payloads = await self._store(conn, changes)
        for hook in self.after_create if payloads else ():
            try:
                await hook(payloads)
            except Exception:
                log.exception("post-composite hook %r failed", hook)

    async def _store(
        self, conn: AsyncConnection, changes: list[CompositeOpened | CompositeJoined]
    ) -> list[dict[str, Any]]:
        """One transaction, then the new composites' bus messages; returns their views."""
        now = now_us()
        created = []
        async with conn.begin():
            for change in changes:
                if isinstance(change, CompositeOpened):
                    row = {
                        "id": change.composite_id,
                        "rule_id": change.rule_id,
                        "rule": _rule_snapshot(self.rules.get(change.rule_id)),
                        "group_key": change.group_key,
                        "started_at": int(round(change.started_at * 1e6)),
                        "created_at": now,
                        "updated_at": now,
                    }
                    if await store.insert_composite(conn, row, change.event_ids):
                        created.append(change.composite_id)
            # joins in bulk: a busy group joins one event per event, which cost two
            # statements each; they follow their composite's opening (inserted above)
            joins = [c for c in changes if isinstance(c, CompositeJoined)]
            await store.add_joins(conn, [(j.composite_id, j.rule_id, j.event_id) for j in joins])
            await store.touch_many(conn, {j.composite_id for j in joins}, now)
            loaded = [await _load(conn, cid) for cid in created]
        for seq, payload in loaded:  # the key is the composite's stream offset (resume)
            COMPOSITES_CREATED.inc()
            await self.bus.publish(STREAM, orjson.dumps(payload), offset_key(seq))
        return [payload for _seq, payload in loaded]


async def _load(conn: Any, composite_id: str) -> tuple[int, dict[str, Any]]:
    row = await store.get_composite(conn, composite_id)
    assert row is not None
    return int(row["seq"]), composite_view(row, await store.members(conn, [composite_id]))


def _rule_snapshot(row: Mapping[Any, Any] | None) -> dict[str, Any]:
    from .views import rule_view

    return rule_view(row) if row else {}


class _Stored:
    """A stored composite as the engine's restore wants it."""

    __slots__ = ("composite_id", "rule_id", "group_key", "started_at")

    def __init__(self, row: Mapping[Any, Any]) -> None:
        self.composite_id = row["id"]
        self.rule_id = row["rule_id"]
        self.group_key = row["group_key"]
        self.started_at = row["started_at"] / 1e6


def _base(row: Mapping[Any, Any]) -> BaseEvent:
    return BaseEvent(
        row["id"], row["label_id"], row["mic_id"], row["edge_id"], row["created_at"] / 1e6
    )
