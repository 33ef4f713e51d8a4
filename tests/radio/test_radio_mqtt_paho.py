"""paho's v5 properties decoded with shared tables read exactly as paho's own; reads served
from one large `recv` give the stream exactly as sent."""

from __future__ import annotations

import select
import socket
import threading

import paho.mqtt._packet as paho_packet
import paho.mqtt.client as paho
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from paho.mqtt.matcher import MQTTMatcher
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from listenpost.radio import mqtt_paho
from listenpost.radio.mqtt_paho import BufferedSocket, FilterTree, SharedTables


def publish_properties() -> list[Properties]:
    out = [Properties(PacketTypes.PUBLISH)]
    full = Properties(PacketTypes.PUBLISH)
    full.PayloadFormatIndicator = 1
    full.MessageExpiryInterval = 3600
    full.ContentType = "application/json"
    full.ResponseTopic = "replies/é"
    full.CorrelationData = b"\x00\x01\xff"
    full.SubscriptionIdentifier = [7, 300000]
    full.TopicAlias = 9
    full.UserProperty = [("a", "1"), ("a", "2"), ("k", "")]
    out.append(full)
    return out


def test_decoding_with_shared_tables_reads_what_paho_reads() -> None:
    for sent in publish_properties():
        wire = sent.pack()
        mine, theirs = SharedTables(PacketTypes.PUBLISH), Properties(PacketTypes.PUBLISH)
        assert mine.unpack(wire)[1] == theirs.unpack(wire)[1] == len(wire)
        assert mine.json() == theirs.json() == sent.json()
        assert isinstance(mine, Properties) and mine.pack() == wire


def test_instances_share_tables_not_values() -> None:
    a, b = SharedTables(PacketTypes.PUBLISH), SharedTables(PacketTypes.PUBLISH)
    a.MessageExpiryInterval = 5
    assert not hasattr(b, "MessageExpiryInterval")
    assert a.names is b.names and a.properties is b.properties
    assert SharedTables(PacketTypes.CONNACK).packetType == PacketTypes.CONNACK


def test_install_makes_paho_decode_with_shared_tables() -> None:
    assert mqtt_paho.install() and mqtt_paho.install()
    assert paho_packet.Properties is SharedTables
    header = 0x32  # PUBLISH, QoS 1
    props = publish_properties()[1].pack()
    body = b"\x00\x03a/b" + b"\x00\x07" + props + b'{"x":1}'
    packet = paho_packet.decode_publish(header, body, paho_packet.MQTTProtocolVersion.MQTTv5)
    assert isinstance(packet.properties, SharedTables)
    assert packet.properties.json() == publish_properties()[1].json()
    assert (packet.topic, packet.mid, packet.payload) == (b"a/b", 7, b'{"x":1}')


SETTABLE = {  # PUBLISH properties and a value each
    "PayloadFormatIndicator": 1,
    "MessageExpiryInterval": 60,
    "ContentType": "text/plain",
    "ResponseTopic": "r/1",
    "CorrelationData": b"\x01",
    "SubscriptionIdentifier": [3],
    "TopicAlias": 2,
    "UserProperty": [("k", "v")],
}


@given(st.sets(st.sampled_from(sorted(SETTABLE))))
def test_clear_leaves_what_pahos_clear_leaves(names: set[str]) -> None:
    mine, theirs = SharedTables(PacketTypes.PUBLISH), Properties(PacketTypes.PUBLISH)
    for props in (mine, theirs):
        for name in names:
            setattr(props, name, SETTABLE[name])
    assert mine.json() == theirs.json()
    mine.clear()
    theirs.clear()
    assert mine.json() == theirs.json() == {}
    assert vars(mine).keys() == vars(theirs).keys() == {"packetType", *mqtt_paho._TABLES}
    mine.TopicAlias = 4  # still settable, still checked
    assert mine.json() == {"TopicAlias": 4}


