"""One connected subscriber: where its frames go, and the policy when it falls behind."""

from __future__ import annotations

from enum import Enum

from .wire import MemoryWire, Wire, text_frame

TOO_SLOW = 1013  # "try again later": the client fell behind and should resync over REST


class FullPolicy(Enum):
    DROP = "drop"  # tr-engine /api/ws: the frame is lost for this client, it stays connected
    DISCONNECT = "disconnect"  # sound streams: close the client (1013) so it resyncs over REST


class Offer(Enum):
    """What happened to one offered frame; `SHED` is reported once, on the offer that shed."""

    QUEUED = "queued"
    DROPPED = "dropped"
    SHED = "shed"
    GONE = "gone"  # the client was shed earlier; nothing is counted again


class Client:
    """Frames are written to the client's wire the moment they are offered; offering never
    blocks the publisher. While the peer is slow (its transport is over the high-water mark)
    at most `maxsize` further frames are written; past that the policy applies.

    Replies to the client's own requests are bounded by the bytes not yet taken by its socket:
    the reader waits for room (the client's own requests are back-pressured), and a client that
    leaves them unread for too long is shed like a slow one."""

    __slots__ = (
        "stream",
        "key",
        "policy",
        "maxsize",
        "wire",
        "backlog",
        "idle_ticks",
        "keepalive",
        "shed_reason",
        "overflowed",
        "dropped",
    )

    def __init__(
        self,
        stream: str,
        maxsize: int,
        policy: FullPolicy,
        key: object = None,
        wire: Wire | None = None,
        keepalive: bool = False,
        shed_reason: str = "client too slow; resync over REST",
    ) -> None:
        self.stream = stream
        self.key = key
        self.policy = policy
        self.maxsize = maxsize
        self.wire: Wire = MemoryWire() if wire is None else wire
        self.backlog = 0  # frames written since the peer became slow
        self.idle_ticks = 0  # keep-alive ticks since the last frame (see Hub.tick)
        self.keepalive = keepalive
        self.shed_reason = shed_reason
        self.overflowed = False
        self.dropped = 0

    def mark_shed(self) -> bool:
        """Give up on this client and close it (1013); True only the first time."""
        if self.overflowed:
            return False
        self.overflowed = True
        self.wire.close_with(TOO_SLOW, self.shed_reason)
        return True

    def offer(self, frame: bytes) -> Offer:
        """Write an event frame (from `text_frame`), applying the policy when the peer is
        `maxsize` frames behind."""
        if self.overflowed:
            return Offer.GONE
        if self.wire.backed_up():
            if self.backlog >= self.maxsize:
                self.dropped += 1
                if self.policy is FullPolicy.DISCONNECT and self.mark_shed():
                    return Offer.SHED
                return Offer.DROPPED
            self.backlog += 1
        else:
            self.backlog = 0
        self.idle_ticks = 0
        return Offer.QUEUED if self.wire.write_frame(frame) else Offer.GONE

    def offer_joined(self, frames: list[bytes], joined: bytes) -> tuple[int, int, bool]:
        """`offer` each of `frames` (whose concatenation is `joined`), in one write when the
        wire takes joined frames; returns (frames written, frames dropped, shed now). The
        peer's backlog is judged once for the run, as `offer` judges it for each frame."""
        if self.overflowed:
            return 0, 0, False
        n = len(frames)
        fit = n
        if self.wire.backed_up():
            fit = min(n, max(0, self.maxsize - self.backlog))
            self.backlog += fit
        else:
            self.backlog = 0
        written = 0
        if fit:
            self.idle_ticks = 0
            if fit == n and getattr(self.wire, "takes_joined", False):
                written = n if self.wire.write_frame(joined) else 0
            else:
                for frame in frames[:fit]:
                    if not self.wire.write_frame(frame):
                        break
                    written += 1
        if fit == n:
            return written, 0, False
        if self.policy is FullPolicy.DISCONNECT:
            self.dropped += 1
            return written, 1, self.mark_shed()
        self.dropped += n - fit
        return written, n - fit, False

    async def reply(self, frame: bytes | str, max_bytes: int, timeout: float) -> bool:
        """Write a reply once fewer than `max_bytes` are pending (one reply always fits);
        False when no room came within `timeout` seconds: the client is not reading."""
        data = text_frame(frame.encode() if isinstance(frame, str) else frame)
        pending = self.wire.pending()
        if pending and pending + len(data) > max_bytes and not await self.wire.drained(timeout):
            return False
        if self.overflowed:
            return False
        self.idle_ticks = 0
        return self.wire.write_frame(data)
