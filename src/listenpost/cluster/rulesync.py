"""Rules changed on another node come into force here: the rules table is read every
`every` seconds and compared with the runner's (by id and `updated_at`). Rules are few, so
reading them all is cheaper than any change feed, and a deletion is seen like an edit."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from ..composite.runner import CompositeRunner
from ..store import composites as store
from .periodic import Periodic


class RuleSync(Periodic):
    name = "rule sync"
    every = 0.5  # seconds: a change is in force on every node within this (plus one read)

    def __init__(self, engine: AsyncEngine, runner: CompositeRunner) -> None:
        super().__init__()
        self.db = engine
        self.runner = runner

    async def step(self) -> None:
        await self.sync_once()

    async def sync_once(self) -> int:
        """Apply what changed since the last read; returns the number of changes."""
        async with self.db.connect() as conn:
            rows = {r["id"]: r for r in await store.all_rules(conn)}
        known = self.runner.rules
        changed = 0
        for rule_id, row in rows.items():
            mine = known.get(rule_id)
            if mine is None or mine.get("updated_at") != row["updated_at"]:
                await self.runner.set_rule(row)
                changed += 1
        for rule_id in [r for r in known if r not in rows]:
            await self.runner.remove_rule(rule_id)
            changed += 1
        return changed
