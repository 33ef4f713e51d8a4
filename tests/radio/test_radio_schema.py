"""Revision 0006 (radio heartbeats, call_alert target, call end announced) on a database made
at 0005 before those existed: it adds what is missing and keeps every row."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import inspect, text

from listenpost.store.db import make_engine
from listenpost.store.migrations import migrate


def _shape(sync_conn: object) -> tuple[set[str], set[str], set[str]]:
    insp = inspect(sync_conn)
    return (
        set(insp.get_table_names()),
        {c["name"] for c in insp.get_columns("radio_unit_events")},
        {c["name"] for c in insp.get_columns("radio_calls")},
    )


async def _upgrade_from_0005(url: str) -> tuple[set[str], set[str], set[str], str]:
    engine = make_engine(url)
    await migrate(engine, "0005")
    async with engine.begin() as conn:  # as a 0005 database made before these existed
        tables, events, calls = await conn.run_sync(_shape)
        if "radio_heartbeats" in tables:
            await conn.execute(text("DROP TABLE radio_heartbeats"))
        if "target_unit" in events:
            await conn.execute(text("ALTER TABLE radio_unit_events DROP COLUMN target_unit"))
        if "ended" in calls:
            await conn.execute(text("ALTER TABLE radio_calls DROP COLUMN ended"))
        await conn.execute(
            text(
                "INSERT INTO radio_calls (system, sysid, talkgroup, emergency, encrypted)"
                " VALUES ('s', 's', 1, false, false)"
            )
        )
    revision = await migrate(engine)
    async with engine.connect() as conn:
        tables, events, calls = await conn.run_sync(_shape)
        kept = (await conn.execute(text("SELECT count(*) FROM radio_calls"))).scalar_one()
    await engine.dispose()
    assert kept == 1
    return tables, events, calls, revision


def test_revision_0006_upgrades_a_0005_database(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    tables, events, calls, revision = asyncio.run(_upgrade_from_0005(url))
    assert "radio_heartbeats" in tables
    assert "target_unit" in events and "ended" in calls
    assert revision >= "0006"
