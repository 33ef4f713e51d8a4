"""A webhook target's HTTP client is made when its delivery worker starts (or the target is
edited), on a thread, not by the first alert on the event loop; the alerts then go out
through it. The runner and delivery workers on a real SQLite store, a real receiver."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from receivers import Receiver

from listenpost.alerts.delivery import Dispatcher
from listenpost.alerts.model import check_rule
from listenpost.alerts.runner import AlertRunner
from listenpost.alerts.setup_api import rule_row
from listenpost.bus.memory import MemoryBus
from listenpost.config import Settings
from listenpost.store import alerts as store
from listenpost.store.db import make_engine
from listenpost.store.migrations import migrate

NOW = 1_780_000_000_000_000


async def until(check: Callable[[], Any]) -> Any:
    """Poll `check` until it is true (at most ~10 s); its last value."""
    for _ in range(1000):
        if value := check():
            return value
        await asyncio.sleep(0.01)
    return check()


async def test_the_webhook_client_is_made_before_the_first_alert_off_the_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made_on: list[threading.Thread] = []
    real = httpx.AsyncClient

    def recording(*args: Any, **kwargs: Any) -> httpx.AsyncClient:
        made_on.append(threading.current_thread())
        return real(*args, **kwargs)

    monkeypatch.setattr(httpx, "AsyncClient", recording)
    receiver = Receiver().start()
    db = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'lp.db'}")
    await migrate(db)
    target = {"id": "hook", "name": "hook", "kind": "webhook", "url": receiver.url}
    target |= {"secret": "", "topic": None, "options": {}, "created_at": NOW, "updated_at": NOW}
    await store.insert(db, "target", target)
    rule = {"id": "door", "name": "door", "source": "sound", "match": {"mic_ids": ["door"]}}
    await store.insert(db, "rule", rule_row(check_rule(rule | {"target_ids": ["hook"]}), NOW))
    runner, dispatcher = AlertRunner(db, MemoryBus()), Dispatcher(db, Settings())
    runner.wake = dispatcher.wake
    await dispatcher.start()
    await runner.start()
    try:
        assert await until(lambda: made_on)  # no alert yet
        assert made_on[0] is not threading.current_thread()
        assert receiver.bodies == []
        await runner.on_sound([sound_row("ev-1")])
        assert await until(lambda: receiver.ids())
        assert len(made_on) == 1  # the first alert went out through that client
        dispatcher.target_changed(target | {"name": "edited"})
        assert await until(lambda: len(made_on) == 2)  # again before the next alert
        assert made_on[1] is not threading.current_thread()
        await runner.on_sound([sound_row("ev-2")])
        assert await until(lambda: len(receiver.ids()) == 2)
        assert len(made_on) == 2
    finally:
        await runner.stop()
        await dispatcher.stop()
        receiver.stop()
        await db.dispose()


def sound_row(event_id: str) -> dict[str, Any]:
    return {
        "id": event_id,
        "mic_id": "door",
        "label_id": "crying",
        "confidence": 0.9,
        "sound_level": None,
        "created_at": int(time.time() * 1e6),
    }
