"""Where the radio script goes: the server's own RadioProcessor, or an MQTT broker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Protocol

import aiomqtt

from ..radio.mqtt import broker_args
from ..radio.processor import RadioProcessor
from .command import DemoError

log = logging.getLogger("listenpost.demo")


class RadioSink(Protocol):
    async def send(self, topic: str, payload: bytes) -> None: ...
    async def close(self) -> None: ...


class LocalRadio:
    """Straight into the processor MQTT ingest uses: same records, store and events."""

    def __init__(self, processor: RadioProcessor) -> None:
        self.processor = processor

    async def send(self, topic: str, payload: bytes) -> None:
        await self.processor.handle(topic, payload)

    async def close(self) -> None:
        return None


class MqttRadio:
    """Publish as trunk-recorder's plugin does (QoS 1); reconnects after a lost broker,
    dropping what could not be published meanwhile (a live demo, not an archive)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.args = broker_args(url)
        self.client: aiomqtt.Client | None = None
        self.dropped = 0

    async def open(self) -> None:
        """Connect now; DemoError when the broker cannot be reached."""
        try:
            await self._connected()
        except aiomqtt.MqttError as exc:
            raise DemoError(
                f"cannot reach the MQTT broker {self.url} ({exc}); start it or drop --mqtt"
            ) from exc

    async def _connected(self) -> aiomqtt.Client:
        if self.client is None:
            client = aiomqtt.Client(**self.args)
            await client.__aenter__()
            self.client = client
            log.info("publishing radio messages to MQTT broker %s", self.url)
        return self.client

    async def send(self, topic: str, payload: bytes) -> None:
        try:
            client = await self._connected()
            await client.publish(topic, payload, qos=1)
        except aiomqtt.MqttError as exc:
            self.dropped += 1
            log.warning("MQTT broker %s: %s; retrying in 2 s (message dropped)", self.url, exc)
            await self.close()
            await asyncio.sleep(2)

    async def close(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            with contextlib.suppress(aiomqtt.MqttError):
                await client.__aexit__(None, None, None)


async def forget_session(url: str, client_id: str) -> None:
    """Drop the persistent MQTT session the demo's server left on the broker (a clean start
    with no session expiry ends it), so demo runs do not pile up sessions there."""
    with contextlib.suppress(aiomqtt.MqttError):
        client = aiomqtt.Client(
            identifier=client_id,
            protocol=aiomqtt.ProtocolVersion.V5,
            clean_start=True,
            **broker_args(url),
        )
        async with client:
            pass
