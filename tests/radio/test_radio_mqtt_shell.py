"""The MQTT shell (`MqttIngest`) against a real Mosquitto: what the processor is handed and
what the broker still holds afterwards, with reads served from one large `recv`
(`mqtt_paho.BufferedSocket`) and batches taken from what has already arrived.

Nothing may be lost, duplicated or reordered, whatever the packet sizes (payloads straddling
a read, larger than a read), and a message is acknowledged only after the `handle_batch`
that was handed it returned: the broker then delivers none of those again, and delivers
again every message whose batch never returned.

Each test runs its own `mosquitto` and reads its log: the broker is asked what it still
holds only once it has logged the shell's disconnection. Mosquitto reads one packet per
connection per turn, so a check connecting earlier under the same client id could take
the session over before the shell's last acknowledgements were read.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest
from mqtt_support import forget_session, mqtt_client, publish_at_once, spawn_broker, wait_for

from listenpost.config import Settings
from listenpost.radio import mqtt_paho
from listenpost.radio.mqtt import MqttIngest

Broker = tuple[tuple[str, int], Path]


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    address, stop = spawn_broker(tmp_path, "max_queued_messages 0", "persistence false")
    try:
        yield address, tmp_path / "mosquitto.log"
    finally:
        stop()


class Recorder:
    """A processor that keeps what it is handed, batch by batch; the batch numbered `stuck`
    (from 0) never returns."""

    def __init__(self, stuck: int = -1) -> None:
        self.batches: list[list[tuple[str, bytes]]] = []
        self.stuck = stuck

    async def handle_batch(self, messages: Sequence[tuple[str, bytes]]) -> None:
        self.batches.append(list(messages))
        if len(self.batches) - 1 == self.stuck:
            await asyncio.Event().wait()

    def received(self) -> list[tuple[str, bytes]]:
        return [m for batch in self.batches for m in batch]


def sizes() -> list[int]:
    """Payload sizes around and beyond one read (`READ_SIZE`), between many small ones."""
    read = mqtt_paho.READ_SIZE
    big = [read - 40, read - 1, read, read + 1, 3 * read + 17, 1, 0]
    small = [50 + (i * 37) % 700 for i in range(600)]
    return small[:200] + big + small[200:400] + big[::-1] + small[400:]


def messages(prefix: str) -> list[tuple[str, bytes]]:
    out = []
    for i, size in enumerate(sizes()):
        body = f"{i:06d}:".encode()
        out.append((f"{prefix}/feeds/m{i % 7}", (body * (size // len(body) + 1))[:size]))
    return out


def open_session(client_id: str, address: tuple[str, int]) -> None:
    """Make the persistent session, so what is published next is kept for it. The network
    loop is stopped before disconnecting: paho's loop thread, told to disconnect before it
    has read the CONNACK, may take it for a lost connection and keep reconnecting under
    this client id, taking the session over from the shell under test."""
    client = mqtt_client(client_id, clean=False, broker=address)
    client.loop_stop()
    client.disconnect()


def left_in_session(client_id: str, prefix: str, broker: Broker) -> list[bytes]:
    """What the broker still delivers to the session, asked once it has logged the shell's
    disconnection (so it has read every packet the shell sent before it)."""
    address, log = broker
    wait_for(lambda: f"Client {client_id} disconnected." in log.read_text(errors="replace"))
    got: list[bytes] = []
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False)
    client.on_message = lambda _c, _u, m: got.append(m.payload)
    client.connect(*address)
    client.loop_start()
    client.subscribe(f"{prefix}/#", qos=1)
    time.sleep(1.0)  # a resumed session's messages come right after the CONNACK
    client.loop_stop()
    client.disconnect()
    forget_session(client_id, address)
    return got


async def consume(
    broker: Broker, recorder: Recorder, sent: list[tuple[str, bytes]], batch: int, want: int
) -> tuple[str, list[Any]]:
    """Publish everything at once, let an `MqttIngest` take `want` messages, stop it."""
    address = broker[0]
    prefix = sent[0][0].split("/")[0]
    client_id = f"listenpost-test-shell-{prefix}"
    open_session(client_id, address)
    wrapped: list[Any] = []

    class Counted(mqtt_paho.BufferedSocket):
        def __init__(self, sock: Any) -> None:
            super().__init__(sock)
            wrapped.append(self)

    settings = Settings(
        mqtt_url=f"mqtt://{address[0]}:{address[1]}",
        mqtt_client_id=client_id,
        mqtt_topics=(f"{prefix}/#",),
        mqtt_batch_size=batch,
        shutdown_timeout=0.5,
    )
    shell = MqttIngest(settings, recorder)  # type: ignore[arg-type]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(mqtt_paho, "BufferedSocket", Counted)
        await shell.start()
        await asyncio.wait_for(shell.connected.wait(), 20)
        await asyncio.to_thread(publish_at_once, sent, address)
        await asyncio.to_thread(wait_for, lambda: len(recorder.received()) >= want, 60)
        await shell.stop()
    return client_id, wrapped


def prefix() -> str:
    return f"lpt{uuid.uuid4().hex[:8]}"


@pytest.mark.parametrize("batch", [1, 7, 200])
async def test_every_message_handed_over_once_in_order_then_acknowledged(
    broker: Broker, batch: int
) -> None:
    sent = messages(prefix())
    recorder = Recorder()
    client_id, wrapped = await consume(broker, recorder, sent, batch, len(sent))
    assert recorder.received() == sent
    assert all(1 <= len(b) <= batch for b in recorder.batches)
    assert wrapped, "the connection was not read through BufferedSocket"
    topic_prefix = sent[0][0].split("/")[0]
    assert await asyncio.to_thread(left_in_session, client_id, topic_prefix, broker) == []


async def test_a_batch_that_never_returns_is_never_acknowledged(broker: Broker) -> None:
    sent = messages(prefix())[:100]
    recorder = Recorder(stuck=1)
    client_id, _ = await consume(broker, recorder, sent, 30, 31)  # the second batch hangs
    first, second = recorder.batches[0], recorder.batches[1]
    assert first + second == sent[: len(first) + len(second)]
    topic_prefix = sent[0][0].split("/")[0]
    left = await asyncio.to_thread(left_in_session, client_id, topic_prefix, broker)
    assert left == [payload for _, payload in sent[len(first) :]]
