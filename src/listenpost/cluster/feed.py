"""The composite leader's feed: events stored by any node, read from the store by `seq`.

Events posted to this node reach the runner at once (the ingest hook); events posted to
other nodes arrive here within `every` seconds. The runner's cursor makes each offset count
once whichever path brings it first, so no bus message has to be trusted to arrive.
"""

from __future__ import annotations

import time

from sqlalchemy.ext.asyncio import AsyncEngine

from ..composite.runner import CompositeRunner
from ..store import composites as store
from .periodic import Periodic

PATIENCE = 10.0  # seconds a hole in `seq` may stay open before it counts as a rollback
PAGE = 1000


class EventFeed(Periodic):
    name = "composite feed"
    every = 0.2  # seconds between reads of the events table

    def __init__(self, engine: AsyncEngine, runner: CompositeRunner) -> None:
        super().__init__()
        self.db = engine
        self.runner = runner

    async def step(self) -> None:
        while await self.read_once() == PAGE:
            pass  # a backlog: keep reading without sleeping

    async def read_once(self) -> int:
        """Feed the events stored since the cursor; returns how many rows were read."""
        cursor = self.runner.cursor
        if cursor is None:
            return 0
        async with self.db.connect() as conn:
            rows = await store.events_after(conn, cursor.done, PAGE)
        await self.runner.on_events([dict(r) for r in rows])
        cursor.settle(time.monotonic(), PATIENCE)
        return len(rows)
