"""Replay from the database, then live: the I/O shell of resume, for any node.

Sound events and composites are replayed from their tables by `seq`, radio frames from
`radio_frames`; every node shares the database, so a client may resume on any of them. The
replayed frames are the bytes a live client got for the same offsets (a composite shows its
current members; an event its mic's current name).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.websockets import WebSocket

from ..errors import error_response
from ..hub.client import TOO_SLOW, Client
from ..hub.wire import text_frame
from ..store import composites as composite_store
from ..store import resume as store
from . import protocol as p
from .seam import SeamWire

PAGE = 500
SUBSCRIBE_WAIT = 1.0  # seconds `/api/ws` waits for a first subscribe before replaying all
Frame = tuple[int, bytes, Any]  # (offset, payload, route or None)
Pager = Callable[[AsyncConnection, int, int, bytes], Awaitable[list[Frame]]]
_TASKS: set[asyncio.Task[None]] = set()  # `/api/ws` replays in flight, held strongly


async def refused(ws: WebSocket, wrapped_flag: bool) -> tuple[bool, p.ResumeRequest | None]:
    """The connection's resume request; (True, None) once a malformed one was refused."""
    try:
        return False, p.parse(ws.query_params, wrapped_flag)
    except p.BadResume as exc:
        await ws.send_denial_response(error_response(400, str(exc)))
        return True, None


def stream_of(stream: str, request: p.ResumeRequest | None) -> str:
    """The hub stream a Deeply client reads: wrapped frames when it asked for offsets."""
    return stream if request is None else p.WRAPPED[stream]


async def attach(node: Any, client: Client, stream: str, request: p.ResumeRequest | None) -> bool:
    """Add a Deeply client to the hub; a resuming one gets its replay first (False: it was
    closed meanwhile as too slow)."""
    if request is None or request.since is None:
        node.hub.add(client)
        return True
    seam = SeamWire(client, node.resume.history)
    node.hub.add(client)
    return await replay(node, seam, stream, request, None, p.deeply_control)


async def replay(
    node: Any,
    seam: SeamWire,
    stream: str,
    request: p.ResumeRequest,
    wants: Callable[[Any], bool] | None,
    control: Callable[..., bytes],
) -> bool:
    """Write what `stream` holds after `request.since` (those `wants` keeps) to the client,
    then the seam's control frame, then release live frames; False if the client was shed."""
    options: p.Options = node.resume
    source, pager = SOURCES[stream]
    async with node.engine.connect() as conn:
        newest, boundary = await store.window(
            conn, source, options.history, options.horizon_us(time.time())
        )
    failure = p.verdict(request, node.epoch, boundary)
    sent, after = 0, request.since or 0
    while failure is None and after < newest:
        async with node.engine.connect() as conn:
            frames = await pager(conn, after, newest, node.epoch.encode())
        if not frames:
            break
        for offset, payload, route in frames:
            after = offset
            if wants is not None and not wants(route):
                continue
            if not await _write(seam, text_frame(payload), node.settings.ws_send_timeout):
                return False
            sent += 1
    extra = (time.time(),) if control is p.radio_control else ()
    seam.real.write_frame(text_frame(control(failure, sent, boundary + 1, node.epoch, *extra)))
    seam.settle(max(newest, request.since or 0) if failure is None else -1)
    return True


async def _write(seam: SeamWire, frame: bytes, timeout: float) -> bool:
    if seam.real.backed_up() and not await seam.real.drained(timeout):
        seam.close_with(TOO_SLOW, "client too slow to take its replay; resync over REST")
        return False
    return seam.real.write_frame(frame)


def start_radio(
    node: Any, client: Client, request: p.ResumeRequest | None, key: Callable[[], Hashable]
) -> None:
    """Replay `/api/ws` history after the client's first subscribe (`subscribed`), with its
    filters, or after `SUBSCRIBE_WAIT` seconds without one: everything."""
    if request is None:
        return
    seam = SeamWire(client, node.resume.history)
    seam.subscribed = asyncio.Event()
    task = asyncio.create_task(_radio(node, seam, request, key))
    _TASKS.add(task)
    task.add_done_callback(_TASKS.discard)


def subscribed(client: Client) -> None:
    """The hook after an `/api/ws` client's filters changed: its replay may start."""
    wire = client.wire
    if isinstance(wire, SeamWire) and wire.subscribed is not None:
        wire.subscribed.set()


async def _radio(
    node: Any, seam: SeamWire, request: p.ResumeRequest, key: Callable[[], Hashable]
) -> None:
    from ..radio.routing import RadioIndex

    assert seam.subscribed is not None
    try:
        await asyncio.wait_for(seam.subscribed.wait(), SUBSCRIBE_WAIT)
    except TimeoutError:
        await replay(node, seam, "radio", request, None, p.radio_control)
        return
    index = RadioIndex()
    index.add(key())
    await replay(node, seam, "radio", request, lambda r: bool(index.matching(r)), p.radio_control)


async def _events(conn: AsyncConnection, after: int, upto: int, epoch: bytes) -> list[Frame]:
    from ..sound.views import live_view

    rows = await store.event_page(conn, after, upto, PAGE)
    return [
        (r["seq"], p.wrap(p.offset_key(r["seq"]), epoch, orjson.dumps(live_view(r))), None)
        for r in rows
    ]


async def _composites(conn: AsyncConnection, after: int, upto: int, epoch: bytes) -> list[Frame]:
    from ..composite.views import composite_view

    rows = await store.composite_page(conn, after, upto, PAGE)
    members: dict[str, list[Any]] = {}
    for m in await composite_store.members(conn, [r["id"] for r in rows]):
        members.setdefault(m["composite_id"], []).append(m)
    out: list[Frame] = []
    for r in rows:
        payload = orjson.dumps(composite_view(r, members.get(r["id"], [])))
        out.append((r["seq"], p.wrap(p.offset_key(r["seq"]), epoch, payload), None))
    return out


async def _frames(conn: AsyncConnection, after: int, upto: int, epoch: bytes) -> list[Frame]:
    from ..radio.routing import decode_route

    rows = await store.frame_page(conn, after, upto, PAGE)
    return [
        (r["seq"], p.with_seq(r["frame"].encode(), r["seq"], epoch), decode_route(r["route"]))
        for r in rows
    ]


SOURCES: dict[str, tuple[str, Pager]] = {
    "sound.events": ("events", _events),
    "sound.composites": ("composites", _composites),
    "radio": ("radio", _frames),
}
