"""`nats://host:port`: one JetStream stream per listenpost stream.

Stream `<prefix>_<stream>` (dots become underscores) captures subject `<prefix>.<stream>`,
limited by `max_msgs` and `max_age`, on file storage. Each node follows every stream with an
ephemeral ordered push consumer started at the sequence after the last it delivered, so a
reconnect continues where it stopped. Publishes carry `Nats-Msg-Id`: JetStream discards a
retried one within its duplicate window, and readers drop any repeat by sequence.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
from typing import Any
from urllib.parse import urlsplit

import nats
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js import JetStreamContext, api
from nats.js.errors import BadRequestError

from ..metrics import BUS_ERRORS
from .base import Message
from .remote import RemoteBus
from .settings import BusOptions

log = logging.getLogger("listenpost.bus")
KEY_HEADER = "Lp-Key"
ACK_TIMEOUT = 5.0  # seconds for JetStream to acknowledge a batch
HEARTBEAT = 1.0  # idle heartbeat of each consumer: a silent stall is noticed within 2 s


class NatsBus(RemoteBus):
    def __init__(self, url: str, options: BusOptions) -> None:
        super().__init__(url, options)
        self._nc: NATS | None = None
        self._js: JetStreamContext | None = None
        self._broken = asyncio.Event()

    def _names(self, stream: str) -> tuple[str, str]:
        """(JetStream stream name, subject) of a listenpost stream."""
        subject = f"{self.options.prefix}.{stream}"
        return subject.replace(".", "_").replace("*", "_").replace(">", "_"), subject

    async def _connection_lost(self) -> None:
        self._broken.set()
        self._set_available(False, ConnectionError("NATS connection lost"))

    async def _reconnected(self) -> None:
        self._broken.set()  # the reader re-follows every stream from its positions

    async def _connect(self) -> None:
        if self._nc is None or self._nc.is_closed:
            await _reachable(self.url)  # nats-py retries a first connection forever
            self._nc = await nats.connect(
                servers=[self.url],
                connect_timeout=2,
                reconnect_time_wait=0.5,
                max_reconnect_attempts=-1,
                allow_reconnect=True,
                disconnected_cb=self._connection_lost,
                reconnected_cb=self._reconnected,
                error_cb=_log_error,
            )
            self._js = self._nc.jetstream(timeout=ACK_TIMEOUT)
        if not self._nc.is_connected:
            raise ConnectionError("NATS is reconnecting")
        for stream in self.streams:
            await self._ensure_stream(stream)

    async def _ensure_stream(self, stream: str) -> None:
        assert self._js is not None
        name, subject = self._names(stream)
        age = self.options.max_age if self.options.max_age > 0 else 0.0
        config = api.StreamConfig(
            name=name,
            subjects=[subject],
            max_msgs=self.options.maxlen if self.options.maxlen > 0 else -1,
            max_age=age,
            storage=api.StorageType.FILE,
            duplicate_window=min(120.0, age) if age else 120.0,
        )
        try:
            info = await self._js.add_stream(config)
        except BadRequestError:  # exists with other limits: the configured ones win
            info = await self._js.update_stream(config)
        last = info.state.last_seq
        known = self.positions.get(stream)
        if known is None:
            self.positions[stream] = str(last)  # first connection: start at the current end
        elif int(known) > last:  # the stream was recreated (e.g. the server lost its store)
            log.warning("bus stream %s restarted at sequence %d; reading it anew", name, last)
            self.positions[stream] = str(max(info.state.first_seq - 1, 0))

    async def _close(self) -> None:
        if self._nc is not None:
            with contextlib.suppress(Exception):
                await self._nc.close()
            self._nc = None

    async def _write(self, batch: list[Any]) -> None:
        assert self._js is not None
        acks = []
        for out in batch:
            headers = {"Nats-Msg-Id": out.msgid}
            if out.key is not None:
                headers[KEY_HEADER] = base64.b64encode(out.key).decode()
            subject = self._names(out.stream)[1]
            acks.append(await self._js.publish_async(subject, out.payload, headers=headers))
        await asyncio.wait_for(asyncio.gather(*acks), ACK_TIMEOUT)

    async def _read_forever(self) -> None:
        self._broken.clear()
        subs = [await self._follow(stream) for stream in self.streams]
        try:
            await self._broken.wait()  # lost (unavailable meanwhile) or back: follow anew
        finally:
            for sub in subs:
                with contextlib.suppress(Exception):
                    await sub.unsubscribe()

    async def _follow(self, stream: str) -> Any:
        assert self._js is not None
        name, subject = self._names(stream)
        config = api.ConsumerConfig(
            deliver_policy=api.DeliverPolicy.BY_START_SEQUENCE,
            opt_start_seq=int(self.positions.get(stream, "0")) + 1,
            inactive_threshold=30.0,
        )

        async def on_message(msg: Msg) -> None:
            seq = msg.metadata.sequence.stream
            last = int(self.positions.get(stream, "0"))
            if seq <= last:
                return  # a re-created consumer repeating what was delivered
            if last and seq > last + 1:  # trimmed (retention) before this node read them
                BUS_ERRORS.labels("gap").inc(seq - last - 1)
            msgid = (msg.headers or {}).get("Nats-Msg-Id")
            await self._deliver(self._message(stream, msg), msgid)

        return await self._js.subscribe(
            subject,
            stream=name,
            cb=on_message,
            config=config,
            ordered_consumer=True,
            idle_heartbeat=HEARTBEAT,
        )

    @staticmethod
    def _message(stream: str, msg: Msg) -> Message:
        meta = msg.metadata
        encoded = (msg.headers or {}).get(KEY_HEADER)
        key = base64.b64decode(encoded) if encoded else None
        position = str(meta.sequence.stream)
        return Message(stream, msg.data, key, position, meta.timestamp.timestamp())

    async def read(self, stream: str, after: str | None, limit: int) -> list[Message]:
        """Retained messages after sequence `after` (all retained when None), oldest first."""
        assert self._js is not None
        name, subject = self._names(stream)
        info = await self._js.stream_info(name)
        start = int(after or 0) + 1
        if start > info.state.last_seq or limit <= 0:
            return []
        config = api.ConsumerConfig(
            deliver_policy=api.DeliverPolicy.BY_START_SEQUENCE,
            opt_start_seq=max(start, info.state.first_seq),
            ack_policy=api.AckPolicy.NONE,
            inactive_threshold=5.0,
        )
        sub = await self._js.pull_subscribe(subject, stream=name, config=config)
        wanted = min(limit, info.state.last_seq - start + 1)
        out: list[Message] = []
        try:
            while len(out) < wanted:
                msgs = await sub.fetch(wanted - len(out), timeout=ACK_TIMEOUT)
                out += [self._message(stream, m) for m in msgs]
                if out and int(out[-1].position) >= info.state.last_seq:
                    break
        finally:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()
        return out


async def _reachable(url: str) -> None:
    """Raise unless something accepts a TCP connection at the URL's host and port."""
    parts = urlsplit(url)
    _, writer = await asyncio.wait_for(
        asyncio.open_connection(parts.hostname or "127.0.0.1", parts.port or 4222), 2.0
    )
    writer.close()
    with contextlib.suppress(Exception):
        await writer.wait_closed()


async def _log_error(exc: Exception) -> None:
    log.debug("NATS: %s", exc)
