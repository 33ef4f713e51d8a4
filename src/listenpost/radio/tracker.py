"""Pure active-call tracker: which calls are live, from call_start/call_end/calls_active.

A call missing from `misses` consecutive `calls_active` snapshots has ended (tr-engine's rule).
Entries are immutable and replaced on change, so the journal of `live` (see undo.py) can
roll a failed transaction back at the cost of what it changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from .records import CallRecord
from .undo import UndoDict

Key = tuple[str, str]  # (system short name, trunk-recorder call id)


def key_of(call: CallRecord) -> Key:
    return (call.sys_name, call.tr_call_id or f"{call.sys_num}_{call.talkgroup}_{call.call_num}")


@dataclass(frozen=True, slots=True)
class Live:
    call: CallRecord
    call_id: int
    missed: int = 0


class ActiveCalls:
    def __init__(self, misses: int = 3) -> None:
        self.misses = misses
        self.live: UndoDict[Key, Live] = UndoDict()

    def start(self, call: CallRecord, call_id: int) -> None:
        self.live[key_of(call)] = Live(call, call_id)

    def end(self, call: CallRecord) -> Live | None:
        return self.live.pop(key_of(call), None)

    def known(self, call: CallRecord) -> Live | None:
        return self.live.get(key_of(call))

    def snapshot(self, calls: Iterable[CallRecord]) -> tuple[list[CallRecord], list[Live]]:
        """Apply a snapshot: returns (calls seen for the first time, calls that just ended)."""
        present = {key_of(c): c for c in calls}
        new = [c for k, c in present.items() if k not in self.live]
        ended = []
        for key, live in list(self.live.items()):
            if key in present:
                if live.missed or live.call != present[key]:
                    self.live[key] = replace(live, call=present[key], missed=0)
            elif live.missed + 1 >= self.misses:
                ended.append(self.live.pop(key))
            else:
                self.live[key] = replace(live, missed=live.missed + 1)
        return new, ended

    def mark(self) -> int:
        """A point to roll back to when storing what a message changed fails."""
        return self.live.mark()

    def undo(self, mark: int) -> None:
        self.live.undo(mark)

    def forget(self) -> None:
        self.live.forget()

    def on_freq(self, freq: int | None) -> CallRecord | None:
        """The live call on a frequency (to annotate recorder updates)."""
        if not freq:
            return None
        for live in self.live.values():
            if live.call.freq == freq:
                return live.call
        return None
