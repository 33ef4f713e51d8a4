"""Values the nodes sharing a database agree on, kept in `lp_meta`."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from . import tables as t


async def remember(engine: AsyncEngine, key: str, value: str) -> str:
    """The value stored under `key`; `value` is stored first when there is none. Nodes
    racing to store different values all get the one that won."""
    q = select(t.meta.c.value).where(t.meta.c.key == key)
    async with engine.begin() as conn:
        row = (await conn.execute(q)).first()
        if row:
            return str(row[0])
        try:
            async with conn.begin_nested():
                await conn.execute(t.meta.insert().values(key=key, value=value))
        except IntegrityError:
            row = (await conn.execute(q)).first()
            assert row is not None
            return str(row[0])
        return value
