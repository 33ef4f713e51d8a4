"""The alert runner on a real SQLite store with an injected clock: a mic that stops sending
fires its silence rule once, stored and published like any alert."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from listenpost.alerts.model import check_rule
from listenpost.alerts.runner import STREAM, AlertRunner
from listenpost.alerts.setup_api import rule_row
from listenpost.store import alerts as store
from listenpost.store.db import make_engine
from listenpost.store.migrations import migrate

T0 = 1_780_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


class Published:
    def __init__(self) -> None:
        self.frames: list[tuple[str, dict[str, Any]]] = []

    async def publish(self, stream: str, payload: bytes, key: bytes | None = None) -> None:
        self.frames.append((stream, orjson.loads(payload)))


def sound_row(mic: str, t: float) -> dict[str, Any]:
    return {
        "id": f"ev-{t}",
        "mic_id": mic,
        "label_id": "crying",
        "confidence": 0.9,
        "sound_level": None,
        "created_at": int(t * 1e6),
    }


async def test_silent_mic_fires_once_per_quiet_spell(tmp_path: Path) -> None:
    db = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'lp.db'}")
    await migrate(db)
    spec = check_rule(
        {
            "id": "quiet-door",
            "name": "door mic silent",
            "source": "silence",
            "match": {"kind": "mic", "mic_ids": ["door"], "for_seconds": 120},
        }
    )
    await store.insert(db, "rule", rule_row(spec, int(T0 * 1e6)))
    clock, bus = Clock(), Published()
    runner = AlertRunner(db, bus, clock=clock)  # type: ignore[arg-type]
    await runner.start()
    try:
        clock.now = T0 + 60
        await runner.on_sound([sound_row("door", clock.now)])
        await runner._drain()
        clock.now = T0 + 179
        await runner.tick()
        assert bus.frames == []
        clock.now = T0 + 180  # 120 s after the last event
        await runner.tick()
        clock.now = T0 + 400
        await runner.tick()  # still the same quiet spell: no second alert
        [(stream, alert)] = bus.frames
        assert stream == STREAM and alert["source"] == "silence"
        assert alert["group_key"] == "mic=door" and alert["rule"]["name"] == "door mic silent"
        assert alert["events"][0]["since"].startswith("2026-")
        async with db.connect() as conn:
            total, rows = await store.list_alerts(conn, 1, 10, rule_id="quiet-door")
        assert total == 1 and rows[0]["id"] == alert["id"] and rows[0]["state"] == "new"
        await runner.on_sound([sound_row("door", clock.now)])  # heard again: re-armed
        await runner._drain()
        clock.now = T0 + 520
        await runner.tick()
        assert len(bus.frames) == 2 and bus.frames[1][1]["id"] != alert["id"]
    finally:
        await runner.stop()
        await db.dispose()
