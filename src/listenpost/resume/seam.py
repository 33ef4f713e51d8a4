"""The seam between replay and live: no gap, no duplicate.

A resuming client joins the hub *before* its history is read, behind a `SeamWire`: live
frames (those carrying an offset) are held while the replay is written straight to the real
wire; then the held frames and any late arrivals with an offset at or below the last one
replayed are dropped (a remote bus may deliver a message after its row was replayed), and
from the first newer frame on, frames are passed on unread (the wire stays in place: whoever
registered it, such as the auth watch, keeps it). Frames without an offset (keep-alives,
replies to requests) pass at once.
"""

from __future__ import annotations

import asyncio
from typing import Any

from ..hub.client import TOO_SLOW, Client
from ..hub.wire import Wire, payload_of
from .protocol import offset_of


class SeamWire:
    takes_joined = False  # it reads each frame's offset (not the real wire's, via __getattr__)

    def __init__(self, client: Client, limit: int) -> None:
        self.real: Wire = client.wire
        self.held: list[tuple[int, bytes]] | None = []  # None once the replay is written
        self.floor = -1  # frames at or below this offset were replayed
        self.limit = limit
        self.passed = False
        self.subscribed: asyncio.Event | None = None  # `/api/ws`: its first subscribe came
        client.wire = self

    def __getattr__(self, name: str) -> Any:  # detach, receive, ...: the real wire's own
        return getattr(self.real, name)

    def write_frame(self, frame: bytes) -> bool:
        if self.passed:
            return self.real.write_frame(frame)
        offset = offset_of(payload_of(frame))
        if offset is None:
            return self.real.write_frame(frame)
        if self.held is not None:
            if len(self.held) >= self.limit:  # live outran the replay: resync, as when slow
                self.close_with(TOO_SLOW, "client too slow; resync over REST")
                return False
            self.held.append((offset, frame))
            return True
        if offset <= self.floor:
            return True  # already replayed
        self.passed = True  # past the seam: no more checks
        return self.real.write_frame(frame)

    def settle(self, floor: int) -> None:
        """The replay is written up to offset `floor`: release the newer held frames."""
        held, self.held = self.held or [], None
        self.floor = floor
        for _offset, frame in held:
            self.write_frame(frame)

    def backed_up(self) -> bool:
        return False if self.held is not None else self.real.backed_up()

    def close_with(self, code: int, reason: str) -> None:
        self.real.close_with(code, reason)
