"""A lease: one node at a time does a job (MQTT ingest, composite evaluation).

On PostgreSQL the lease is a session advisory lock held on a connection of its own. Every
node that is not holding it tries again every `retry` seconds; the holder checks every
`retry` seconds that its connection (and so the lock) is still there and steps down when it
is not. A node that dies loses its connection, PostgreSQL frees the lock at once (or within
its TCP keepalive of ~4 s when the host vanished), and a survivor takes it on its next try.
On any other database a node is alone, so it always holds the lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ..store import lease as sql

log = logging.getLogger("listenpost.cluster")
Hook = Callable[[], Awaitable[None]]
RETRY = 1.0  # seconds between attempts (and between checks while held)


def is_shared(engine: AsyncEngine) -> bool:
    """Whether other nodes may share this database (then leases are real)."""
    return engine.dialect.name == "postgresql"


class Lease:
    def __init__(
        self,
        engine: AsyncEngine,
        name: str,
        key: int,
        acquired: Hook,
        lost: Hook,
        retry: float = RETRY,
    ) -> None:
        self.engine = engine
        self.name = name
        self.key = key
        self.acquired = acquired
        self.lost = lost
        self.retry = retry
        self.held = False
        self._conn: AsyncConnection | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """One attempt now (a lone node leads before it serves), then keep at it."""
        if not is_shared(self.engine):
            await self._take()
            return
        await self._attempt()
        self._task = asyncio.create_task(self._run(), name=f"lease-{self.name}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._give_up()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.retry)
            try:
                if self.held:
                    await self._check()
                else:
                    await self._attempt()
            except asyncio.CancelledError:
                raise
            except Exception:  # a lease loop that stops is a node that never leads again
                log.exception("lease %s: unexpected failure", self.name)

    async def _attempt(self) -> None:
        try:
            conn = await self.engine.connect()
        except Exception as exc:
            log.debug("lease %s: database unreachable (%s)", self.name, exc)
            return
        try:
            taken = await asyncio.wait_for(sql.try_lock(conn, self.key), self.retry * 5)
        except Exception as exc:
            log.debug("lease %s: attempt failed (%s)", self.name, exc)
            taken = False
        if not taken:
            await _close(conn)
            return
        self._conn = conn
        await self._take()

    async def _take(self) -> None:
        self.held = True
        log.info("lease %s: this node now holds it", self.name)
        await self.acquired()

    async def _check(self) -> None:
        assert self._conn is not None
        try:
            held = await asyncio.wait_for(sql.still_held(self._conn, self.key), self.retry * 2)
        except Exception as exc:
            log.warning("lease %s: lost its database connection (%s)", self.name, exc)
            held = False
        if not held:
            await self._give_up()

    async def _give_up(self) -> None:
        """Stop the job first, then let go of the lock (by closing its session: a connection
        holding it must never go back to the pool), so two nodes never both work."""
        if self.held:
            self.held = False
            log.info("lease %s: this node stepped down", self.name)
            try:
                await self.lost()
            except Exception:
                log.exception("lease %s: stepping down failed", self.name)
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.invalidate()
            await _close(conn)


async def _close(conn: AsyncConnection) -> None:
    with contextlib.suppress(Exception):
        await asyncio.wait_for(conn.close(), 2.0)
