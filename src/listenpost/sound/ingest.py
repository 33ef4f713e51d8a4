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
from ..timeutil import now_us, parse_iso
from . import thresholds
from .labels import LABELS
from .models import EventIn

log = logging.getLogger("listenpost.sound")
LIVE_STREAM = "sound.events"
AfterStore = Callable[[list[dict[str, Any]]], Awaitable[None]]


def _row(item: EventIn, mic: Any, now: int) -> dict[str, Any]:
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
        "created_at": parse_iso(item.created_at) if item.created_at else now,
        "updated_at": now,
    }


class Ingest:
    """Owns the write path so REST, batch and future ingesters share one behaviour."""

    def __init__(self, engine: AsyncEngine, bus: Bus) -> None:
        self.engine = engine
        self.bus = bus
        self.after_store: list[AfterStore] = []

    async def accept(self, items: Sequence[EventIn]) -> list[dict[str, Any]]:
        """Store all items or none (422 names the bad index); returns rows with mic summary."""
        now = now_us()
        async with self.engine.begin() as conn:
            mics = await store.get_mics(conn, [i.mic_id for i in items])
            where = (lambda i: f"events[{i}].") if len(items) > 1 else (lambda i: "")
            for index, item in enumerate(items):
                if item.label_id not in LABELS:
                    raise Invalid(f"{where(index)}label_id: unknown label {item.label_id!r}")
                if item.mic_id not in mics:
                    raise Invalid(f"{where(index)}mic_id: unknown mic {item.mic_id!r}")
            rows = [_row(item, mics[item.mic_id], now) for item in items]
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
