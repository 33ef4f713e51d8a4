"""API keys and server secrets."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from ..auth.tokens import hash_key, key_id_for
from ..timeutil import now_us
from . import tables as t


async def add_key(engine: AsyncEngine, key: str, name: str) -> str:
    """Store a key's hash (idempotent for the same key); returns its id."""
    key_id = key_id_for(key)
    row = {"id": key_id, "name": name, "key_hash": hash_key(key), "created_at": now_us()}
    try:
        async with engine.begin() as conn:
            await conn.execute(t.api_keys.insert().values(**row))
    except IntegrityError:
        pass
    return key_id


async def find_key(engine: AsyncEngine, key: str) -> str | None:
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(t.api_keys.c.id).where(t.api_keys.c.key_hash == hash_key(key))
            )
        ).first()
    return row[0] if row else None


async def server_secret(engine: AsyncEngine) -> str:
    """The JWT signing secret, generated once and shared by every node on this database."""
    async with engine.begin() as conn:
        q = select(t.meta.c.value).where(t.meta.c.key == "jwt_secret")
        row = (await conn.execute(q)).first()
        if row:
            return str(row[0])
        value = secrets.token_hex(32)
        try:
            async with conn.begin_nested():
                await conn.execute(t.meta.insert().values(key="jwt_secret", value=value))
        except IntegrityError:
            row = (await conn.execute(q)).first()
            assert row is not None
            return str(row[0])
        return value
