"""Offsets become visible in offset order, per stream, across nodes.

A writer of a stream with offsets (sound events, composites, radio frames) stores and
publishes inside `turn`: on PostgreSQL the stream's advisory lock is held from before the
insert that takes the offsets until the bus has the messages (store/order.py), so no node
commits or publishes a larger offset while a smaller one is still in flight. Replay (which
reads the database up to its newest offset) and the live seam (which drops what is at or
below the last offset replayed) both rely on that. On SQLite it is just a connection.

The wait for the bus is bounded: while the bus is unreachable the outbox keeps the messages
and ingest goes on (the database, and so resume, stays in offset order; live order across
nodes is then only as good as the outbox drains, see docs/scale-out.md).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ..bus.base import Bus
from ..metrics import BUS_ERRORS
from ..store import order as store

log = logging.getLogger("listenpost.cluster")
FLUSH_WAIT = 2.0  # seconds a writer holds its stream's turn waiting for the bus


def serial(engine: AsyncEngine) -> bool:
    return store.serial(engine)


@contextlib.asynccontextmanager
async def turn(engine: AsyncEngine, bus: Bus, stream: str) -> AsyncIterator[AsyncConnection]:
    """The only writer of `stream` until the block ends; publish inside the block."""
    async with store.turn(engine, stream) as conn:
        try:
            yield conn
        finally:
            if store.serial(engine) and not await bus.flush(FLUSH_WAIT):
                BUS_ERRORS.labels("order_wait").inc()
                log.debug("bus did not take %s messages within %.0f s", stream, FLUSH_WAIT)
