"""Schema steps added by later features (composite events, radio)."""

from __future__ import annotations

from sqlalchemy import Connection, inspect, text

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


def _add_column(conn: Connection, table: str, column: str, sql_type: str) -> None:
    """Add a column unless the table already has it (tables created by step 3 from the
    current definitions do)."""
    if column not in {c["name"] for c in inspect(conn).get_columns(table)}:
        conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {sql_type}"))


@step(6, "radio: plugin heartbeats; call_alert target unit; call end announced once")
def _v6(conn: Connection) -> None:
    from . import radio_tables

    create_tables(conn, radio_tables.heartbeats)
    _add_column(conn, "radio_unit_events", "target_unit", "BIGINT")
    _add_column(conn, "radio_calls", "ended", "BOOLEAN")
