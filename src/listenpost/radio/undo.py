"""A dict that journals its changes, so a failed transaction can undo exactly what it did.

Rolling back in-memory state used to copy the whole state before every record; with many
active calls that made each record cost O(active calls). The journal makes the cost of a
record proportional to the keys it changes: `mark()` before, `undo(mark)` on failure,
`forget()` once the transaction committed.
"""

from __future__ import annotations

from typing import Any, TypeVar

K = TypeVar("K")
V = TypeVar("V")

_ABSENT: Any = object()


class UndoDict(dict[K, V]):
    """Only `d[k] = v`, `del d[k]` and `pop` are journaled; other mutators are refused."""

    def __init__(self) -> None:
        super().__init__()
        self._journal: list[tuple[K, V]] = []

    def __setitem__(self, key: K, value: V) -> None:
        self._journal.append((key, self.get(key, _ABSENT)))
        super().__setitem__(key, value)

    def __delitem__(self, key: K) -> None:
        self._journal.append((key, self[key]))
        super().__delitem__(key)

    def pop(self, key: K, default: Any = _ABSENT) -> Any:
        if key in self:
            value = self[key]
            del self[key]
            return value
        if default is _ABSENT:
            raise KeyError(key)
        return default

    def _refuse(self, *_: Any, **__: Any) -> Any:
        raise TypeError("UndoDict journals only item assignment, del and pop")

    update = setdefault = popitem = clear = __ior__ = _refuse  # type: ignore[assignment]

    def mark(self) -> int:
        """A point to undo back to."""
        return len(self._journal)

    def undo(self, mark: int) -> None:
        """Restore the state as it was at `mark`, newest change first."""
        while len(self._journal) > mark:
            key, old = self._journal.pop()
            if old is _ABSENT:
                super().pop(key, None)
            else:
                super().__setitem__(key, old)

    def forget(self) -> None:
        """Drop the journal (the changes are committed)."""
        self._journal.clear()

    @property
    def journal_size(self) -> int:
        return len(self._journal)
