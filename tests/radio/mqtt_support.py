"""Radio test support: a server wired to the real Mosquitto, fixture publishing, WS clients."""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as paho
from support import SHARED, Server, free_port, service_missing

FIXTURES = SHARED / "fixtures" / "trunk-recorder-mqtt"
BROKER = ("127.0.0.1", int(os.environ.get("LISTENPOST_TEST_MQTT_PORT", "1883")))


def mqtt_client(
    client_id: str = "", clean: bool = True, broker: tuple[str, int] = BROKER
) -> paho.Client:
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=clean)
    try:
        client.connect(*broker)
    except OSError as exc:
        service_missing("Mosquitto MQTT broker", str(exc))
    client.loop_start()
    return client


def fixture_messages(prefix: str) -> list[tuple[str, bytes]]:
    """Every fixture, in topics.json order, then extra/, under a private topic prefix."""
    out = []
    for folder in (FIXTURES, FIXTURES / "extra"):
        for name, topic in json.loads((folder / "topics.json").read_text()).items():
            out.append((f"{prefix}/{topic}", (folder / name).read_bytes()))
    return out


def publish(messages: list[tuple[str, bytes]], broker: tuple[str, int] = BROKER) -> None:
    client = mqtt_client(broker=broker)
    try:
        for topic, payload in messages:
            client.publish(topic, payload, qos=1).wait_for_publish(10)
    finally:
        client.loop_stop()
        client.disconnect()


def publish_at_once(messages: list[tuple[str, bytes]], broker: tuple[str, int] = BROKER) -> None:
    """Publish every message without waiting for each acknowledgement (a burst), then wait
    until the broker has acknowledged them all."""
    client = paho.Client(paho.CallbackAPIVersion.VERSION2)
    client.max_inflight_messages_set(0)  # 0: no client-side limit
    try:
        client.connect(*broker)
    except OSError as exc:
        service_missing("Mosquitto MQTT broker", str(exc))
    client.loop_start()
    try:
        infos = [client.publish(topic, payload, qos=1) for topic, payload in messages]
        for info in infos:
            info.wait_for_publish(60)
    finally:
        client.loop_stop()
        client.disconnect()


def unit_on_messages(prefix: str, units: list[int]) -> list[tuple[str, bytes]]:
    """One fixture `on` message per unit id."""
    template = json.loads((FIXTURES / "unit_on.json").read_text())
    out = []
    for unit in units:
        template["on"]["unit"] = unit
        out.append((f"{prefix}/units/p25trunk/on", json.dumps(template).encode()))
    return out


def forget_session(client_id: str, broker: tuple[str, int] = BROKER) -> None:
    """Drop a persistent session the broker keeps for a test client id."""
    client = mqtt_client(client_id, clean=True, broker=broker)
    client.loop_stop()
    client.disconnect()


def spawn_broker(folder: Path, *settings: str) -> tuple[tuple[str, int], Any]:
    """A private `mosquitto` on a free port with only a listener and `settings` configured;
    returns ((host, port), stop callable)."""
    import shutil
    import socket
    import subprocess

    binary = shutil.which("mosquitto")
    if binary is None:
        service_missing("mosquitto binary", "not on PATH")
    assert binary is not None
    port = free_port()
    conf = folder / "mosquitto.conf"
    conf.write_text("\n".join((f"listener {port} 127.0.0.1", "allow_anonymous true", *settings)))
    log = (folder / "mosquitto.log").open("wb")
    proc = subprocess.Popen([binary, "-c", str(conf)], stdout=log, stderr=log)

    def stop() -> None:
        proc.terminate()
        proc.wait(10)
        log.close()

    deadline = time.time() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return ("127.0.0.1", port), stop
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                stop()
                raise RuntimeError((folder / "mosquitto.log").read_text()) from None
            time.sleep(0.1)


class RadioServer(Server):
    def __init__(self, data_dir: Path, broker: tuple[str, int] = BROKER, **env: str) -> None:
        self.broker = broker
        self.prefix = f"lpt{uuid.uuid4().hex[:8]}"
        self.client_id = f"listenpost-test-{self.prefix}"
        topics = ",".join(f"{self.prefix}/{t}" for t in ("feeds/#", "units/#", "messages/#"))
        super().__init__(
            data_dir,
            LISTENPOST_MQTT_URL=f"mqtt://{broker[0]}:{broker[1]}",
            LISTENPOST_MQTT_TOPICS=topics,
            LISTENPOST_MQTT_CLIENT_ID=self.client_id,
            **env,
        )

    def start(self, extra: list[str] | None = None) -> RadioServer:
        mqtt_client(broker=self.broker).disconnect()  # fails clearly when the broker is absent
        super().start(extra)
        deadline = time.time() + 20
        while httpx.get(self.base + "/health").json().get("mqtt") != "connected":
            assert time.time() < deadline, "listenpost never connected to MQTT"
            time.sleep(0.1)
        return self


def wait_for(fn: Any, timeout: float = 15) -> Any:
    deadline = time.time() + timeout
    while True:
        value = fn()
        if value:
            return value
        assert time.time() < deadline, "condition not met in time"
        time.sleep(0.1)