@settings(max_examples=300, deadline=None)
@given(
    st.binary(min_size=0, max_size=3 * mqtt_paho.READ_SIZE),
    st.lists(st.integers(min_value=1, max_value=2 * mqtt_paho.READ_SIZE), min_size=1),
)
def test_buffered_reads_give_the_stream_in_order(data: bytes, asks: list[int]) -> None:
    """Whatever sizes are asked for, the bytes come out as sent, never more than asked,
    `pending()` is what is held, an empty socket raises BlockingIOError, the end gives b""."""
    left, right = socket.socketpair()
    with left, right:
        right.setblocking(False)
        reader = BufferedSocket(right)
        assert reader.fileno() == right.fileno()  # everything else is the socket's own
        got = bytearray()
        writer = threading.Thread(target=left.sendall, args=(data,))
        writer.start()
        i = 0
        while len(got) < len(data):
            ask = asks[i % len(asks)]
            i += 1
            try:
                chunk = reader.recv(ask)
            except BlockingIOError:
                select.select([right], [], [], 5)
                continue
            assert 0 < len(chunk) <= ask
            got += chunk
            assert reader.pending() >= 0
        writer.join()
        assert bytes(got) == data and reader.pending() == 0
        with pytest.raises(BlockingIOError):
            reader.recv(10)
        left.shutdown(socket.SHUT_WR)
        select.select([right], [], [], 5)
        assert reader.recv(10) == b""


LEVELS = st.sampled_from(["a", "b", "+", "#", "$SYS", ""])


@given(
    st.lists(st.lists(LEVELS, min_size=1, max_size=3).map("/".join), max_size=4),
    st.lists(st.sampled_from(["a", "b", "c", "$SYS", ""]), min_size=1, max_size=4).map("/".join),
)
def test_filter_tree_matches_what_pahos_matches(filters: list[str], topic: str) -> None:
    mine, theirs = FilterTree(), MQTTMatcher()
    assert list(mine.iter_match(topic)) == []
    for i, sub in enumerate(filters):
        mine[sub], theirs[sub] = i, i
    assert list(mine.iter_match(topic)) == list(theirs.iter_match(topic))


def test_a_client_without_filters_gets_the_tree_and_still_calls_filters_added() -> None:
    client = paho.Client(paho.CallbackAPIVersion.VERSION2)
    mqtt_paho.skip_empty_filters(client)
    assert type(client._on_message_filtered) is FilterTree
    seen: list[str] = []
    client.message_callback_add("a/+", lambda _c, _u, m: seen.append(m.topic))
    message = paho.MQTTMessage(topic=b"a/b")
    client._handle_on_message(message)
    assert seen == ["a/b"]


def _written(client: paho.Client) -> bytes:
    """What paho would write for the packets it has queued, in order."""
    return b"".join(bytes(p["packet"]) for p in client._out_packet)  # noqa: SLF001


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 65535), st.sampled_from([0, 1, 2])), max_size=40))
def test_ack_all_writes_the_bytes_pahos_acks_write_in_order(acks: list[tuple[int, int]]) -> None:
    one_by_one = paho.Client(paho.CallbackAPIVersion.VERSION2, manual_ack=True)
    joined = paho.Client(paho.CallbackAPIVersion.VERSION2, manual_ack=True)
    for mid, qos in acks:
        one_by_one.ack(mid, qos)
    mqtt_paho.ack_all(joined, acks)
    assert _written(joined) == _written(one_by_one)
    runs = sum(1 for i, (_, q) in enumerate(acks) if q == 1 and (i == 0 or acks[i - 1][1] != 1))
    pubacks = [p for p in joined._out_packet if p["command"] == mqtt_paho.PUBACK]  # noqa: SLF001
    assert len(pubacks) == runs  # a run of QoS 1 acknowledgements is one write


def test_ack_all_without_manual_ack_acknowledges_nothing_as_paho_does() -> None:
    client = paho.Client(paho.CallbackAPIVersion.VERSION2)  # paho acknowledges by itself
    mqtt_paho.ack_all(client, [(1, 1), (2, 2)])
    assert _written(client) == b""
