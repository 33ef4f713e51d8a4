"""The edge detector's ingest: validate, judge thresholds, store with offsets, then publish."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncEngine

from ..bus.base import Bus
from ..errors import Invalid
from ..metrics import EVENTS_INGESTED, EVENTS_SUPPRESSED
from ..store import sound as store
from ..timeutil import now_us, parse_iso, to_iso
from . import thresholds
from .labels import LABELS
from .models import EventIn

log = logging.getLogger("listenpost.sound")
LIVE_STREAM = "sound.events"
AfterStore = Callable[[list[dict[str, Any]]], Awaitable[None]]


def _created_at(item: EventIn, now: int, max_skew_us: int) -> int:
    """The event's time (arrival when absent); ValueError when it is too far ahead of the
    clock: an edge clock set in the future must not hold back composites and list order."""
    if not item.created_at:
        return now
    created = parse_iso(item.created_at)
    if created > now + max_skew_us:
        raise ValueError(
            f"created_at: {item.created_at!r} is more than {max_skew_us / 1e6:g} s ahead of the"
            f" server clock ({to_iso(now)}); check the edge's clock (--max-clock-skew)"
        )
    return created


def _row(item: EventIn, mic: Any, now: int, created_at: int) -> dict[str, Any]:
    threshold = (mic["thresholds"] or {}).get(item.label_id) or {}
    confidence = thresholds.truncate6(item.confidence)
    passed = thresholds.judge(threshold, confidence, item.sound_level)
    return {
        "id": uuid.uuid4().hex,
        "mic_id": item.mic_id,
        "label_id": item.label_id,
        "confidence": confidence,
        "sound_level": item.sound_level,
        "noises": item.noises,
        "description": item.description,
        "audio_file": item.audio_file,
        "confidence_threshold": threshold.get("confidence"),
        "sound_level_threshold": threshold.get("sound_level_ge"),
        "suppressed": not passed,
        "is_read": False,
        "read_at": None,
        "created_at": created_at,
        "updated_at": now,
    }


class Ingest:
    """Owns the write path so REST, batch and future ingesters share one behaviour."""

    def __init__(self, engine: AsyncEngine, bus: Bus, max_skew: float = 300.0) -> None:
        self.engine = engine
        self.bus = bus
        self.max_skew_us = int(max_skew * 1_000_000)
        self.after_store: list[AfterStore] = []

    async def accept(self, items: Sequence[EventIn]) -> list[dict[str, Any]]:
        """Store all items or none (422 names the bad index); returns rows with mic summary."""
        now = now_us()
        async with self.engine.begin() as conn:
            mics = await store.get_mics(conn, [i.mic_id for i in items])
            where = (lambda i: f"events[{i}].") if len(items) > 1 else (lambda i: "")
            times = []
            for index, item in enumerate(items):
                if item.label_id not in LABELS:
                    raise Invalid(f"{where(index)}label_id: unknown label {item.label_id!r}")
                if item.mic_id not in mics:
                    raise Invalid(f"{where(index)}mic_id: unknown mic {item.mic_id!r}")
                try:
                    times.append(_created_at(item, now, self.max_skew_us))
                except ValueError as exc:
                    raise Invalid(f"{where(index)}{exc}") from exc
            rows = [
                _row(item, mics[item.mic_id], now, created_at)
                for item, created_at in zip(items, times, strict=True)
            ]
            offsets = await store.insert_events(conn, rows)
        for row, offset in zip(rows, offsets, strict=True):
            mic = mics[row["mic_id"]]
            row.update(
                seq=offset,
                mic_name=mic["name"],
                mic_location=mic["location"],
                edge_id=mic["edge_id"],
            )
        await self._announce(rows)
        return rows

    async def _announce(self, rows: list[dict[str, Any]]) -> None:
        from .views import live_view

        accepted = [r for r in rows if not r["suppressed"]]
        EVENTS_INGESTED.inc(len(accepted))
        EVENTS_SUPPRESSED.inc(len(rows) - len(accepted))
        for row in accepted:
            await self.bus.publish(LIVE_STREAM, orjson.dumps(live_view(row)))
        for hook in self.after_store:
            try:
                await hook(accepted)
            except Exception:  # stored events stay stored; the hook rebuilds at restart
                log.exception("post-ingest hook %r failed", hook)
