"""The resume contract, pure: request parameters, frame shapes, and whether a resume holds.

Deeply streams (`/api/v1/ws`, `/api/v1/ws/composite-events`) wrap frames only for a client
that asks (`?resume=1`, or `?since=`): `{"offset": N, "epoch": E, "data": <frame>}`.
`/api/ws` frames always carry top-level `"seq"` and `"epoch"` after `event`/`timestamp`/
`data`. Frames are built by joining bytes: the documented payload is never re-encoded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

#: the hub stream of a Deeply stream's wrapped frames (only built while it has clients)
WRAPPED = {"sound.events": "sound.events+offsets", "sound.composites": "sound.composites+offsets"}
EXPIRED = "expired"  # the offset is older than the history kept
EPOCH_MISMATCH = "epoch_mismatch"  # history was reset (e.g. a new database) since the offset
_SEQ = b',"seq":'
_OFFSET = b'{"offset":'


class BadResume(ValueError):
    """A malformed `since`/`epoch`/`resume` parameter (refused with 400)."""


@dataclass(frozen=True, slots=True)
class ResumeRequest:
    since: int | None  # None: start live (`?resume=1` alone)
    epoch: str


@dataclass(frozen=True, slots=True)
class Options:
    history: int = 10_000  # frames per stream
    max_age: float = 3600.0  # seconds; 0: no limit

    def horizon_us(self, now: float) -> int | None:
        return int((now - self.max_age) * 1_000_000) if self.max_age > 0 else None


def parse(query: Mapping[str, str], wrapped_flag: bool) -> ResumeRequest | None:
    """The request a connection's query makes (None: an old client, nothing changes).
    `wrapped_flag`: the stream knows `resume=1` (the Deeply ones)."""
    since, epoch = query.get("since"), query.get("epoch")
    flag = query.get("resume") if wrapped_flag else None
    if flag not in (None, "0", "1", "true", "false"):
        raise BadResume("resume: expected 1 or 0")
    if since is None:
        if epoch is not None:
            raise BadResume("epoch: only meaningful with since")
        return ResumeRequest(None, "") if flag in ("1", "true") else None
    if not since.isascii() or not since.isdigit() or len(since) > 18:
        raise BadResume("since: expected a non-negative integer offset")
    if not epoch:
        raise BadResume("epoch: required with since (the epoch the offset came with)")
    return ResumeRequest(int(since), epoch)


def verdict(request: ResumeRequest, epoch: str, boundary: int) -> str | None:
    """Why a resume cannot be proven complete (None: it can)."""
    if request.epoch != epoch:
        return EPOCH_MISMATCH
    if request.since is not None and request.since < boundary:
        return EXPIRED
    return None


def offset_key(offset: int) -> bytes:
    """The bus key of a Deeply stream's message: its offset (these streams route nothing)."""
    return str(offset).encode()


def wrap(offset: bytes, epoch: bytes, payload: bytes) -> bytes:
    """`{"offset":N,"epoch":"E","data":<payload>}` from the payload's own bytes."""
    return b"".join((_OFFSET, offset, b',"epoch":"', epoch, b'","data":', payload, b"}"))


def with_seq(frame: bytes, offset: int, epoch: bytes) -> bytes:
    """An `/api/ws` frame (a JSON object) with `"seq"` and `"epoch"` appended."""
    return b"".join((frame[:-1], _SEQ, str(offset).encode(), b',"epoch":"', epoch, b'"}'))


def offset_of(payload: bytes) -> int | None:
    """The offset of a frame made by `wrap` or `with_seq` (None: a reply or control frame)."""
    if payload.startswith(_OFFSET):
        digits = payload[len(_OFFSET) : payload.find(b",", len(_OFFSET))]
    else:
        at = payload.rfind(_SEQ)
        if at < 0 or not payload.endswith(b'"}'):
            return None
        digits = payload[at + len(_SEQ) : payload.find(b",", at + len(_SEQ))]
    return int(digits) if digits.isdigit() else None


def deeply_control(failure: str | None, replayed: int, oldest: int, epoch: str) -> bytes:
    if failure is None:
        return orjson.dumps({"control": "resume_complete", "replayed": replayed})
    body = {"control": "resume_failed", "reason": failure, "oldest": oldest, "epoch": epoch}
    return orjson.dumps(body)


def radio_control(failure: str | None, replayed: int, oldest: int, epoch: str, now: float) -> bytes:
    data: dict[str, Any]
    if failure is None:
        event, data = "resume_complete", {"recovered": True, "replayed": replayed}
    else:
        event, data = "resume_failed", {"reason": failure, "oldest": oldest, "epoch": epoch}
    return orjson.dumps({"event": event, "timestamp": int(now), "data": data})
