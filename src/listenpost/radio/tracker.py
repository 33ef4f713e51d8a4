"""Pure active-call tracker: which calls are live, from call_start/call_end/calls_active.

A call missing from `misses` consecutive `calls_active` snapshots has ended (tr-engine's rule).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .records import CallRecord

Key = tuple[str, str]  # (system short name, trunk-recorder call id)


def key_of(call: CallRecord) -> Key:
    return (call.sys_name, call.tr_call_id or f"{call.sys_num}_{call.talkgroup}_{call.call_num}")


@dataclass
class Live:
    call: CallRecord
    call_id: int
    missed: int = 0


class ActiveCalls:
    def __init__(self, misses: int = 3) -> None:
        self.misses = misses
        self.live: dict[Key, Live] = {}

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
                live.missed = 0
                live.call = present[key]
            else:
                live.missed += 1
                if live.missed >= self.misses:
                    ended.append(self.live.pop(key))
        return new, ended

    def save(self) -> dict[Key, Live]:
        """A copy of the state, to roll back to when storing what a message changed fails."""
        return {k: Live(v.call, v.call_id, v.missed) for k, v in self.live.items()}

    def load(self, saved: dict[Key, Live]) -> None:
        self.live = saved

    def on_freq(self, freq: int | None) -> CallRecord | None:
        """The live call on a frequency (to annotate recorder updates)."""
        if not freq:
            return None
        for live in self.live.values():
            if live.call.freq == freq:
                return live.call
        return None
