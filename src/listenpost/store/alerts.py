"""Queries for alert rules, targets, alerts and the delivery outbox."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import RowMapping, and_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ..errors import Conflict
from . import alert_tables as at
from .paging import fetch_page

R, T, A, D, X = (
    at.alert_rules,
    at.alert_targets,
    at.alerts,
    at.alert_deliveries,
    at.alert_attempts,
)
TABLES = {"rule": R, "target": T}


# rules and targets: the same CRUD over two tables


async def insert(engine: AsyncEngine, kind: str, row: dict[str, Any]) -> None:
    try:
        async with engine.begin() as conn:
            await conn.execute(TABLES[kind].insert().values(**row))
    except IntegrityError as exc:
        raise Conflict(f"alert {kind} id {row['id']!r} already exists") from exc


async def upsert(engine: AsyncEngine, kind: str, row: dict[str, Any]) -> None:
    table = TABLES[kind]
    async with engine.begin() as conn:
        found = (await conn.execute(select(table.c.id).where(table.c.id == row["id"]))).first()
        if found is None:
            await conn.execute(table.insert().values(**row))
        else:
            values = {k: v for k, v in row.items() if k not in ("id", "created_at")}
            await conn.execute(table.update().where(table.c.id == row["id"]).values(**values))


async def get(conn: AsyncConnection, kind: str, item_id: str) -> RowMapping | None:
    table = TABLES[kind]
    return (await conn.execute(select(table).where(table.c.id == item_id))).mappings().first()


async def all_of(conn: AsyncConnection, kind: str) -> list[RowMapping]:
    table = TABLES[kind]
    return list((await conn.execute(select(table).order_by(table.c.id))).mappings())


async def page_of(
    conn: AsyncConnection, kind: str, page: int, size: int
) -> tuple[int, list[RowMapping]]:
    table = TABLES[kind]
    query = select(table).order_by(table.c.created_at, table.c.id)
    return await fetch_page(conn, query, page, size)


async def update_item(engine: AsyncEngine, kind: str, item_id: str, values: dict[str, Any]) -> None:
    table = TABLES[kind]
    async with engine.begin() as conn:
        await conn.execute(table.update().where(table.c.id == item_id).values(**values))


async def delete_item(engine: AsyncEngine, kind: str, item_id: str, now: int) -> None:
    """Delete a rule or target; a deleted target's pending deliveries are cancelled."""
    table = TABLES[kind]
    async with engine.begin() as conn:
        await conn.execute(table.delete().where(table.c.id == item_id))
        if kind == "target":
            pending = and_(D.c.target_id == item_id, D.c.status == "pending")
            await conn.execute(
                update(D).where(pending).values(status="cancelled", updated_at=now)
            )


async def existing_targets(conn: AsyncConnection, ids: Sequence[str]) -> set[str]:
    if not ids:
        return set()
    rows = await conn.execute(select(T.c.id).where(T.c.id.in_(list(ids))))
    return {r[0] for r in rows}


# alerts


async def insert_alert(
    conn: AsyncConnection, row: dict[str, Any], target_ids: Sequence[str]
) -> bool:
    """Store an alert and queue one delivery per existing target (same transaction);
    False when an alert with this id exists already (nothing is written)."""
    found = (await conn.execute(select(A.c.seq).where(A.c.id == row["id"]))).first()
    if found is not None:
        return False
    await conn.execute(A.insert().values(**row))
    targets = await existing_targets(conn, target_ids)
    now = row["created_at"]
    for target_id in [t for t in target_ids if t in targets]:
        await conn.execute(
            D.insert().values(
                alert_id=row["id"],
                target_id=target_id,
                status="pending",
                attempts=0,
                next_at=now,
                created_at=now,
                updated_at=now,
            )
        )
    return True


async def add_repeat(conn: AsyncConnection, alert_id: str, now: int) -> bool:
    """One more matching event folded into an open alert; False when it is resolved or gone."""
    result = await conn.execute(
        update(A)
        .where(and_(A.c.id == alert_id, A.c.state != "resolved"))
        .values(repeat_count=A.c.repeat_count + 1, updated_at=now)
    )
    return bool(result.rowcount)


async def get_alert(conn: AsyncConnection, alert_id: str) -> RowMapping | None:
    return (await conn.execute(select(A).where(A.c.id == alert_id))).mappings().first()


async def list_alerts(
    conn: AsyncConnection,
    page: int,
    size: int,
    *,
    state: str | None = None,
    rule_id: str | None = None,
    source: str | None = None,
    start: int | None = None,
    end: int | None = None,
) -> tuple[int, list[RowMapping]]:
    query = select(A)
    for column, value in ((A.c.state, state), (A.c.rule_id, rule_id), (A.c.source, source)):
        if value is not None:
            query = query.where(column == value)
    if start is not None:
        query = query.where(A.c.created_at >= start)
    if end is not None:
        query = query.where(A.c.created_at <= end)
    return await fetch_page(conn, query.order_by(A.c.created_at.desc(), A.c.seq.desc()), page, size)


