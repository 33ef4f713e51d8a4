"""Call rows as radio ingest reads and writes them: found in bulk, ids handed out without an
INSERT, rows and changes written in bulk before the commit (see radio/known_calls.py)."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import BigInteger, RowMapping, String, and_, bindparam, column, func, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.expression import values as sql_values

from . import radio_tables as rt
from .bulk import execute_many

_BY_ID = "row_id_"  # the WHERE parameter of the update by primary key (not a column name)
_UPDATE = rt.calls.update().where(rt.calls.c.id == bindparam(_BY_ID))
_INSERT = rt.calls.insert()

# What ingest needs of a stored call row to find it and decide on it (not its metadata, which
# would be decoded from JSON for every row read).
CALL_COLUMNS = (
    "id",
    "tr_call_id",
    "system",
    "sysid",
    "talkgroup",
    "unit",
    "start_time",
    "audio_path",
    "ended",
)
_C = rt.calls.c
_CALL_COLS = [_C[name] for name in CALL_COLUMNS]
_BY_TR = select(*_CALL_COLS).where(_C.tr_call_id.in_(bindparam("trs", expanding=True)))
# SQLite: the keys as one JSON parameter, so the statement is built and compiled once (a
# VALUES list of n rows is a new statement for every batch, and compiling it cost more
# than the rest of the lookup).
_KEY = func.json_each(bindparam("keys", type_=String)).table_valued("value", name="k").c.value
_BY_START_SQLITE = select(*_CALL_COLS).join_from(
    _KEY.table,
    rt.calls,
    and_(
        _C.system == func.json_extract(_KEY, "$[0]"),
        _C.talkgroup == func.json_extract(_KEY, "$[1]"),
        _C.start_time == func.json_extract(_KEY, "$[2]"),
    ),
)


def _by_start(keys: list[tuple[str, int, int]], dialect: str) -> tuple[Any, dict[str, Any]]:
    """The rows with these (system, talkgroup, start time) keys, each key one index lookup
    (joined as rows, not `IN` lists: a start time shared by many calls, a snapshot's, must
    not read them all)."""
    if dialect == "sqlite":
        return _BY_START_SQLITE, {"keys": orjson.dumps(keys).decode()}
    k = sql_values(
        column("system", String), column("tg", BigInteger), column("st", BigInteger), name="k"
    ).data(keys)
    ks = k.cte("k")
    on = and_(_C.system == ks.c.system, _C.talkgroup == ks.c.tg, _C.start_time == ks.c.st)
    return select(*_CALL_COLS).join_from(ks, rt.calls, on), {}


async def calls_matching(
    tr_call_ids: set[str], starts: set[tuple[str, int, int]], conn: AsyncConnection
) -> list[RowMapping]:
    """Every call row with one of these trunk-recorder ids or (system, talkgroup, start
    time) keys, in id order; only `CALL_COLUMNS`."""
    found: dict[int, RowMapping] = {}
    trs, keys = sorted(tr_call_ids), sorted(starts)
    for i in range(0, len(trs), 2000):
        rows = await conn.execute(_BY_TR, {"trs": trs[i : i + 2000]})
        found.update((r["id"], r) for r in rows.mappings())
    for i in range(0, len(keys), 2000):
        rows = await conn.execute(*_by_start(keys[i : i + 2000], conn.dialect.name))
        found.update((r["id"], r) for r in rows.mappings())
    return [found[k] for k in sorted(found)]


class CallIds:
    """Ids for the call rows one transaction inserts, handed out without an INSERT round trip
    per call (the rows are written in bulk before the commit). PostgreSQL: taken from the
    table's own sequence, `hint` at a time (concurrency-safe; unused ones are gaps, as a
    rollback leaves). Elsewhere (SQLite, one writer): the largest id + 1 read once, then
    counted, which is the id SQLite's rowid would have given each row (calls are never
    deleted)."""

    def __init__(self) -> None:
        self._next: int | None = None
        self._free: list[int] = []

    async def take(self, conn: AsyncConnection, hint: int) -> int:
        if conn.dialect.name == "postgresql":
            if not self._free:
                seq = func.pg_get_serial_sequence(rt.calls.name, "id")
                q = select(func.nextval(seq)).select_from(func.generate_series(1, max(hint, 1)))
                self._free = sorted((int(n) for n in (await conn.scalars(q))), reverse=True)
            return self._free.pop()
        if self._next is None:
            top = await conn.scalar(select(func.coalesce(func.max(rt.calls.c.id), 0)))
            self._next = int(top or 0) + 1
        call_id, self._next = self._next, self._next + 1
        return call_id


async def insert_calls(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    """Call rows with their ids, in one statement; a column some rows lack is written as
    its default (what leaving it out of a single insert does)."""
    if not rows:
        return
    names = {name for row in rows for name in row}
    blank = {n: _default(rt.calls.c[n]) for n in names}
    await execute_many(conn, _INSERT, [{**blank, **row} for row in rows])


def _default(column: Any) -> Any:
    default = column.default
    return default.arg if default is not None and default.is_scalar else None


async def update_calls(conn: AsyncConnection, changes: dict[int, dict[str, Any]]) -> None:
    """Each call's new column values, one statement per set of columns changed."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for call_id, changed in changes.items():
        if changed:
            groups.setdefault(tuple(sorted(changed)), []).append({**changed, _BY_ID: call_id})
    for rows in groups.values():
        await execute_many(conn, _UPDATE, rows)
