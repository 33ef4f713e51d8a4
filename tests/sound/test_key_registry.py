"""The per-process key cache: one read of the store per second however many requests, a key
created a moment ago is found at once, and tokens of deleted keys cost no extra reads."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event

from listenpost.auth.registry import KeyRegistry
from listenpost.store import keys
from listenpost.store.db import make_engine
from listenpost.store.migrations import migrate


async def _scenario(url: str) -> dict[str, Any]:
    engine = make_engine(url)
    reads = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "FROM api_keys" in statement:
            reads.append(statement)

    try:
        await migrate(engine)
        event.listen(engine.sync_engine, "before_cursor_execute", count)
        first = await keys.add_key(engine, "lpk_first", "first")
        registry = KeyRegistry(engine, max_age=60)
        seen: dict[str, Any] = {"first": await registry.get(first, time.time())}
        for _ in range(100):
            await registry.get(first, time.time())
        seen["reads_for_101_gets"] = len(reads)
        second = await keys.add_key(engine, "lpk_second", "second")
        seen["second"] = await registry.get(second, time.time())  # new: read again
        reads.clear()
        for _ in range(100):  # a token issued before the last read, for a key now gone
            assert await registry.get("deleted-key", time.time() - 10) is None
        seen["reads_for_gone_key"] = len(reads)
        return seen
    finally:
        await engine.dispose()


def test_key_cache_reads_the_store_rarely(tmp_path: Path) -> None:
    seen = asyncio.run(_scenario(f"sqlite+aiosqlite:///{tmp_path / 'lp.db'}"))
    assert seen["first"] is not None and seen["first"].scope == "admin"
    assert seen["reads_for_101_gets"] == 1
    assert seen["second"] is not None
    assert seen["reads_for_gone_key"] == 0


async def _refreshed_in_background(url: str) -> dict[str, Any]:
    """A started registry re-reads the keys itself, so no request waits for that read."""
    engine = make_engine(url)
    reads: list[float] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "FROM api_keys" in statement:
            reads.append(time.monotonic())

    try:
        await migrate(engine)
        key = await keys.add_key(engine, "lpk_bg", "bg")
        registry = KeyRegistry(engine, max_age=1.0)
        await registry.get(key, time.time())
        await registry.start()
        try:
            await keys.revoke_key(engine, key, int(time.time() * 1e6))
            event.listen(engine.sync_engine, "before_cursor_execute", count)
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                state = registry.peek(key)  # no get(): nothing asks the store but the registry
                if state is not None and state.revoked:
                    break
                await asyncio.sleep(0.05)
            seen_revoked = registry.peek(key)
            reads.clear()
            inline = 0
            for _ in range(30):  # requests over ~1.5 s never find the snapshot stale
                before = len(reads)
                await registry.get(key, time.time())
                inline += len(reads) - before
                await asyncio.sleep(0.05)
        finally:
            await registry.stop()
        return {"revoked": seen_revoked is not None and seen_revoked.revoked, "inline": inline}
    finally:
        await engine.dispose()


def test_a_started_registry_sees_revocations_without_requests_reading_the_store(
    tmp_path: Path,
) -> None:
    seen = asyncio.run(_refreshed_in_background(f"sqlite+aiosqlite:///{tmp_path / 'lp.db'}"))
    assert seen["revoked"], "a key revoked in the store was not seen by the running registry"
    assert seen["inline"] == 0, f"{seen['inline']} request(s) waited for a key read"
