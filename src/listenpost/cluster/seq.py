"""Pure cursor over a stream's `seq` offsets as another node's writes become visible.

PostgreSQL hands out `seq` when a row is inserted, but transactions commit in any order, so
a reader that has seen 12 may see 11 later (its transaction was slower) or never (it rolled
back). The cursor remembers which offsets above its contiguous prefix were taken; a hole
that stays open for `patience` seconds is taken to be a rollback and skipped.
"""

from __future__ import annotations

from collections.abc import Iterable


class SeqCursor:
    def __init__(self, done: int = 0, taken: Iterable[int] = ()) -> None:
        self.done = done  # every offset <= done was handled (or given up)
        self.above: set[int] = {s for s in taken if s > done}
        self._hole: tuple[int, float] | None = None  # (first missing offset, noticed at)

    def take(self, seq: int) -> bool:
        """True the first time an offset is offered: the caller handles it; False after."""
        if seq <= self.done or seq in self.above:
            return False
        self.above.add(seq)
        return True

    def settle(self, now: float, patience: float) -> None:
        """Advance over the contiguous offsets taken; skip a hole older than `patience`."""
        while self.above:
            if self.done + 1 in self.above:
                self.above.discard(self.done + 1)
                self.done += 1
                continue
            first = self.done + 1
            if self._hole is None or self._hole[0] != first:
                self._hole = (first, now)
                return
            if now - self._hole[1] < patience:
                return
            self.done = min(self.above) - 1  # the hole was a rollback
        self._hole = None
