"""Where a client's frames go: bytes of complete WebSocket frames, written without awaiting.

A server's text frame is the same bytes for every client (servers do not mask), so the hub
frames each message once (`text_frame`) and every matching client's wire writes those bytes
straight to its transport: no task, no ASGI `send`, no copy per client.

`Wire` is the seam: the WebSocket protocol under uvicorn (connguard.GuardedWebSocketProtocol)
is one; `MemoryWire` (a socket nobody reads) serves tests; `AsgiWire` is the fallback when the
app is served by another server, sending through ASGI from one task.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from typing import Any, Protocol

from starlette.websockets import WebSocket

EXTENSION = "listenpost.wire"  # scope["extensions"] key under which the protocol offers itself


#: Frame heads by payload length, for the lengths most frames have (no arithmetic per frame)
HEADS = [bytes((0x81, n)) for n in range(126)] + [
    b"\x81\x7e" + n.to_bytes(2, "big") for n in range(126, 4096)
]


def text_frame(payload: bytes) -> bytes:
    """One unmasked, final text frame (RFC 6455 §5.2) carrying `payload`."""
    n = len(payload)
    if n < 4096:
        return HEADS[n] + payload
    if n < 65536:
        return b"\x81\x7e" + n.to_bytes(2, "big") + payload
    return b"\x81\x7f" + n.to_bytes(8, "big") + payload


def payload_of(frame: bytes) -> bytes:
    """The payload of a frame made by `text_frame`."""
    n = frame[1] & 0x7F
    return frame[2 if n < 126 else 4 if n == 126 else 10 :]


class Wire(Protocol):
    """A wire whose class sets `takes_joined = True` is also given several frames joined in
    one `write_frame` call (the hub's flush); others get them one at a time."""

    def write_frame(self, frame: bytes) -> bool:
        """Write now; False when the connection is closing (nothing written)."""

    def backed_up(self) -> bool:
        """True while the transport holds more than its high-water mark (the peer is slow)."""

    def pending(self) -> int:
        """Bytes written but not yet taken by the peer's socket."""

    async def drained(self, timeout: float) -> bool:
        """Wait until the backlog drains below the low-water mark; False after `timeout`."""

    def close_with(self, code: int, reason: str) -> None:
        """Send a close frame and end the connection (the handler sees a disconnect)."""


class MemoryWire:
    """A peer that never reads: everything written stays pending (tests, benchmarks)."""

    def __init__(self) -> None:
        self.frames: list[bytes] = []
        self.closed: tuple[int, str] | None = None

    def write_frame(self, frame: bytes) -> bool:
        if self.closed is not None:
            return False
        self.frames.append(frame)
        return True

    def texts(self) -> list[str]:
        """What the peer would read, in order."""
        return [payload_of(f).decode() for f in self.frames]

    def backed_up(self) -> bool:
        return True

    def pending(self) -> int:
        return sum(map(len, self.frames))

    async def drained(self, timeout: float) -> bool:
        await asyncio.sleep(timeout)
        return False

    def close_with(self, code: int, reason: str) -> None:
        self.closed = (code, reason)


class AsgiWire:
    """Fallback for servers other than `listenpost serve`: one task sends through ASGI.
    Back-pressure is the queue's length here (`backed_up` past 64 frames)."""

    def __init__(self, ws: WebSocket) -> None:
        self.ws = ws
        self._queue: deque[bytes | tuple[int, str]] = deque()
        self._ready = asyncio.Event()
        self._idle = asyncio.Event()
        self._task = asyncio.create_task(self._run())

    def write_frame(self, frame: bytes) -> bool:
        if self._task.done():
            return False
        self._queue.append(frame)
        self._ready.set()
        return True

    def backed_up(self) -> bool:
        return len(self._queue) > 64

    def pending(self) -> int:
        return sum(len(f) for f in self._queue if isinstance(f, bytes))

    async def drained(self, timeout: float) -> bool:
        self._idle.clear()
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def close_with(self, code: int, reason: str) -> None:
        self._queue.append((code, reason))
        self._ready.set()

    async def _run(self) -> None:
        with contextlib.suppress(Exception):
            while True:
                if not self._queue:
                    self._idle.set()
                    self._ready.clear()
                    await self._ready.wait()
                item = self._queue.popleft()
                if isinstance(item, tuple):
                    await asyncio.wait_for(self.ws.close(*item), 5)
                    return
                await self.ws.send_text(payload_of(item).decode())

    def stop(self) -> None:
        self._task.cancel()


def wire_of(ws: WebSocket) -> Any:
    """The connection's own wire when uvicorn runs listenpost's protocol, else an AsgiWire."""
    wire = ws.scope.get("extensions", {}).get(EXTENSION)
    return wire if wire is not None else AsgiWire(ws)
