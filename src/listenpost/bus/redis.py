"""`redis://host:port/db`: one Redis stream per listenpost stream, key `<prefix>:<stream>`.

Not pub/sub: a stream keeps its last messages (`MAXLEN ~` and `MINID ~` trimming), so a node
that blinks reads what it missed. Every node reads every stream with `XREAD BLOCK` from the
last entry id it delivered (no consumer groups: each node must see everything). An entry
holds `p` (the frame), `k` (its routing key, when any) and `m` (publisher:counter).
"""

from __future__ import annotations

import logging
import time

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ResponseError

from ..metrics import BUS_ERRORS
from .base import Message, order
from .remote import BATCH, Outgoing, RemoteBus
from .settings import BusOptions

log = logging.getLogger("listenpost.bus")
BLOCK_MS = 1000  # one XREAD waits this long for news (stop() cancels it anyway)
TIMEOUT = 3.0  # seconds without an answer before the connection counts as broken
TRIM_EVERY = 1.0  # seconds between age trims of one stream


class RedisBus(RemoteBus):
    def __init__(self, url: str, options: BusOptions) -> None:
        super().__init__(url, options)
        self._redis: Redis | None = None
        self._trimmed: dict[str, float] = {}  # stream -> last age trim

    def _key(self, stream: str) -> str:
        return f"{self.options.prefix}:{stream}"

    def _client(self) -> Redis:
        if self._redis is None:
            self._redis = Redis.from_url(
                self.url,
                socket_connect_timeout=TIMEOUT,
                socket_timeout=TIMEOUT + BLOCK_MS / 1000,
                retry=Retry(NoBackoff(), 0),  # the loops retry, with backoff and positions
                client_name=f"listenpost:{self.options.node}",  # CLIENT LIST names the node
            )
        return self._redis

    async def _connect(self) -> None:
        redis = self._client()
        await redis.ping()
        for stream in self.streams:
            if stream not in self.positions:  # first connection: start at the current end
                last = await redis.xrevrange(self._key(stream), count=1)
                self.positions[stream] = _text(last[0][0]) if last else "0-0"

    async def _close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None

    async def _write(self, batch: list[Outgoing]) -> None:
        pipe = self._client().pipeline(transaction=False)
        maxlen = self.options.maxlen if self.options.maxlen > 0 else None
        for out in batch:
            fields: dict[bytes, bytes | str] = {b"p": out.payload, b"m": out.msgid}
            if out.key is not None:
                fields[b"k"] = out.key
            pipe.xadd(self._key(out.stream), fields, maxlen=maxlen, approximate=True)  # type: ignore[arg-type]
        now = time.time()
        if self.options.max_age > 0:
            for stream in {out.stream for out in batch}:
                if now - self._trimmed.get(stream, 0.0) >= TRIM_EVERY:
                    horizon = int((now - self.options.max_age) * 1000)
                    pipe.xtrim(self._key(stream), minid=f"{horizon}-0", approximate=False)
                    self._trimmed[stream] = now
        await pipe.execute()

    async def _read_forever(self) -> None:
        redis = self._client()
        keys = {self._key(s): s for s in self.streams}
        for stream in self.streams:  # after any reconnect: was anything trimmed unread?
            await self._check_gap(stream)
        while not self._closing:
            wanted = {key: self.positions[stream] for key, stream in keys.items()}
            answer = await redis.xread(wanted, count=BATCH, block=BLOCK_MS)  # type: ignore[arg-type]
            for key, entries in answer.items() if isinstance(answer, dict) else answer or []:
                stream = keys[key.decode() if isinstance(key, bytes) else key]
                if len(entries) == BATCH:  # behind: trimming may overtake this reader
                    await self._check_gap(stream)
                for entry in entries:
                    message, msgid = self._message(stream, *entry)
                    await self._deliver(message, msgid)

    async def _check_gap(self, stream: str) -> None:
        """Count (and log) when the oldest entry kept is newer than the last one this node
        read: what lay between was trimmed before the node read it."""
        position = self.positions.get(stream, "0-0")
        if position == "0-0":
            return
        try:
            info = await self._client().xinfo_stream(self._key(stream))
        except ResponseError:  # no such stream (yet)
            return
        first = info.get("recorded-first-entry-id") or (info.get("first-entry") or [b"0-0"])[0]
        if info.get("length") and order(_text(first)) > order(position):
            BUS_ERRORS.labels("gap").inc()
            log.warning("bus stream %s was trimmed past %s unread by this node", stream, position)

    def _message(
        self, stream: str, entry_id: bytes, fields: dict[bytes, bytes]
    ) -> tuple[Message, str]:
        position = entry_id.decode()
        published = int(position.partition("-")[0]) / 1000
        msgid = fields.get(b"m", b"").decode()
        return Message(stream, fields[b"p"], fields.get(b"k"), position, published), msgid

    async def read(self, stream: str, after: str | None, limit: int) -> list[Message]:
        """Retained messages after position `after` (all retained when None), oldest first."""
        start = f"({after}" if after else "-"
        entries = await self._client().xrange(self._key(stream), start, "+", count=limit)
        return [self._message(stream, *entry)[0] for entry in entries or ()]  # type: ignore[arg-type]


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
