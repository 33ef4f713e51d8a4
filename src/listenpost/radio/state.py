"""What one radio transaction works with, and the in-memory state it may have to undo.

The active-call tracker, the recorders' last states and the audio files written are changed
while records are stored; when the transaction fails they are rolled back with it, at the
cost of what the transaction changed (journals, not copies).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from .audio_files import AudioFiles
from .deferred import Deferred
from .known_calls import KnownCalls
from .tracker import ActiveCalls
from .undo import UndoDict

Emitted = list[tuple[str, dict[str, Any]]]
RecorderKey = tuple[str, int, int]  # (instance, src_num, rec_num)


@dataclass(frozen=True)
class Limits:
    """What one MQTT message may create; a message over a limit is refused whole."""

    max_active_calls: int = 1000  # entries in one calls_active snapshot
    max_rate_systems: int = 1000  # systems in one rates message


@dataclass(frozen=True)
class Mark:
    active: int
    recorders: int
    files: int


@dataclass
class IngestState:
    data_dir: Path
    active: ActiveCalls = field(default_factory=ActiveCalls)
    recorders: UndoDict[RecorderKey, tuple[Any, ...]] = field(default_factory=UndoDict)
    written: list[Path] = field(default_factory=list)
    # short name -> (effective sysid, first_seen, last_seen), as committed; kept across
    # transactions so a record of a known system costs no query (cleared on rollback)
    systems: dict[str, tuple[str, int, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.files = AudioFiles(self.data_dir)

    def mark(self) -> Mark:
        return Mark(self.active.mark(), self.recorders.mark(), len(self.written))

    async def undo(self, mark: Mark) -> None:
        self.active.undo(mark.active)
        self.recorders.undo(mark.recorders)
        self.systems.clear()  # re-read from the database when next needed
        orphans, self.written = self.written[mark.files :], self.written[: mark.files]
        await self.files.remove(orphans)

    def forget(self) -> None:
        """The transaction committed: nothing to undo any more."""
        self.active.forget()
        self.recorders.forget()
        self.written.clear()


@dataclass
class Ctx:
    """One transaction: its connection, the shared state, and when it began (µs)."""

    conn: AsyncConnection
    state: IngestState
    received: int
    deferred: Deferred = field(default_factory=Deferred)  # bulk writes made at the end
    calls: KnownCalls = field(default_factory=KnownCalls)  # call rows read in bulk

    @property
    def systems(self) -> dict[str, tuple[str, int, int]]:
        return self.state.systems
