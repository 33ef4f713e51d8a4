"""Systems, talkgroups and units seen in a record: created on first sight, their
`first_seen`/`last_seen` widened to the message's time (not the time it reached us, so a
broker's backlog does not make old units look current)."""

from __future__ import annotations

import logging
import time
from typing import Any

from ..store import radio as q
from ..store import radio_tables as rt
from .records import AudioRecord, CallRecord, UnitEventRecord, effective_sysid
from .state import Ctx

log = logging.getLogger("listenpost.radio")


def us(t: float | None) -> int | None:
    return None if t is None else int(round(t * 1_000_000))


def now_us() -> int:
    return time.time_ns() // 1000


EARLIEST = 946_684_800  # 2000-01-01T00:00:00Z: before it, a plugin clock was not set


def seen_at(ctx: Ctx, t: float | None) -> int:
    """A message's time in µs, never after the moment it arrived (a plugin clock ahead of
    ours must not pin last_seen in the future); arrival time when it has none or one before
    2000 (an unset clock)."""
    if t is None or t < EARLIEST:
        return ctx.received
    return min(int(round(t * 1_000_000)), ctx.received)


async def ensure_system(
    ctx: Ctx, name: str, instance: str | None, sys_num: int | None, seen: int
) -> str:
    """Return the system's effective sysid, creating the system when it is new. Known
    already (a site names few systems): no query at all, its times widened at the end."""
    known = ctx.systems.get(name)
    if known is not None and known[1] <= seen <= known[2]:
        return known[0]
    if known is None:
        row = await q.system(ctx.conn, name)
        if row is None:
            values = {"instance_id": instance, "sys_num": sys_num}
            await q.upsert(ctx.conn, rt.systems, {"short_name": name}, values, seen)
            log.info("new radio system %r", name)
            ctx.systems[name] = (name, seen, seen)
            return name
        known = (effective_sysid(row["sysid"], name), row["first_seen"], row["last_seen"])
    sysid, first, last = known
    if not first <= seen <= last:
        ctx.deferred.widen_system(name, seen)
    ctx.systems[name] = (sysid, min(first, seen), max(last, seen))
    return sysid


def touch_talkgroup(
    ctx: Ctx, sysid: str, talkgroup: int | None, fields: dict[str, Any], seen: int
) -> None:
    """Create or widen the talkgroup when the transaction ends (deferred.py)."""
    if talkgroup:
        ctx.deferred.touch(rt.talkgroups, {"sysid": sysid, "tgid": talkgroup}, fields, seen)


def touch_unit(ctx: Ctx, sysid: str, unit: int | None, tag: str, seen: int) -> None:
    """Create or widen the unit when the transaction ends (deferred.py)."""
    if unit:
        keys = {"sysid": sysid, "unit_id": unit}
        ctx.deferred.touch(rt.units, keys, {"alpha_tag": tag or None}, seen)


def tg_fields(r: CallRecord | AudioRecord | UnitEventRecord) -> dict[str, Any]:
    return {
        "alpha_tag": r.talkgroup_alpha_tag or None,
        "description": r.talkgroup_description or None,
        "tg_group": r.talkgroup_group or None,
        "tag": r.talkgroup_tag or None,
    }
