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
