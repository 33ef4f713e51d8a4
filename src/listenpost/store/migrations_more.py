"""Schema steps added by later features (composite events, radio)."""

from __future__ import annotations

from sqlalchemy import Connection

from . import keys_schema
from . import tables as t
from .migrations import create_tables, step


@step(2, "composite rules, composite events and their members")
def _v2(conn: Connection) -> None:
    create_tables(conn, t.composite_rules, t.composite_events, t.composite_members)


@step(3, "radio: instances, systems, talkgroups, units, calls, rates, recorders, messages")
def _v3(conn: Connection) -> None:
    from . import radio_tables

    create_tables(conn, *radio_tables.ALL)


@step(keys_schema.STEP, "api keys: scope, source, last use, revocation; unique names")
def _keys(conn: Connection) -> None:
    keys_schema.upgrade(conn)
