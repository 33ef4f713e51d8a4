"""Many rows through one statement, handed to the SQLite driver as SQLAlchemy would hand them.

SQLAlchemy's executemany processes every row of every statement in Python (its parameter
dictionaries, then each value's bind processor) before the driver sees it: for radio ingest
that was over half of what a batch's statements cost on the event loop, more than SQLite took
to run them. Here a statement is compiled once per dialect and set of columns, and each row is
turned into the positional values the compiled SQL takes, each through the column type's own
bind processor (JSON as text, booleans as 0/1), so the driver stores exactly what SQLAlchemy's
execute would. A driver error is raised as SQLAlchemy raises it, so callers judge it the same.

Only SQLite takes this path; PostgreSQL (asyncpg prepares each statement once and binds rows in
C) and statements with values SQLAlchemy computes itself (a column default not given, a
literal) keep SQLAlchemy's execute, as does a batch whose rows do not all carry the columns of
the first (SQLAlchemy words that error).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Executable


@dataclass(frozen=True, slots=True)
class Plan:
    """A statement compiled for a dialect and the columns its rows carry."""

    sql: str
    names: tuple[str, ...]  # the row key of each positional parameter, in order
    processors: tuple[tuple[int, Callable[[Any], Any]], ...]  # (position, bind processor)

    def params(self, rows: Sequence[dict[str, Any]]) -> list[list[Any]]:
        """Each row's values in the compiled statement's order, in database form; a row
        lacking a column raises KeyError."""
        names, processors = self.names, self.processors
        out = []
        for row in rows:
            values = [row[name] for name in names]
            for i, proc in processors:
                values[i] = proc(values[i])
            out.append(values)
        return out


_plans: dict[tuple[Dialect, Any, tuple[str, ...]], Plan | None] = {}


def plan(dialect: Dialect, stmt: Any, keys: tuple[str, ...]) -> Plan | None:
    """`stmt` compiled once for `dialect` and rows with `keys`; None when SQLAlchemy would
    add values of its own (defaults, literals) or the dialect's parameters are not positional."""
    ident = (dialect, stmt, keys)
    if ident not in _plans:
        _plans[ident] = _compile(dialect, stmt, keys)
    return _plans[ident]


def _compile(dialect: Dialect, stmt: Any, keys: tuple[str, ...]) -> Plan | None:
    compiled = stmt.compile(dialect=dialect, column_keys=list(keys))
    names = tuple(compiled.positiontup or ())
    if not dialect.positional or set(names) - set(keys) or len(names) != len(set(names)):
        return None
    processors = []
    for i, name in enumerate(names):
        proc = compiled.binds[name].type.bind_processor(dialect)
        if proc is not None:
            processors.append((i, proc))
    return Plan(str(compiled), names, tuple(processors))


async def execute_many(conn: AsyncConnection, stmt: Executable, rows: list[dict[str, Any]]) -> None:
    """`conn.execute(stmt, rows)`, the rows handed to the SQLite driver directly (see above)."""
    if not rows:
        return
    found = plan(conn.dialect, stmt, tuple(rows[0])) if conn.dialect.name == "sqlite" else None
    if found is None:
        await conn.execute(stmt, rows)
        return
    try:
        params = found.params(rows)
    except KeyError:  # rows of different shapes: SQLAlchemy says which value is missing
        await conn.execute(stmt, rows)
        return
    await run(conn, found.sql, params)


async def run(conn: AsyncConnection, sql: str, params: list[list[Any]]) -> Any:
    """Run `sql` for each parameter list on the transaction's own driver connection; returns
    the closed cursor (its `lastrowid` is the last row's)."""
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    failure = conn.dialect.loaded_dbapi.Error
    try:
        if len(params) == 1:
            cursor = await driver.execute(sql, params[0])
        else:
            cursor = await driver.executemany(sql, params)
        await cursor.close()
    except failure as exc:  # as SQLAlchemy raises it: the error handlers judge it the same
        raise DBAPIError.instance(sql, None, exc, failure) from exc
    return cursor
