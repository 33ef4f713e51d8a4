"""What a radio transaction writes at its end, in bulk: the talkgroups and units it saw, the
widened `first_seen`/`last_seen` of its systems, and its append-only rows (unit events,
decode rates, control-channel messages).

A record used to cost a SELECT and an INSERT or UPDATE for its talkgroup and for its unit,
plus its own INSERT: five statements, each a round trip to the database thread. Nothing in
the transaction reads those rows back, so they are folded per key here (the latest non-null
value of each field, the earliest and latest time seen: what applying the upserts one by one
would leave) and written by one statement per table just before the commit. A failure there
fails the transaction like any other, so rollback and the per-record retry are unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection

from ..store import radio as q
from ..store import radio_tables as rt


@dataclass(slots=True)
class _Seen:
    keys: dict[str, Any]
    fields: dict[str, Any]
    first: int
    last: int


@dataclass
class Deferred:
    seen: dict[tuple[Table, tuple[Any, ...]], _Seen] = field(default_factory=dict)
    rows: dict[Table, list[dict[str, Any]]] = field(default_factory=dict)
    systems: dict[str, tuple[int, int]] = field(default_factory=dict)  # name -> first, last

    def touch(self, table: Table, keys: dict[str, Any], fields: dict[str, Any], at: int) -> None:
        """Create the row or widen its times; fields that are None keep the known value."""
        ident = (table, tuple(keys.values()))
        known = self.seen.get(ident)
        if known is None:
            self.seen[ident] = _Seen(keys, dict(fields), at, at)
            return
        known.first, known.last = min(known.first, at), max(known.last, at)
        for name, value in fields.items():
            if value is not None:
                known.fields[name] = value

    def widen_system(self, name: str, at: int) -> None:
        first, last = self.systems.get(name, (at, at))
        self.systems[name] = (min(first, at), max(last, at))

    def insert(self, table: Table, row: dict[str, Any]) -> None:
        self.rows.setdefault(table, []).append(row)

    async def flush(self, conn: AsyncConnection) -> None:
        """Write everything deferred, in a fixed order (tables, then keys sorted)."""
        for name in sorted(self.systems):
            first, last = self.systems[name]
            await q.widen_seen(conn, rt.systems, {"short_name": name}, first, last)
        for table in (rt.talkgroups, rt.units):
            touched = sorted(
                (ident[1], s) for ident, s in self.seen.items() if ident[0] is table
            )
            rows = [
                {**s.keys, **s.fields, "first_seen": s.first, "last_seen": s.last}
                for _, s in touched
            ]
            if rows:
                await q.upsert_many(conn, table, list(touched[0][1].keys), rows)
        for table, rows in self.rows.items():
            await q.insert_rows(conn, table, rows)
        self.seen.clear()
        self.rows.clear()
        self.systems.clear()
