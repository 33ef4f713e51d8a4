"""PostgreSQL session advisory locks: the SQL behind cluster leases (cluster/lease.py).

A session lock lives as long as the connection that took it: when a node dies its
connection closes and PostgreSQL frees the lock, so a waiting node can take it. The server
side TCP keepalives set here make PostgreSQL notice a node whose host vanished (no FIN)
within about `idle + interval * count` seconds instead of the kernel's two hours.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from .db import KEEPALIVE


async def try_lock(conn: AsyncConnection, key: int) -> bool:
    """Take the lock for this connection's session if nobody holds it; never waits."""
    for name, value in KEEPALIVE.items():
        await conn.execute(text(f"SET {name} = {int(value)}"))
    taken = (await conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key})).scalar()
    await conn.commit()  # leave no transaction open: the lock is the session's, not its
    return bool(taken)


async def still_held(conn: AsyncConnection, key: int) -> bool:
    """Whether this session still holds the lock (False, or an error, means it is lost)."""
    q = text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
        "AND pid = pg_backend_pid() AND objid = :k"
    )
    held = (await conn.execute(q, {"k": key})).scalar()
    await conn.commit()
    return bool(held)

