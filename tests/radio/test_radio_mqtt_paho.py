"""paho's v5 properties decoded with shared tables read exactly as paho's own."""

from __future__ import annotations

import paho.mqtt._packet as paho_packet
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from listenpost.radio import mqtt_paho
from listenpost.radio.mqtt_paho import SharedTables


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
