"""API keys (stored as hashes, with scope, source, last use and revocation) and server secrets."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import RowMapping, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ..auth.tokens import hash_key, key_id_for
from ..timeutil import now_us
from . import meta
from . import tables as t

TOUCH_EVERY_US = 60_000_000  # `last_used_at` is rewritten at most once a minute per key


class DuplicateName(Exception):
    """Another key already has this name."""


@dataclass(frozen=True)
class KeyRecord:
    id: str
    name: str
    scope: str
    source: str
    created_at: int
    last_used_at: int | None
    revoked_at: int | None


_COLUMNS = (
    t.api_keys.c.id,
    t.api_keys.c.name,
    t.api_keys.c.scope,
    t.api_keys.c.source,
    t.api_keys.c.created_at,
    t.api_keys.c.last_used_at,
    t.api_keys.c.revoked_at,
)


def _record(row: RowMapping) -> KeyRecord:
    return KeyRecord(**row)


async def add_key(
    engine: AsyncEngine, key: str, name: str, scope: str = "admin", source: str = "cli"
) -> str:
    """Store a key's hash (idempotent for the same key); returns its id.

    Raises DuplicateName when another key has `name`."""
    key_id = key_id_for(key)
    row = {
        "id": key_id,
        "name": name,
        "key_hash": hash_key(key),
        "created_at": now_us(),
        "scope": scope,
        "source": source,
    }
    try:
        async with engine.begin() as conn:
            await conn.execute(t.api_keys.insert().values(**row))
    except IntegrityError:
        if await find_key(engine, key) is None:
            raise DuplicateName(name) from None
    return key_id


async def find_key(engine: AsyncEngine, key: str) -> KeyRecord | None:
    """The stored key whose hash matches `key` (revoked or not)."""
    async with engine.connect() as conn:
        q = select(*_COLUMNS).where(t.api_keys.c.key_hash == hash_key(key))
        row = (await conn.execute(q)).first()
    return _record(row._mapping) if row else None


async def list_keys(engine: AsyncEngine) -> list[KeyRecord]:
    async with engine.connect() as conn:
        q = select(*_COLUMNS).order_by(t.api_keys.c.created_at, t.api_keys.c.id)
        return [_record(row._mapping) for row in (await conn.execute(q)).all()]


async def revoke_key(engine: AsyncEngine, name_or_id: str, now: int) -> KeyRecord | None:
    """Revoke the key with this id (or else this name); returns it as it was, None if unknown."""
    keys = t.api_keys
    async with engine.begin() as conn:
        record = await _lookup(conn, name_or_id)
        if record is not None and record.revoked_at is None:
            await conn.execute(update(keys).where(keys.c.id == record.id).values(revoked_at=now))
    return record


async def _lookup(conn: AsyncConnection, name_or_id: str) -> KeyRecord | None:
    keys = t.api_keys
    q = select(*_COLUMNS).where(or_(keys.c.id == name_or_id, keys.c.name == name_or_id))
    rows = [_record(row._mapping) for row in (await conn.execute(q)).all()]
    by_id = [r for r in rows if r.id == name_or_id]
    matches = by_id or rows
    return matches[0] if matches else None


async def touch_key(engine: AsyncEngine, key_id: str, now: int) -> None:
    """Record a use; one short UPDATE that writes only when the stored value is a minute old."""
    keys = t.api_keys
    stale = or_(keys.c.last_used_at.is_(None), keys.c.last_used_at < now - TOUCH_EVERY_US)
    async with engine.begin() as conn:
        await conn.execute(update(keys).where(keys.c.id == key_id, stale).values(last_used_at=now))


async def sync_env_keys(engine: AsyncEngine, keys: tuple[str, ...]) -> list[str]:
    """Store the LISTENPOST_API_KEYS keys (admin, source env) and delete env keys no longer
    listed; returns the ids deleted."""
    wanted = {key_id_for(key): key for key in keys}
    for key_id, key in wanted.items():
        await add_key(engine, key, f"env:{key_id}", scope="admin", source="env")
    table = t.api_keys
    async with engine.begin() as conn:
        q = select(table.c.id).where(table.c.source == "env")
        gone = [row[0] for row in (await conn.execute(q)).all() if row[0] not in wanted]
        if gone:
            await conn.execute(delete(table).where(table.c.id.in_(gone)))
    return gone


async def server_secret(engine: AsyncEngine) -> str:
    """The JWT signing secret, generated once and shared by every node on this database."""
    return await meta.remember(engine, "jwt_secret", secrets.token_hex(32))


async def key_name(engine: AsyncEngine, key_id: str) -> str | None:
    """The name `listenpost apikey list` shows for a key id (None: no such key)."""
    async with engine.connect() as conn:
        query = select(t.api_keys.c.name).where(t.api_keys.c.id == key_id)
        row = (await conn.execute(query)).first()
    return str(row[0]) if row else None
