"""`listenpost replay DIR --mqtt URL`: publish a trunk-recorder fixture directory to MQTT.

Files are published in `topics.json` order; `config`, `systems` and the plugin status are
retained, as the plugin does.
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import aiomqtt

from .mqtt import broker_args

log = logging.getLogger("listenpost.replay")
RETAINED = {"config", "systems"}


def plan(directory: str) -> list[tuple[str, bytes, bool]]:
    """(topic, payload, retain) in replay order."""
    root = Path(directory)
    topics = json.loads((root / "topics.json").read_text())
    out = []
    for name, topic in topics.items():
        payload = (root / name).read_bytes()
        retain = topic.endswith("trunk_recorder/status") or topic.rsplit("/", 1)[-1] in RETAINED
        out.append((topic, payload, retain))
    return out


async def replay(directory: str, url: str, speed: float = 0.0) -> int:
    messages = plan(directory)
    async with aiomqtt.Client(**broker_args(url)) as client:
        for topic, payload, retain in messages:
            await client.publish(topic, payload, qos=1, retain=retain)
            log.info("published %s (%d bytes%s)", topic, len(payload), ", retained" * retain)
            if speed > 0:
                await asyncio.sleep(1.0 / speed)
    log.info("replayed %d messages from %s", len(messages), directory)
    return 0
