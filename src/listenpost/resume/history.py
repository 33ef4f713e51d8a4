"""`/api/ws` frames get their offsets here: stored in `radio_frames` before they are published.

Radio is ingested by one node at a time (the MQTT lease), so offsets follow processing order;
the table is the history any node replays from, whichever bus carries the live frames. The
caller stores and publishes in a turn of the stream (cluster/order.py), so even two nodes
overlapping during a lease hand-over publish offsets in order.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ..store import resume as store
from .protocol import Options, with_seq

TRIM_EVERY = 1.0  # seconds between trims of the history to its bounds


class FrameHistory:
    def __init__(self, engine: AsyncEngine) -> None:
        self.db = engine
        self.epoch = b""  # set when the node knows its database's epoch; empty: no history
        self.options = Options()
        self._trimmed = 0.0

    async def record(
        self, conn: AsyncConnection, frames: Sequence[tuple[bytes, bytes]], now: float
    ) -> list[bytes]:
        """Store (frame, route) pairs on `conn`; returns the frames to publish, with
        `seq`/`epoch`."""
        if not self.epoch or not frames:
            return [frame for frame, _ in frames]
        trim = None
        if now - self._trimmed >= TRIM_EVERY:
            trim, self._trimmed = (self.options.history, self.options.horizon_us(now)), now
        rows = [(frame.decode(), route.decode()) for frame, route in frames]
        offsets = await store.append_frames(conn, rows, int(now * 1_000_000), trim)
        return [
            with_seq(frame, offset, self.epoch)
            for (frame, _), offset in zip(frames, offsets, strict=True)
        ]
