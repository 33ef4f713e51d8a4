"""One connected subscriber: a bounded queue of ready frames and the policy for a full one."""

from __future__ import annotations

import asyncio
from collections import deque
from enum import Enum
from typing import Protocol


class FullPolicy(Enum):
    DROP = "drop"  # tr-engine /api/ws: the frame is lost for this client, it stays connected
    DISCONNECT = "disconnect"  # sound streams: close the client (1013) so it resyncs over REST


class Offer(Enum):
    """What happened to one offered frame; `SHED` is reported once, on the offer that shed."""

    QUEUED = "queued"
    DROPPED = "dropped"
    SHED = "shed"
    GONE = "gone"  # the client was shed earlier; nothing is counted again


class Sender(Protocol):
    async def send_text(self, data: str) -> None: ...


class Client:
    """Frames are shared, already-encoded strings; offering never blocks the publisher.

    Replies to the client's own requests are bounded separately, by the bytes not yet written
    to its socket: the reader waits for room (the client's own requests are back-pressured),
    and a client that leaves them unread for too long is shed like a slow one."""

    __slots__ = (
        "stream",
        "key",
        "policy",
        "maxsize",
        "_frames",
        "_ready",
        "_reply_room",
        "reply_bytes",
        "shed",
        "overflowed",
        "dropped",
    )

    def __init__(self, stream: str, maxsize: int, policy: FullPolicy, key: object = None) -> None:
        self.stream = stream
        self.key = key
        self.policy = policy
        self.maxsize = maxsize
        self._frames: deque[tuple[str, bool]] = deque()  # (frame, is a reply)
        self._ready = asyncio.Event()
        self._reply_room = asyncio.Event()
        self.reply_bytes = 0  # replies queued or being written
        self.shed = asyncio.Event()  # set when the server gives up on this client
        self.overflowed = False
        self.dropped = 0

    def mark_shed(self) -> bool:
        """Give up on this client; True only the first time (so it is counted once)."""
        if self.overflowed:
            return False
        self.overflowed = True
        self.shed.set()
        return True

    def offer(self, frame: str) -> Offer:
        """Queue an event frame, applying the policy when the queue is full."""
        if self.overflowed:
            return Offer.GONE
        if len(self._frames) >= self.maxsize:
            self.dropped += 1
            if self.policy is FullPolicy.DISCONNECT and self.mark_shed():
                return Offer.SHED
            return Offer.DROPPED
        self._frames.append((frame, False))
        self._ready.set()
        return Offer.QUEUED

    async def reply(self, frame: str, max_bytes: int, timeout: float) -> bool:
        """Queue a reply once fewer than `max_bytes` of replies are pending (one reply always
        fits); False when no room came within `timeout` seconds: the client is not reading."""
        while self.reply_bytes and self.reply_bytes + len(frame) > max_bytes:
            self._reply_room.clear()
            try:
                await asyncio.wait_for(self._reply_room.wait(), timeout)
            except TimeoutError:
                return False
        if self.overflowed:
            return False
        self.reply_bytes += len(frame)
        self._frames.append((frame, True))
        self._ready.set()
        return True

    async def next_batch(self, timeout: float | None) -> list[tuple[str, bool]] | None:
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
            for frame, is_reply in batch:
                await ws.send_text(frame)
                if is_reply:
                    self.reply_bytes -= len(frame)
                    self._reply_room.set()
