"""The MQTT shell: subscribe to trunk-recorder's plugin topics and feed the processor.

QoS 1 with a persistent session (fixed client id, clean_session off): what the plugin
publishes while listenpost is briefly away is queued by the broker and delivered on return.
Each message is acknowledged (PUBACK) only after it has been stored, so a crash or restart
between receipt and storage makes the broker deliver it again instead of losing it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any
from urllib.parse import unquote, urlparse

import aiomqtt

from ..config import Settings
from .processor import RadioProcessor

log = logging.getLogger("listenpost.radio.mqtt")


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


class MqttIngest:
    def __init__(self, settings: Settings, processor: RadioProcessor) -> None:
        self.args = broker_args(settings.mqtt_url, settings.mqtt_username, settings.mqtt_password)
        self.topics = settings.mqtt_topics
        self.client_id = settings.mqtt_client_id
        self.processor = processor
        self.connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="mqtt-ingest")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        delay = 1.0
        while True:
            try:
                client = aiomqtt.Client(
                    identifier=self.client_id, clean_session=False, keepalive=60, **self.args
                )
                # aiomqtt has no switch for it; paho acks on receipt unless told otherwise.
                client._client.manual_ack_set(True)  # noqa: SLF001
                async with client:
                    for topic in self.topics:
                        await client.subscribe(topic, qos=1)
                    log.info(
                        "MQTT connected to %s, subscribed to %s",
                        self.args["hostname"],
                        ", ".join(self.topics),
                    )
                    self.connected.set()
                    delay = 1.0
                    async for message in client.messages:
                        payload = message.payload
                        if not isinstance(payload, bytes):
                            payload = str(payload or "").encode()
                        await self.processor.handle(message.topic.value, payload)
                        client._client.ack(message.mid, message.qos)  # noqa: SLF001
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
