"""paho-mqtt's per-message work, cut to what a QoS 1 subscriber needs.

**Properties.** paho builds a `Properties` object for every v5 PUBLISH it decodes, and its
constructor rebuilds three tables of the protocol (names, property types, the packets each
applies to) each time. With QoS 1 ingest that was two thirds of the MQTT client loop:
10,800 -> 30,700 messages/s through `MqttIngest` with a processor that does nothing (20,000
queued messages, private Mosquitto). Those tables are constants that paho only reads after
the constructor, so here they are built once per packet type and shared; the objects are
still `Properties` (subclass), decoded and read exactly as before. `unpack` starts by
clearing the object, which paho does by probing each of the protocol's ~27 names (3.3 µs
per message, nearly always for nothing): here only the properties actually set are removed.

**Reads.** paho reads a packet with three `recv` calls (command byte, remaining length,
body) and, through aiomqtt, one event-loop wake-up per packet. `buffer_reads` serves those
calls from one large `recv` per wake-up; aiomqtt's reader keeps calling paho while the socket
reports `pending()` bytes (its hook for TLS sockets, which buffer the same way), so every
packet already read is handled in the same wake-up. Bytes arrive in the same order, packets
are decoded by paho's own code, and nothing is acknowledged differently.

**Topic filters.** For every message paho asks its tree of per-filter callbacks which match
(a closure, a generator and a list each time); aiomqtt registers none, so
`skip_empty_filters` answers "none" at once while the tree is empty (~1 µs and five
allocations a message, which also count towards the collector's passes).
"""

from __future__ import annotations

import logging
import socket
import struct
from collections.abc import Callable, Iterable
from typing import Any

import paho.mqtt._packet as paho_packet
from paho.mqtt.matcher import MQTTMatcher
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

log = logging.getLogger("listenpost.radio.mqtt")
_TABLES = ("types", "names", "properties")
_EXPECTED = {"packetType", *_TABLES}
READ_SIZE = 65536  # bytes asked of the socket at once (a few hundred plugin messages)


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

    def clear(self) -> None:
        """Remove every property set, as paho's `clear` does, without probing each name:
        the instance holds only the packet type, the tables and the properties set."""
        held = vars(self)
        for name in [n for n in held if n not in _EXPECTED]:
            delattr(self, name)


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


class BufferedSocket:
    """A connected non-blocking TCP socket whose `recv` is served from one large read.

    `recv(n)` returns at most `n` bytes, from what is buffered when anything is, else from
    one `recv` of at least `READ_SIZE` bytes (raising what the socket raises: `BlockingIOError`
    when nothing has arrived, `b""` at the end). `pending()` is what is buffered. Everything
    else (send, fileno, close, options) is the socket's own."""

    __slots__ = ("_data", "_pos", "sock")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._data = b""
        self._pos = 0

    def recv(self, size: int) -> bytes:
        data, pos = self._data, self._pos
        if pos >= len(data):
            data = self.sock.recv(max(size, READ_SIZE))
            if len(data) <= size:
                return data
            self._data, pos = data, 0
        end = min(pos + size, len(data))
        self._pos = end
        return data[pos:end]

    def pending(self) -> int:
        return len(self._data) - self._pos

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sock, name)


Opened = Callable[[Any, Any, Any], None]


def buffer_reads(client: Any) -> None:
    """Make a paho `Client` read each plain TCP connection it opens through `BufferedSocket`
    (TLS sockets buffer on their own and are left alone). Call before connecting, after
    whatever sets `on_socket_open` (aiomqtt does in its constructor); it is called with
    the buffered socket. (aiomqtt applies its `socket_options` only to a plain socket:
    `MqttIngest` passes none; set any on `BufferedSocket.sock` instead.)"""
    opened: Opened | None = client.on_socket_open

    def on_socket_open(paho_client: Any, userdata: Any, sock: Any) -> None:
        opening = getattr(paho_client, "_sock", None)
        if opening is sock and type(sock) is socket.socket:
            sock = paho_client._sock = BufferedSocket(sock)  # noqa: SLF001
        if opened is not None:
            opened(paho_client, userdata, sock)

    client.on_socket_open = on_socket_open


class FilterTree(MQTTMatcher):
    """paho's tree of topic-filter callbacks, answering at once while it is empty."""

    def iter_match(self, topic: str) -> Any:
        if not self._root._children:  # noqa: SLF001 (paho's own tree)
            return iter(())
        return super().iter_match(topic)


def skip_empty_filters(client: Any) -> None:
    """Give a paho `Client` that has no per-filter callbacks yet a `FilterTree` (filters
    added later are held and matched as before)."""
    tree = getattr(client, "_on_message_filtered", None)
    if type(tree) is MQTTMatcher and not tree._root._children:  # noqa: SLF001
        client._on_message_filtered = FilterTree()  # noqa: SLF001


_PUBACK = struct.Struct("!BBH")  # paho's PUBACK: type 0x40, remaining length 2, message id
PUBACK = 0x40


def ack_all(client: Any, messages: Iterable[tuple[int, int]]) -> None:
    """Acknowledge (mid, qos) pairs in order, as paho's `ack` would one by one; runs of QoS 1
    PUBACKs are queued as one write (MQTT wants them in the order the messages came)."""
    joined = getattr(client, "_manual_ack", False) and hasattr(client, "_packet_queue")
    run: list[bytes] = []
    for mid, qos in messages:
        if joined and qos == 1:
            run.append(_PUBACK.pack(PUBACK, 2, mid))
            continue
        _queue(client, run)
        client.ack(mid, qos)
    _queue(client, run)


def _queue(client: Any, pubacks: list[bytes]) -> None:
    if pubacks:
        client._packet_queue(PUBACK, b"".join(pubacks), 0, 1)  # noqa: SLF001
        pubacks.clear()
