"""One connected subscriber: a bounded queue of ready frames and the policy for a full one."""

from __future__ import annotations

import asyncio
from collections import deque
from enum import Enum
from typing import Protocol


class FullPolicy(Enum):
    DROP = "drop"  # tr-engine /api/ws: the frame is lost for this client, it stays connected
    DISCONNECT = "disconnect"  # sound streams: close the client (1013) so it resyncs over REST


class Sender(Protocol):
    async def send_text(self, data: str) -> None: ...


class Client:
    """Frames are shared, already-encoded strings; offering never blocks the publisher."""

    __slots__ = (
        "stream",
        "key",
        "policy",
        "maxsize",
        "_frames",
        "_ready",
        "shed",
        "overflowed",
        "dropped",
    )

    def __init__(self, stream: str, maxsize: int, policy: FullPolicy, key: object = None) -> None:
        self.stream = stream
        self.key = key
        self.policy = policy
        self.maxsize = maxsize
        self._frames: deque[str] = deque()
        self._ready = asyncio.Event()
        self.shed = asyncio.Event()  # set when the DISCONNECT policy gives up on this client
        self.overflowed = False
        self.dropped = 0

    def offer(self, frame: str, control: bool = False) -> bool:
        """Queue a frame; False when it was not queued (full queue or client already shed).
        `control` frames (replies to the client's own requests) are never dropped."""
        if self.overflowed:
            return False
        if len(self._frames) >= self.maxsize and not control:
            self.dropped += 1
            if self.policy is FullPolicy.DISCONNECT:
                self.overflowed = True
                self.shed.set()
            return False
        self._frames.append(frame)
        self._ready.set()
        return True

    async def next_batch(self, timeout: float | None) -> list[str] | None:
        """Wait for frames; None on timeout (time for a keep-alive)."""
        if not self._frames:
            self._ready.clear()
            try:
                await asyncio.wait_for(self._ready.wait(), timeout)
            except TimeoutError:
                return None
        batch = list(self._frames)
        self._frames.clear()
        return batch

    async def pump(self, ws: Sender, keepalive: str | None, interval: float | None) -> None:
        """Write queued frames to the socket until the client is shed or the socket fails."""
        while True:
            batch = await self.next_batch(interval)
            if batch is None:
                if keepalive is not None:
                    await ws.send_text(keepalive)
                continue
            for frame in batch:
                await ws.send_text(frame)
