"""MQTT helpers for the alert tests (Mosquitto must run; CI=true makes its absence fail)."""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "radio"))
from mqtt_support import mqtt_client  # noqa: E402


@contextlib.contextmanager
def mqtt_subscriber(topics: list[str]) -> Iterator[dict[str, bytes]]:
    """The last payload received per topic, subscribed (QoS 1) before the block runs."""
    received: dict[str, bytes] = {}
    ready = threading.Event()
    client = mqtt_client()
    client.on_message = lambda _c, _u, msg: received.__setitem__(msg.topic, msg.payload)
    client.on_subscribe = lambda *_: ready.set()
    client.subscribe([(t, 1) for t in topics])
    ready.wait(10)
    try:
        yield received
    finally:
        client.loop_stop()
        client.disconnect()
