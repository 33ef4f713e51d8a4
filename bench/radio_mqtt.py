"""MQTT ingest through the MQTT shell (`MqttIngest`): messages/s from connect to the last one
handled, with a processor that does nothing (the client loop alone) or the real one (SQLite
in a temporary directory: end to end but for the bus's subscribers).

`--messages` busy-site messages (bench/radio_ingest.py's stream) are first queued, QoS 1, at a
private `mosquitto` (unlimited queue) for a persistent session; then the shell connects and
takes them, acknowledging each batch after it was handled, as in production.

Run: `python bench/radio_mqtt.py [--messages 20000] [--processor null|real]`
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho

from listenpost.bus.memory import MemoryBus
from listenpost.config import Settings
from listenpost.radio.mqtt import MqttIngest
from listenpost.radio.processor import RadioProcessor
from listenpost.store.db import make_engine
from listenpost.store.migrations import migrate

try:
    from .radio_ingest import Site
except ImportError:  # run as a script
    from radio_ingest import Site  # type: ignore[no-redef]

CLIENT_ID = "listenpost-bench-radio-mqtt"


def broker(folder: Path) -> tuple[int, subprocess.Popen[bytes]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    conf = folder / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\n"
        "max_queued_messages 0\nmax_inflight_messages 0\n"
    )
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    proc = subprocess.Popen([binary, "-c", str(conf)], stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    return port, proc


def queue(port: int, messages: list[tuple[str, bytes]]) -> None:
    """Make the persistent session, then publish everything at once and wait for the acks."""
    sub = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=CLIENT_ID, clean_session=False)
    sub.connect("127.0.0.1", port)
    sub.loop_start()
    sub.subscribe("bench/#", qos=1)
    time.sleep(0.5)
    sub.loop_stop()
    sub.disconnect()
    pub = paho.Client(paho.CallbackAPIVersion.VERSION2)
    pub.max_inflight_messages_set(0)
    pub.connect("127.0.0.1", port)
    pub.loop_start()
    for info in [pub.publish(topic, payload, qos=1) for topic, payload in messages]:
        info.wait_for_publish(60)
    pub.loop_stop()
    pub.disconnect()


class Null:
    async def handle_batch(self, messages: Any) -> None:
        return None


async def consume(port: int, n: int, processor: str, folder: str) -> float:
    engine = None
    proc: Any = Null()
    if processor == "real":
        engine = make_engine(f"sqlite+aiosqlite:///{folder}/bench.db")
        await migrate(engine)
        proc = RadioProcessor(engine, MemoryBus(), folder)
        site = Site()
        await proc.handle_batch([site.message(i) for i in range(-600, 0)])  # known units
    done, count = asyncio.Event(), [0]
    inner = proc.handle_batch

    async def counted(messages: Any) -> None:
        await inner(messages)
        count[0] += len(messages)
        if count[0] >= n:
            done.set()

    proc.handle_batch = counted
    url = f"mqtt://127.0.0.1:{port}"
    settings = Settings(mqtt_url=url, mqtt_client_id=CLIENT_ID, mqtt_topics=("bench/#",))
    shell = MqttIngest(settings, proc)
    gc.collect()
    gc.freeze()  # as `listenpost serve` does once started (serving.py)
    start = time.perf_counter()
    await shell.start()
    await done.wait()
    elapsed = time.perf_counter() - start
    gc.unfreeze()
    await shell.stop()
    if engine is not None:
        await engine.dispose()
    return elapsed


def measure(n: int = 20_000, processor: str = "real") -> float:
    """Messages/s of one run: `n` busy-site messages queued at a fresh private broker, then
    taken by the shell and `processor` ("real": into SQLite; "null": nothing)."""
    site = Site()
    messages = [(f"bench/{t}", p) for t, p in (site.message(i) for i in range(n))]
    with tempfile.TemporaryDirectory() as folder:
        port, mosquitto = broker(Path(folder))
        try:
            queue(port, messages)
            elapsed = asyncio.run(consume(port, n, processor, folder))
        finally:
            mosquitto.terminate()
            mosquitto.wait()
    return n / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--processor", choices=["null", "real"], default="real")
    args = parser.parse_args()
    rate = measure(args.messages, args.processor)
    shown = f"{args.messages:,} messages in {args.messages / rate:.2f} s"
    print(f"{args.processor} processor: {shown}: {rate:,.0f} messages/s")


if __name__ == "__main__":
    main()
