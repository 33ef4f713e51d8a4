"""Call rows a transaction looks up, inserts and updates: read in bulk, written in bulk.

Each call record used to look its row up alone (a query per record), and each call start or
end was an INSERT or UPDATE round trip through the database thread, because its event needs
the row's id. Here the rows that the batch's call records (or a snapshot's new calls) could
find are read at once; a new row gets its id at once (`store.radio.CallIds`, no INSERT) and
is written, with every change the transaction made to calls, by a few statements just before
the commit (`flush`). Lookups answer from memory exactly what a query would have answered
had each change been written when it was made; a key outside what was read is read then.
A failure while flushing fails the transaction like any other (rollback, per-record retry).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from ..store import radio as q
from ..store import radio_calls as qc
from .records import CallRecord

Row = dict[str, Any]
_UNREAD = object()
_BLANK = dict.fromkeys(qc.CALL_COLUMNS)


def _us(t: float | None) -> int | None:
    return None if t is None else int(round(t * 1_000_000))


class KnownCalls:
    def __init__(self) -> None:
        self._rows: dict[int, Row] = {}
        self._by_tr: dict[tuple[str, str], list[int]] = {}
        self._by_start: dict[tuple[str, int, int], list[int]] = {}
        self._trs: set[tuple[str, str]] = set()  # keys read: their rows are all known
        self._starts: set[tuple[str, int, int]] = set()
        self._new: dict[int, Row] = {}  # rows inserted, as inserted (written at flush)
        self._changed: dict[int, Row] = {}  # columns set on stored rows (written at flush)
        self._ids = qc.CallIds()
        self._expected = 0  # rows the records read so far may still insert (id hint)

    async def read(self, conn: AsyncConnection, calls: Iterable[CallRecord]) -> None:
        """Read the rows these calls may find (in one query per 2,000 keys)."""
        calls = list(calls)
        trs = {(c.sys_name, c.tr_call_id) for c in calls if c.tr_call_id}
        starts = {
            (c.sys_name, c.talkgroup, s) for c in calls if (s := _us(c.start_time)) is not None
        }
        await self._read(conn, trs, starts)
        missing = {
            (c.sys_name, c.tr_call_id, c.talkgroup, s)
            for c in calls
            if self._find(c.sys_name, c.tr_call_id, c.talkgroup, s := _us(c.start_time)) is None
        }
        self._expected += len(missing)

    async def _read(
        self, conn: AsyncConnection, trs: set[tuple[str, str]], starts: set[tuple[str, int, int]]
    ) -> None:
        trs, starts = trs - self._trs, starts - self._starts
        if not trs and not starts:
            return
        for row in await qc.calls_matching({t for _, t in trs}, starts, conn):
            if row["id"] not in self._rows:  # a row known here is as new as the database's
                self._add(dict(row))
        self._trs |= trs
        self._starts |= starts

    def _add(self, row: Row) -> None:
        self._rows[row["id"]] = row
        if row["tr_call_id"]:
            self._by_tr.setdefault((row["system"], row["tr_call_id"]), []).append(row["id"])
        if row["start_time"] is not None:
            key = (row["system"], row["talkgroup"], row["start_time"])
            self._by_start.setdefault(key, []).append(row["id"])

    async def find(
        self,
        conn: AsyncConnection,
        system: str,
        tr_call_id: str | None,
        talkgroup: int,
        start: int | None,
    ) -> Row | None:
        """The call row by trunk-recorder id (the newest row), else by system, talkgroup and
        start time (the oldest); None when there is none."""
        found = self._find(system, tr_call_id, talkgroup, start)
        if found is _UNREAD:
            trs = {(system, tr_call_id)} if tr_call_id else set()
            starts = {(system, talkgroup, start)} if start is not None else set()
            await self._read(conn, trs, starts)
            found = self._find(system, tr_call_id, talkgroup, start)
        return found  # type: ignore[return-value]

    def _find(self, system: str, tr: str | None, talkgroup: int, start: int | None) -> Any:
        if tr:
            if (system, tr) not in self._trs:
                return _UNREAD
            ids = self._by_tr.get((system, tr))
            if ids:
                return self._rows[max(ids)]
        if start is None:
            return None
        key = (system, talkgroup, start)
        if key not in self._starts:
            return _UNREAD
        ids = self._by_start.get(key)
        return self._rows[min(ids)] if ids else None

    async def get(self, conn: AsyncConnection, call_id: int) -> Row | None:
        """The call row with this id (None if there is none)."""
        row = self._rows.get(call_id)
        if row is None:
            found = await q.call(conn, call_id)
            if found is None:
                return None
            row = {name: found[name] for name in qc.CALL_COLUMNS}
            self._add(row)
        return row

    async def insert(self, conn: AsyncConnection, values: Row) -> int:
        """A new call row; returns its id (the row is written at `flush`)."""
        call_id = await self._ids.take(conn, self._expected)
        self._expected = max(0, self._expected - 1)
        self._new[call_id] = {**values, "id": call_id}
        self._add({**_BLANK, **_known(values), "id": call_id})
        return call_id

    def update(self, call_id: int, values: Row) -> None:
        """Set these columns of the call row (written at `flush`)."""
        target = self._new.get(call_id)
        if target is None:
            target = self._changed.setdefault(call_id, {})
        target.update(values)
        row = self._rows.get(call_id)
        if row is not None:
            row.update(_known(values))

    async def flush(self, conn: AsyncConnection) -> None:
        """Write the rows inserted and the changes made, in id order."""
        await qc.insert_calls(conn, [self._new[k] for k in sorted(self._new)])
        await qc.update_calls(conn, {k: self._changed[k] for k in sorted(self._changed)})
        self._new.clear()
        self._changed.clear()


def _known(values: Row) -> Row:
    return {k: v for k, v in values.items() if k in _BLANK}
