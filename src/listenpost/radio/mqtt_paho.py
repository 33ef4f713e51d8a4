"""paho-mqtt's MQTT v5 properties, with the protocol's tables built once per packet type.

paho builds a `Properties` object for every v5 PUBLISH it decodes, and its constructor
rebuilds three tables of the protocol (names, property types, the packets each applies to)
each time. With QoS 1 ingest that was two thirds of the MQTT client loop: 10,800 -> 30,700
messages/s through `MqttIngest` with a processor that does nothing (20,000 queued
messages, private Mosquitto). Those tables are constants that paho only reads after the
constructor, so here they are built once per packet type and shared; the objects are still
`Properties` (subclass), decoded and read exactly as before.
"""

from __future__ import annotations

import logging
from typing import Any

import paho.mqtt._packet as paho_packet
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

log = logging.getLogger("listenpost.radio.mqtt")
_TABLES = ("types", "names", "properties")
_EXPECTED = {"packetType", *_TABLES}


class SharedTables(Properties):
    """`Properties` whose constant tables are shared by every instance of a packet type."""

    _shared: dict[int, tuple[Any, ...]] = {}  # noqa: RUF012 (a cache, filled at run time)

    def __init__(self, packetType: int) -> None:  # noqa: N803 (paho's name)
        shared = self._shared.get(packetType)
        if shared is None:
            super().__init__(packetType)
            self._shared[packetType] = tuple(getattr(self, name) for name in _TABLES)
            return
        object.__setattr__(self, "packetType", packetType)
        for name, table in zip(_TABLES, shared, strict=True):
            object.__setattr__(self, name, table)


def install() -> bool:
    """Make paho decode packets with `SharedTables`, if this paho's `Properties` holds just
    the expected tables (another version keeps its own constructor). Idempotent."""
    if paho_packet.Properties is SharedTables:
        return True
    fields = set(vars(Properties(PacketTypes.PUBLISH)))
    if paho_packet.Properties is not Properties or fields != _EXPECTED:
        log.info("paho-mqtt's Properties changed shape: its constructor is left as it is")
        return False
    paho_packet.Properties = SharedTables  # type: ignore[misc]
    return True
