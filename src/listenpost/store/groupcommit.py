"""Group commit: concurrent writers share one transaction, and each is answered only after
its rows are committed and announced (acknowledged = stored).

A SQLite commit per request capped ingest at a few hundred requests/s, and a row-at-a-time
insert at a few thousand rows/s. Here one writer task takes every job waiting (up to
`max_rows` rows), stores them in one transaction, and hands the committed group to an
announcer task, so the next transaction is already running while the previous group is
published. Both stages are FIFO, so publication order is commit order is submission order.

Batching is natural, never timed: an idle writer commits a lone job at once, and a busy one
finds the jobs that arrived during its last commit. A job the database refuses inside a group
is retried alone, so one bad job fails only its own caller. `stop()` stores and announces
every job already submitted before it returns (a graceful shutdown loses nothing accepted).

Offsets in order across nodes: when `turn` is given and `serial` (PostgreSQL), each group is
stored *and published* inside one turn of the stream (cluster/order.py: no other node takes
offsets meanwhile), and only what follows publication (`announce`: hooks, metrics) is left to
the announcer. Otherwise the announcer publishes too, overlapping the next transaction.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger("listenpost.store")
J = TypeVar("J")

# Stores a group's jobs in the open transaction; one result per job, in order. A job whose
# own data is wrong gets an Exception instance as its result (the others are still stored).
Store = Callable[[AsyncConnection, Sequence[J]], Awaitable[list[Any]]]
# Publishes a committed group: (job, result) for each job stored; runs before callers resume.
Announce = Callable[[list[tuple[J, Any]]], Awaitable[None]]
# The connection a group is stored on; a turn of its stream when several nodes write.
Turn = Callable[[], AbstractAsyncContextManager[AsyncConnection]]


class _Pending(Generic[J]):
    __slots__ = ("job", "rows", "future")

    def __init__(self, job: J, rows: int, future: asyncio.Future[Any]) -> None:
        self.job, self.rows, self.future = job, rows, future


class GroupCommit(Generic[J]):
    def __init__(
        self,
        engine: AsyncEngine,
        store: Store[J],
        announce: Announce[J],
        max_rows: int = 5000,
        *,
        publish: Announce[J] | None = None,
        turn: Turn | None = None,
        serial: bool = False,
    ) -> None:
        self.engine = engine
        self.store = store
        self.announce = announce
        self.publish = publish  # runs before `announce`: inside the turn when `serial`
        self.turn: Turn = turn or engine.connect
        self.serial = serial
        self.max_rows = max_rows
        self._waiting: deque[_Pending[J]] = deque()
        # committed groups: (pending, result) pairs and whether they were published already
        self._committed: deque[tuple[list[tuple[_Pending[J], Any]], bool]] = deque()
        self._work = asyncio.Event()
        self._done = asyncio.Event()
        self._stopping = False
        self._tasks: list[asyncio.Task[None]] = []
        self.commits = 0  # transactions committed (for tests and benchmarks)

    def start(self) -> None:
        if not self._tasks:
            self._stopping = False
            self._tasks = [
                asyncio.create_task(self._writer(), name="group-commit-writer"),
                asyncio.create_task(self._announcer(), name="group-commit-announcer"),
            ]

    async def stop(self) -> None:
        """Store and announce everything submitted so far, then end both tasks."""
        self._stopping = True
        self._work.set()
        self._done.set()
        tasks, self._tasks = self._tasks, []
        await asyncio.gather(*tasks, return_exceptions=True)

    async def submit(self, job: J, rows: int = 1) -> Any:
        """The job's result once its transaction committed and its group was announced."""
        if self._stopping:
            raise RuntimeError("the server is shutting down")
        self.start()
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        future.add_done_callback(_retrieve)  # its caller may have gone: no "never retrieved"
        self._waiting.append(_Pending(job, rows, future))
        self._work.set()
        return await asyncio.shield(future)  # a caller that goes away does not unstore

    def _take(self) -> list[_Pending[J]]:
        group, rows = [self._waiting.popleft()], 0
        rows = group[0].rows
        while self._waiting and rows + self._waiting[0].rows <= self.max_rows:
            rows += self._waiting[0].rows
            group.append(self._waiting.popleft())
        return group

    async def _writer(self) -> None:
        while True:
            if not self._waiting:
                if self._stopping:
                    break
                self._work.clear()
                await self._work.wait()
                continue
            group = self._take()
            pairs: list[tuple[_Pending[J], Any]] | None = None
            try:
                async with self.turn() as conn:
                    pairs = list(zip(group, await self._commit(conn, group), strict=True))
                    if self.serial:
                        await self._publish(pairs)
            except Exception as exc:
                if pairs is None:  # no connection or turn: the group fails, not the writer
                    pairs = [(p, exc) for p in group]
                else:  # stored (and published): only ending the turn failed
                    log.warning("ending a turn after storing %d job(s) failed: %s", len(group), exc)
            self._committed.append((pairs, self.serial))
            self._done.set()
        self._stopping = True
        self._committed.append(([], True))  # the announcer's signal that the writer finished
        self._done.set()

    async def _commit(self, conn: AsyncConnection, group: list[_Pending[J]]) -> list[Any]:
        try:
            async with conn.begin():
                results = await self.store(conn, [p.job for p in group])
            self.commits += 1
            return results
        except Exception as exc:
            if len(group) == 1:
                return [exc]
        return [(await self._commit(conn, [p]))[0] for p in group]

    async def _publish(self, pairs: list[tuple[_Pending[J], Any]]) -> None:
        stored = [(p.job, r) for p, r in pairs if not isinstance(r, BaseException)]
        if stored and self.publish is not None:
            try:
                await self.publish(stored)
            except Exception:  # stored is stored; the caller is answered all the same
                log.exception("publishing %d stored job(s) failed", len(stored))

    async def _announcer(self) -> None:
        while True:
            if not self._committed:
                self._done.clear()
                await self._done.wait()
                continue
            group, published = self._committed.popleft()
            if not group:
                return
            if not published:
                await self._publish(group)
            stored = [(p.job, r) for p, r in group if not isinstance(r, BaseException)]
            if stored:
                try:
                    await self.announce(stored)
                except Exception:  # stored is stored; the caller is answered all the same
                    log.exception("announcing %d stored job(s) failed", len(stored))
            for pending, result in group:
                if pending.future.done():
                    continue
                if isinstance(result, BaseException):
                    pending.future.set_exception(result)
                else:
                    pending.future.set_result(result)


def _retrieve(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()
