"""The SQL behind ordered offsets (cluster/order.py): one writer per stream at a time.

A stream's offset is its table's `seq`, which PostgreSQL hands out when a row is inserted, not
when it commits: two nodes' transactions could commit, and publish, out of offset order. A
writer therefore takes the stream's session advisory lock before its insert and lets go only
after its commit and its bus publish, so commit order = offset order = bus order. A session
lock lives as long as its connection, so a node that dies frees it at once; one whose host
vanishes is noticed within a few seconds (the TCP keepalives set on every connection,
store/db.py). On SQLite the database's single write lock already orders commits (and a node
is alone), so there is no lock: the writer just gets a connection.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

#: advisory lock keys, per stream (727001 migrations, 727002/727003 leases: cluster/roles.py)
KEYS = {"sound.events": 727004, "sound.composites": 727005, "radio.events": 727006}


def serial(engine: AsyncEngine) -> bool:
    """Whether writers of one stream must take turns (several nodes may share the database)."""
    return engine.dialect.name == "postgresql"


@contextlib.asynccontextmanager
async def turn(engine: AsyncEngine, stream: str) -> AsyncIterator[AsyncConnection]:
    """A connection that is, until the block ends, the only writer of `stream` on any node.
    A connection whose unlock failed is closed, never pooled with the lock still held."""
    async with engine.connect() as conn:
        if not serial(engine):
            yield conn
            return
        key = KEYS[stream]
        try:
            await conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
            await conn.commit()  # the lock is the session's: no transaction stays open
            try:
                yield conn
            finally:
                if conn.in_transaction():
                    await conn.rollback()
                await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                await conn.commit()
        except BaseException:
            await conn.invalidate()  # maybe still locked: closing the session frees it
            raise
