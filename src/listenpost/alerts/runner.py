"""Feeds ingested events to the pure alert engine, off the ingest path, and stores alerts.

Ingest hooks only enqueue (`put_nowait`), so a slow database or many rules never slow ingest;
one task drains the queue in batches. An alert and its deliveries are stored in one
transaction (the outbox), then the alert is published on the `alerts` stream and the
delivery workers of its targets are woken. Decisions the database refused are retried with
the next batch. Silence rules are ticked every `TICK` seconds with the runner's clock;
rules are re-read every few seconds, so nodes sharing a database follow each other's edits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncEngine

from ..bus.base import Bus
from ..metrics import ALERT_FACTS_DROPPED, ALERT_REPEATS, ALERTS_CREATED
from ..store import alerts as store
from .engine import Decision, Engine, Fact, Fired
from .facts import composite_fact, radio_facts, sound_fact, stored_ref
from .views import alert_view, rule_resource

log = logging.getLogger("listenpost.alerts")
STREAM = "alerts"
TICK = 1.0  # seconds between silence checks and window expiry
QUEUE_MAX = 100_000  # events waiting for evaluation; beyond, new ones are dropped (counted)
BATCH = 500
RELOAD_EVERY = 5  # ticks between re-reading the rules (edits made through another node)


class AlertRunner:
    def __init__(
        self,
        engine: AsyncEngine,
        bus: Bus,
        lateness: float = 300.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = engine
        self.bus = bus
        self.lateness = lateness
        self.clock = clock
        self.engine = Engine()
        self.rules: dict[str, dict[str, Any]] = {}  # id -> rule resource (the snapshot)
        self.queue: asyncio.Queue[Fact] = asyncio.Queue(QUEUE_MAX)
        self.lock = asyncio.Lock()
        self.unsaved: list[Decision] = []
        self.wake: Callable[[Iterable[str]], None] = lambda targets: None
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        now = self.clock()
        async with self.db.connect() as conn:
            rows = await store.all_of(conn, "rule")
            self.rules = {r["id"]: rule_resource(r) for r in rows}
            self.engine.set_rules(self.rules.values(), now)
            widest = max((r.get("cooldown_seconds") or 0 for r in self.rules.values()), default=0)
            recent = await store.recent_open_alerts(conn, int((now - widest) * 1e6))
        for a in recent:
            conf = max((e.get("confidence") or -1 for e in a["events"]), default=None)
            at = a["triggered_at"] / 1e6
            self.engine.restore(a["rule_id"], a["group_key"], a["id"], at, conf)
        self._tasks = [
            asyncio.create_task(self._evaluate_forever(), name="alerts-evaluate"),
            asyncio.create_task(self._tick_forever(), name="alerts-tick"),
        ]
        log.info("alert engine ready: %d rules", len(rows))

    async def stop(self) -> None:
        """Evaluate what is queued, then stop (what the database refuses is logged)."""
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        with contextlib.suppress(Exception):
            await self._drain()

    # hooks (ingest, composites, radio): enqueue only

    def _put(self, facts: Iterable[Fact]) -> None:
        for fact in facts:
            try:
                self.queue.put_nowait(fact)
            except asyncio.QueueFull:
                ALERT_FACTS_DROPPED.inc()

    async def on_sound(self, rows: list[dict[str, Any]]) -> None:
        if self.rules:
            self._put(sound_fact(r) for r in rows)

    async def on_composites(self, payloads: list[dict[str, Any]]) -> None:
        if self.rules:
            now = self.clock()
            self._put(composite_fact(p, now) for p in payloads)

    def on_radio(self, records: list[Any], emitted: list[tuple[str, Any]]) -> None:
        if self.rules:
            try:
                self._put(radio_facts(records, emitted, self.clock()))
            except Exception:  # never the radio ingest's problem
                log.exception("could not read %d radio event(s) for the alert rules", len(emitted))

    # rules

    async def set_rule(self, resource: dict[str, Any]) -> None:
        async with self.lock:
            self.rules[resource["id"]] = resource
            self.engine.set_rule(resource, self.clock())

    async def remove_rule(self, rule_id: str) -> None:
        async with self.lock:
            self.rules.pop(rule_id, None)
            self.engine.remove_rule(rule_id)

    async def resolved(self, alert_id: str) -> None:
        async with self.lock:
            self.engine.forget(alert_id)

    async def changed(self, view: dict[str, Any]) -> None:
        """An alert was acknowledged or resolved through the API: stream it; a resolved
        alert's cooldown ends."""
        if view["state"] == "resolved":
            await self.resolved(view["id"])
        await self.bus.publish(STREAM, orjson.dumps(view))

    # evaluation

    async def _evaluate_forever(self) -> None:
        while True:
            first = await self.queue.get()
            try:
                await self._evaluate([first, *self._take(BATCH - 1)])
            except Exception:  # keep evaluating; refused decisions wait in `unsaved`
                log.exception("alert evaluation failed")
                await asyncio.sleep(0.5)

    def _take(self, limit: int) -> list[Fact]:
        facts: list[Fact] = []
        while len(facts) < limit and not self.queue.empty():
            facts.append(self.queue.get_nowait())
        return facts

    async def _drain(self) -> None:
        while not self.queue.empty():
            await self._evaluate(self._take(BATCH))

    async def _evaluate(self, facts: list[Fact]) -> None:
        async with self.lock:
            decisions = [d for f in facts for d in self.engine.feed(f)]
            await self._save(decisions)

    async def _tick_forever(self) -> None:
        ticks = 0
        while True:
            await asyncio.sleep(TICK)
            ticks += 1
            try:
                if ticks % RELOAD_EVERY == 0:
                    await self.reload()
                await self.tick()
            except Exception:
                log.exception("alert tick failed")

    async def reload(self) -> None:
        """Take the stored rules as they are now: rules another node's API changed (a rule
        whose stored form is unchanged keeps its windows and cooldowns)."""
        async with self.db.connect() as conn:
            rows = await store.all_of(conn, "rule")
        stored = {r["id"]: rule_resource(r) for r in rows}
        if stored != self.rules:
            async with self.lock:
                self.rules = stored
                self.engine.set_rules(stored.values(), self.clock())

    async def tick(self) -> None:
        """Silence checks and window expiry at the runner's clock (tests call it directly)."""
        async with self.lock:
            now = self.clock()
            decisions = self.engine.tick(now)
            self.engine.expire(now - self.lateness)
            await self._save(decisions)

    async def _save(self, decisions: list[Decision]) -> None:
        pending, self.unsaved = self.unsaved + decisions, []
        if not pending:
            return
        try:
            views, targets = await self._persist(pending)
        except Exception:
            self.unsaved = pending
            raise
        self.wake(targets)
        for view in views:
            await self.bus.publish(STREAM, orjson.dumps(view))

    async def _persist(self, decisions: list[Decision]) -> tuple[list[dict[str, Any]], set[str]]:
        now = int(self.clock() * 1e6)
        changed: dict[str, None] = {}
        targets: set[str] = set()
        async with self.db.begin() as conn:
            for d in decisions:
                if isinstance(d, Fired):
                    rule = self.rules.get(d.rule_id)
                    if rule is None:
                        continue
                    if await store.insert_alert(conn, _row(d, rule, now), rule["target_ids"]):
                        ALERTS_CREATED.labels(rule["source"]).inc()
                        changed[d.alert_id] = None
                        targets.update(rule["target_ids"])
                elif await store.add_repeat(conn, d.alert_id, now):
                    ALERT_REPEATS.inc()
                    changed[d.alert_id] = None
            rows = [await store.get_alert(conn, aid) for aid in changed]
        return [alert_view(r) for r in rows if r is not None], targets


def _row(d: Fired, rule: Mapping[str, Any], now: int) -> dict[str, Any]:
    return {
        "id": d.alert_id,
        "rule_id": d.rule_id,
        "rule": dict(rule),
        "source": rule["source"],
        "group_key": d.group_key,
        "events": [stored_ref(r) for r in d.refs],
        "state": "new",
        "repeat_count": 0,
        "triggered_at": int(d.time * 1e6),
        "created_at": now,
        "updated_at": now,
    }