async def change_state(
    engine: AsyncEngine, alert_id: str, allowed_from: Sequence[str], values: dict[str, Any]
) -> RowMapping | None:
    """Move an alert to a new state when it is in one of `allowed_from`; returns the row after
    (unchanged when the move was not allowed), None when the alert does not exist."""
    async with engine.begin() as conn:
        await conn.execute(
            update(A)
            .where(and_(A.c.id == alert_id, A.c.state.in_(list(allowed_from))))
            .values(**values)
        )
        return await get_alert(conn, alert_id)


async def recent_open_alerts(conn: AsyncConnection, since: int) -> list[RowMapping]:
    """Alerts not resolved and triggered after `since` (to restore cooldowns at start)."""
    query = select(A).where(and_(A.c.triggered_at > since, A.c.state != "resolved"))
    return list((await conn.execute(query.order_by(A.c.triggered_at))).mappings())


# the outbox


class TargetLocks:
    """Which targets this process delivers to. On PostgreSQL, session advisory locks on one
    dedicated connection, so nodes sharing the database never send the same outbox twice
    (a node that stops releases its targets with its connection); other databases have one
    node, which holds every target."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.shared = engine.dialect.name == "postgresql"
        self._conn: AsyncConnection | None = None
        self._held: set[str] = set()
        self._mutex = asyncio.Lock()

    @staticmethod
    def _key(target_id: str) -> int:
        digest = hashlib.sha256(f"alert-target:{target_id}".encode()).digest()
        return int.from_bytes(digest[:8], "big", signed=True)

    async def _run(self, sql: str, target_id: str) -> bool:
        try:
            if self._conn is None:
                self._conn = await self.engine.connect()
            result = await self._conn.scalar(text(sql), {"k": self._key(target_id)})
            await self._conn.commit()
            return bool(result)
        except Exception:
            await self.close()  # a broken connection held nothing any more
            raise

    async def hold(self, target_id: str) -> bool:
        if not self.shared:
            return True
        async with self._mutex:
            if target_id not in self._held:
                if not await self._run("SELECT pg_try_advisory_lock(:k)", target_id):
                    return False
                self._held.add(target_id)
            return True

    async def release(self, target_id: str) -> None:
        async with self._mutex:
            if target_id in self._held:
                self._held.discard(target_id)
                with contextlib.suppress(Exception):
                    await self._run("SELECT pg_advisory_unlock(:k)", target_id)

    async def close(self) -> None:
        self._held.clear()
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()


async def pending_for(conn: AsyncConnection, target_id: str, limit: int) -> list[dict[str, Any]]:
    """A target's pending deliveries, oldest first, each with its alert row under `alert`."""
    alert_columns = [c.label(f"a__{c.name}") for c in A.c]
    query = (
        select(D, *alert_columns)
        .join(A, A.c.id == D.c.alert_id)
        .where(and_(D.c.target_id == target_id, D.c.status == "pending"))
        .order_by(D.c.seq)
        .limit(limit)
    )
    out = []
    for row in (await conn.execute(query)).mappings():
        delivery = {c.name: row[c.name] for c in D.c}
        delivery["alert"] = {c.name: row[f"a__{c.name}"] for c in A.c}
        out.append(delivery)
    return out


async def record_attempts(
    engine: AsyncEngine, attempts: Sequence[tuple[Mapping[Any, Any], str | None, int, int]]
) -> None:
    """Log attempts `(delivery, error or None when it succeeded, at, next_at)` in one
    transaction and move each delivery on: delivered, or still pending until `next_at`."""
    async with engine.begin() as conn:
        for delivery, error, at, next_at in attempts:
            attempt = int(delivery["attempts"]) + 1
            await conn.execute(
                X.insert().values(
                    delivery_seq=delivery["seq"],
                    alert_id=delivery["alert_id"],
                    target_id=delivery["target_id"],
                    attempt=attempt,
                    at=at,
                    ok=error is None,
                    error=error,
                )
            )
            await conn.execute(
                update(D)
                .where(D.c.seq == delivery["seq"])
                .values(
                    status="delivered" if error is None else "pending",
                    attempts=attempt,
                    next_at=next_at,
                    last_error=error,
                    updated_at=at,
                )
            )


async def give_up(engine: AsyncEngine, seq: int, reason: str, now: int) -> None:
    """A delivery past the maximum age: no more attempts."""
    async with engine.begin() as conn:
        await conn.execute(
            update(D)
            .where(D.c.seq == seq)
            .values(status="expired", last_error=reason, updated_at=now)
        )


async def deliveries_of(conn: AsyncConnection, alert_id: str) -> tuple[list[Any], list[Any]]:
    """(deliveries, attempts) of one alert, each oldest first."""
    deliveries = await conn.execute(
        select(D, T.c.name.label("target_name"), T.c.kind.label("target_kind"))
        .outerjoin(T, T.c.id == D.c.target_id)
        .where(D.c.alert_id == alert_id)
        .order_by(D.c.seq)
    )
    attempts = await conn.execute(select(X).where(X.c.alert_id == alert_id).order_by(X.c.seq))
    return list(deliveries.mappings()), list(attempts.mappings())
