"""Call rows a transaction looks up, read for many records in one query.

Each call record used to look its row up alone (by trunk-recorder id, else by system,
talkgroup and start time): a query per record. Here the rows that the batch's call records
(or a snapshot's new calls) could find are read at once; rows this transaction inserts or
updates go through here too, so a lookup answers exactly what the query would have. A
lookup outside what was read still queries the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from ..store import radio as q
from ..store import radio_tables as rt
from .records import CallRecord

Row = dict[str, Any]
_UNREAD = object()


def _us(t: float | None) -> int | None:
    return None if t is None else int(round(t * 1_000_000))


class KnownCalls:
    def __init__(self) -> None:
        self._rows: dict[int, Row] = {}
        self._by_tr: dict[tuple[str, str], list[int]] = {}
        self._by_start: dict[tuple[str, int, int], list[int]] = {}
        self._trs: set[tuple[str, str]] = set()  # keys read: their rows are all known
        self._starts: set[tuple[str, int, int]] = set()

    async def read(self, conn: AsyncConnection, calls: Iterable[CallRecord]) -> None:
        """Read the rows these calls may find (in one query per 2,000 keys)."""
        trs = {(c.sys_name, c.tr_call_id) for c in calls if c.tr_call_id} - self._trs
        starts = {
            (c.sys_name, c.talkgroup, s) for c in calls if (s := _us(c.start_time)) is not None
        } - self._starts
        if not trs and not starts:
            return
        for row in await q.calls_matching({t for _, t in trs}, {s for *_, s in starts}, conn):
            if row["id"] not in self._rows:
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
        """`store.radio.find_call`: by trunk-recorder id (the newest row), else by system,
        talkgroup and start time (the oldest)."""
        found = self._find(system, tr_call_id, talkgroup, start)
        if found is _UNREAD:
            row = await q.find_call(conn, system, tr_call_id, talkgroup, start)
            return None if row is None else dict(row)
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

    async def insert(self, conn: AsyncConnection, values: Row) -> int:
        call_id = await q.insert(conn, rt.calls, values)
        row = {c.name: None for c in rt.calls.columns}
        self._add({**row, **values, "id": call_id})
        return call_id

    async def update(self, conn: AsyncConnection, call_id: int, values: Row) -> None:
        await q.update_call(conn, call_id, values)
        if call_id in self._rows:
            self._rows[call_id].update(values)
