"""The active-call tracker rebuilt from the store, for a node that takes over MQTT ingest
(or restarts): the calls whose end was never announced, as the last ingester left them.

Without it a call that started under the previous ingester would never get its call_end
synthesised from the snapshots, and a re-delivered call_start would be announced twice.
The newest `limit` (LISTENPOST_RADIO_MAX_ACTIVE_CALLS) open calls are taken whatever their
age (a plugin clock is no guide): one left open by an old crash is ended by the snapshots.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncEngine

from ..store import radio as q
from ._parse_calls import call_from_stored
from .tracker import ActiveCalls


async def active_calls(engine: AsyncEngine, limit: int) -> ActiveCalls:
    async with engine.connect() as conn:
        rows = await q.open_calls(conn, max(limit, 1))
    active = ActiveCalls()
    for row in reversed(rows):  # oldest first, as they were started
        call = call_from_stored(row["metadata"])
        if call is not None:
            call = replace(
                call, sys_name=row["system"], tr_call_id=row["tr_call_id"] or call.tr_call_id
            )
            active.start(call, int(row["id"]))
    active.forget()
    return active
