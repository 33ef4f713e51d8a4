"""The MQTT shell: subscribe to trunk-recorder's plugin topics and feed the processor.

MQTT v5, QoS 1, a persistent session (fixed client id, clean start off, a session that
never expires): what the plugin publishes while listenpost is briefly away is queued by the
broker and delivered on return. Each message is acknowledged (PUBACK) only after it has been
stored, so a crash or restart between receipt and storage makes the broker deliver it again.

Acknowledging after storing keeps messages in flight longer; a broker sends a client at most
its in-flight window and queues the rest up to `max_queued_messages` (Mosquitto: 1000), then
drops. So listenpost asks for a large window (v5 Receive Maximum) and stores what has arrived
in batches, one transaction each, acknowledging a batch's messages after its commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import socket
from typing import Any
from urllib.parse import unquote, urlparse

import aiomqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from ..config import Settings
from . import mqtt_paho
from .processor import RadioProcessor

log = logging.getLogger("listenpost.radio.mqtt")
SESSION_NEVER_EXPIRES = 0xFFFFFFFF


def broker_args(url: str, username: str = "", password: str = "") -> dict[str, Any]:
    """`mqtt://user:pass@host:port` -> aiomqtt.Client keyword arguments; explicit
    credentials win over those in the URL."""
    parsed = urlparse(url if "://" in url else f"mqtt://{url}")
    if parsed.scheme not in ("mqtt", "tcp", "mqtts", "ssl"):
        raise ValueError(f"unsupported MQTT URL scheme {parsed.scheme!r}")
    args: dict[str, Any] = {
        "hostname": parsed.hostname or "127.0.0.1",
        "port": parsed.port or 1883,
    }
    if parsed.username:
        args["username"] = unquote(parsed.username)
    if parsed.password:
        args["password"] = unquote(parsed.password)
    if username:
        args["username"] = username
    if password:
        args["password"] = password
    if parsed.scheme in ("mqtts", "ssl"):
        import ssl

        args["tls_context"] = ssl.create_default_context()
    return args


def derived_client_id(port: int) -> str:
    """`listenpost-<host>-<port>`: unique per server on a network, stable across restarts."""
    host = re.sub(r"[^A-Za-z0-9_.-]", "-", socket.gethostname()) or "host"
    return f"listenpost-{host[:64]}-{port or os.getpid()}"


class MqttIngest:
    def __init__(self, settings: Settings, processor: RadioProcessor) -> None:
        self.args = broker_args(settings.mqtt_url, settings.mqtt_username, settings.mqtt_password)
        self.topics = settings.mqtt_topics
        self.client_id = settings.mqtt_client_id
        self.receive_maximum = max(1, min(settings.mqtt_receive_maximum, 65535))
        self.batch_size = max(1, settings.mqtt_batch_size)
        self.processor = processor
        self.connected = asyncio.Event()
        self.drain_timeout = settings.shutdown_timeout or None
        self._task: asyncio.Task[None] | None = None
        self._draining = False
        self._busy = False  # a batch is being stored or acknowledged
        self._queue: asyncio.Queue[aiomqtt.Message] | None = None  # the client's arrivals

    def _new_queue(self, maxsize: int = 0) -> asyncio.Queue[aiomqtt.Message]:
        """The queue aiomqtt puts arrivals in (its `queue_type`), kept to take a batch's
        messages that have already arrived without a task and a wait each."""
        self._queue = asyncio.Queue(maxsize)
        return self._queue

    async def start(self) -> None:
        self._draining = False
        log.info(
            "MQTT: broker %s:%s, client id %r, protocol MQTT v5 (receive maximum %d), "
            "persistent session (clean start off, never expires), QoS 1, ack after store, "
            "batches of up to %d messages",
            self.args["hostname"],
            self.args["port"],
            self.client_id,
            self.receive_maximum,
            self.batch_size,
        )
        self._task = asyncio.create_task(self._run(), name="mqtt-ingest")

    async def stop(self) -> None:
        """Take no new batch; let the one being stored commit and be acknowledged (within the
        shutdown timeout), then disconnect. What was received but not stored stays
        unacknowledged, so the broker delivers it again to the next session."""
        if not self._task:
            return
        self._draining = True
        if self._busy:
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(self._task), self.drain_timeout)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        self.connected.clear()

    def _client(self) -> aiomqtt.Client:
        mqtt_paho.install()  # v5 properties decoded without rebuilding paho's tables
        props = Properties(PacketTypes.CONNECT)
        props.ReceiveMaximum = self.receive_maximum
        props.SessionExpiryInterval = SESSION_NEVER_EXPIRES
        client = aiomqtt.Client(
            identifier=self.client_id,
            protocol=aiomqtt.ProtocolVersion.V5,
            clean_start=False,
            properties=props,
            keepalive=60,
            queue_type=self._new_queue,  # type: ignore[arg-type]  # a factory will do
            **self.args,
        )
        # aiomqtt has no switch for it; paho acks on receipt unless told otherwise.
        client._client.manual_ack_set(True)  # noqa: SLF001
        mqtt_paho.buffer_reads(client._client)  # noqa: SLF001
        mqtt_paho.skip_empty_filters(client._client)  # noqa: SLF001
        return client

    async def _run(self) -> None:
        delay = 1.0
        while True:
            try:
                async with self._client() as client:
                    for topic in self.topics:
                        await client.subscribe(topic, qos=1)
                    log.info(
                        "MQTT connected to %s, subscribed to %s",
                        self.args["hostname"],
                        ", ".join(self.topics),
                    )
                    self.connected.set()
                    delay = 1.0
                    await self._consume(client)
                    if self._draining:
                        return
            except aiomqtt.MqttError as exc:
                self.connected.clear()
                log.warning(
                    "MQTT connection to %s lost (%s); retrying in %.0f s",
                    self.args["hostname"],
                    exc,
                    delay,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60.0)

    async def _consume(self, client: aiomqtt.Client) -> None:
        """Take what has arrived (up to a batch), store it, then acknowledge it."""
        arrived = self._queue
        assert arrived is not None  # made by the client's constructor
        async for first in client.messages:
            if self._draining:
                return
            self._busy = True
            try:
                batch = [first]
                while len(batch) < self.batch_size and not arrived.empty():
                    batch.append(arrived.get_nowait())
                await self.processor.handle_batch([(m.topic.value, _payload(m)) for m in batch])
                mqtt_paho.ack_all(client._client, [(m.mid, m.qos) for m in batch])  # noqa: SLF001
            finally:
                self._busy = False


def _payload(message: aiomqtt.Message) -> bytes:
    payload = message.payload
    if isinstance(payload, bytes):
        return payload
    return str(payload or "").encode()
