"""Delivery workers: one task per target drains that target's outbox rows, oldest first.

A target's deliveries go out in order; when one fails it is retried after an exponential
backoff (1 s, 2 s, 4 s, ... capped at `alert_retry_max_delay`, default 30 s) and the
target's later deliveries wait behind it, so a target that comes back gets every alert, in
order. Targets never wait for each other: a dead or slow target holds only its own task.
A delivery older than `alert_delivery_max_age` (default 24 h) is given up (`expired`).
At start every pending delivery is tried at once (a restart resumes the outbox).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from ..metrics import ALERT_DELIVERIES_EXPIRED, ALERT_DELIVERY_ATTEMPTS
from ..store import alerts as store
from .senders import DeliveryError, Sender
from .views import alert_view

log = logging.getLogger("listenpost.alerts")
BATCH = 100
OTHER_NODE_POLL = 1.0  # seconds between looks when another node may hold or feed a target


def backoff(attempts: int, cap: float) -> float:
    """Seconds to wait after the `attempts`-th failed attempt: 1, 2, 4, ... at most `cap`."""
    return float(min(2.0 ** max(attempts - 1, 0), cap))


class TargetWorker:
    def __init__(
        self,
        db: AsyncEngine,
        target: Mapping[Any, Any],
        settings: Any,
        clock: Callable[[], float],
        locks: store.TargetLocks,
    ) -> None:
        self.db = db
        self.locks = locks
        self.settings = settings
        self.clock = clock
        self.sender = Sender(target, settings)
        self.wake = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self._closing: asyncio.Task[None] | None = None
        self._preparing: asyncio.Task[None] | None = None

    @property
    def target_id(self) -> str:
        return str(self.sender.target["id"])

    def start(self) -> None:
        self.task = asyncio.create_task(self._run(), name=f"alert-target-{self.target_id}")

    def update(self, target: Mapping[Any, Any]) -> None:
        """The target was edited: use it from the next attempt on, and retry now."""
        old = self.sender
        self.sender = Sender(target, self.settings)
        self._preparing = asyncio.create_task(self.sender.prepare())  # held, as below
        self.wake.set()
        self._closing = asyncio.create_task(old.close())  # kept: a task nobody holds may vanish

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
            self.task = None
        await self.sender.close()
        await self.locks.release(self.target_id)

    async def _run(self) -> None:
        """Deliver while this node holds the target (one node per target when several share
        a PostgreSQL database; the others wait to take over)."""
        while True:
            try:
                await self.sender.prepare()  # before the first alert, not on its path
                if await self.locks.hold(self.target_id):
                    await self._deliver()
            except Exception:  # the database: try again shortly
                log.exception("alert delivery to target %s failed", self.target_id)
            await asyncio.sleep(OTHER_NODE_POLL)

    async def _deliver(self) -> None:
        # another node's alerts for this target wake nobody here: look again now and then
        idle = OTHER_NODE_POLL if self.db.dialect.name == "postgresql" else None
        resumed = True  # the first pass tries everything pending at once
        while True:
            self.wake.clear()
            delay = await self._pass(resumed)
            resumed = False
            if delay is None:
                delay = idle
            if delay is None:
                await self.wake.wait()
            elif delay > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), delay)

    async def _pass(self, resumed: bool) -> float | None:
        """Deliver what is due, in order; returns seconds until the head is due (None:
        nothing pending, 0: more to read now). The attempts of a pass are recorded together
        (a crash before that sends them again: delivery is at least once)."""
        async with self.db.connect() as conn:
            rows = await store.pending_for(conn, self.target_id, BATCH)
        delay: float | None = 0.0 if len(rows) == BATCH else None
        done: list[tuple[Mapping[Any, Any], str | None, int, int]] = []
        try:
            for row in rows:
                now = self.clock()
                if row["alert"]["created_at"] / 1e6 + self._max_age < now:
                    await self._give_up(row, now)
                    continue
                due = row["next_at"] / 1e6 - now
                if due > 0 and not resumed:
                    delay = due
                    break
                error = await self._send(row)
                now = self.clock()
                wait = 0.0 if error is None else backoff(row["attempts"] + 1, self._cap)
                done.append((row, error, int(now * 1e6), int((now + wait) * 1e6)))
                if error is not None:
                    delay = wait
                    break
        finally:
            if done:
                await store.record_attempts(self.db, done)
        return delay

    async def _send(self, row: Mapping[Any, Any]) -> str | None:
        """One attempt; the error text, or None when the target took the alert."""
        kind = self.sender.target["kind"]
        try:
            await self.sender.send(alert_view(row["alert"]))
        except DeliveryError as exc:
            ALERT_DELIVERY_ATTEMPTS.labels(kind, "error").inc()
            log.warning("alert %s to target %s failed: %s", row["alert_id"], self.target_id, exc)
            return str(exc)
        ALERT_DELIVERY_ATTEMPTS.labels(kind, "ok").inc()
        return None

    async def _give_up(self, row: Mapping[Any, Any], now: float) -> None:
        reason = f"gave up: the alert is older than {self._max_age:g} s"
        await store.give_up(self.db, row["seq"], reason, int(now * 1e6))
        ALERT_DELIVERIES_EXPIRED.labels(self.sender.target["kind"]).inc()

    @property
    def _cap(self) -> float:
        return float(self.settings.alert_retry_max_delay)

    @property
    def _max_age(self) -> float:
        return float(self.settings.alert_delivery_max_age)


class Dispatcher:
    """The delivery workers of every target, started with the node."""

    def __init__(self, db: AsyncEngine, settings: Any, clock: Callable[[], float] = time.time):
        self.db = db
        self.settings = settings
        self.clock = clock
        self.workers: dict[str, TargetWorker] = {}
        self.locks = store.TargetLocks(db)

    async def start(self) -> None:
        async with self.db.connect() as conn:
            targets = await store.all_of(conn, "target")
        for target in targets:
            self.target_changed(target)

    async def stop(self) -> None:
        workers, self.workers = list(self.workers.values()), {}
        for worker in workers:
            await worker.stop()
        await self.locks.close()

    def wake(self, target_ids: Iterable[str]) -> None:
        for target_id in target_ids:
            worker = self.workers.get(target_id)
            if worker is not None:
                worker.wake.set()

    def target_changed(self, target: Mapping[Any, Any]) -> None:
        worker = self.workers.get(target["id"])
        if worker is not None:
            worker.update(target)
            return
        worker = self.workers[target["id"]] = TargetWorker(
            self.db, target, self.settings, self.clock, self.locks
        )
        worker.start()

    async def target_removed(self, target_id: str) -> None:
        worker = self.workers.pop(target_id, None)
        if worker is not None:
            await worker.stop()
