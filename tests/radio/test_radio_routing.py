"""Indexed radio routing delivers exactly what tr-engine §1.7's plain predicate would.

The predicate is applied to the frame as a client receives it (parsed back from the bytes the
bus carries); the index sees only the routing key that travels beside the frame.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from listenpost.bus.base import Message
from listenpost.hub.client import Client, FullPolicy
from listenpost.hub.hub import Hub
from listenpost.radio.channels import CHANNEL_MAP, FilterKey
from listenpost.radio.events import envelope
from listenpost.radio.routing import (
    RadioIndex,
    decode_route,
    encode_route,
    radio_route,
    route_of,
)

SYSTEMS = ["a", "b", "c", ""]
EVENTS = [*CHANNEL_MAP, "system_update", "console", "*"]
CHANNELS = sorted({*CHANNEL_MAP.values(), "system_update", "console", "*"})

small_int = st.integers(min_value=-2, max_value=6)
value = st.one_of(
    st.none(),
    small_int,
    small_int.map(float),
    st.booleans(),
    st.sampled_from(SYSTEMS),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),  # what a frame can carry
)
data = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={"system": value, "talkgroup": value, "unit": value, "other": value},
    ),
    st.none(),
    st.lists(small_int, max_size=2),
    small_int,
)
keys = st.builds(
    FilterKey,
    channels=st.frozensets(st.sampled_from(CHANNELS), max_size=3),
    systems=st.frozensets(st.sampled_from(SYSTEMS), max_size=2),
    talkgroups=st.frozensets(small_int, max_size=3),
    units=st.frozensets(small_int, max_size=2),
)


def as_received(event: str, payload: Any) -> tuple[str, Any]:
    """The event as a client parses it from the frame's bytes."""
    frame = json.loads(orjson.dumps(envelope(event, payload, 0.0)).decode())
    return frame["event"], frame["data"]


@settings(max_examples=400, deadline=None)
@given(
    subscribed=st.lists(keys, max_size=12),
    removed=st.lists(st.integers(min_value=0, max_value=11), max_size=4),
    frames=st.lists(st.tuples(st.sampled_from(EVENTS), data), min_size=1, max_size=6),
)
def test_index_finds_exactly_the_keys_the_predicate_accepts(
    subscribed: list[FilterKey], removed: list[int], frames: list[tuple[str, Any]]
) -> None:
    index = RadioIndex()
    live = set(subscribed)
    for key in live:
        index.add(key)
    for i in removed:  # subscriptions change: the index forgets what is gone
        if i < len(subscribed) and subscribed[i] in live:
            live.discard(subscribed[i])
            index.discard(subscribed[i])
    for event, payload in frames:
        route = decode_route(encode_route(route_of(event, payload)))
        found = index.matching(route)
        assert len(found) == len(set(found)), "a subscription found twice"
        received = as_received(event, payload)
        assert set(found) == {k for k in live if k.wants(*received)}


@settings(max_examples=100, deadline=None)
@given(
    subscribed=st.lists(keys, min_size=1, max_size=10),
    frames=st.lists(st.tuples(st.sampled_from(EVENTS), data), min_size=1, max_size=5),
)
def test_hub_offers_each_client_exactly_its_frames(
    subscribed: list[FilterKey], frames: list[tuple[str, Any]]
) -> None:
    stream = "test.radio-routing"
    hub = Hub()
    hub.index(stream, RadioIndex())
    clients = [Client(stream, 1000, FullPolicy.DROP, key) for key in subscribed]
    for client in clients:
        hub.add(client)
    sent: list[tuple[str, str, Any]] = []
    for position, (event, payload) in enumerate(frames, 1):
        body = orjson.dumps(envelope(event, payload, 0.0))
        key = encode_route(route_of(event, payload))
        message = Message(stream, body, key, str(position), 0.0)
        hub.publish(stream, body.decode(), radio_route(message))
        sent.append((body.decode(), *as_received(event, payload)))
    for client in clients:
        got = client.wire.texts()  # type: ignore[attr-defined]
        assert got == [frame for frame, ev, d in sent if client.key.wants(ev, d)]  # type: ignore[union-attr]
    for client in clients:
        hub.remove(client)
    assert hub.count(stream) == 0


frame_step = st.tuples(st.just("frame"), st.sampled_from(EVENTS), data)
change_step = st.one_of(
    st.tuples(st.just("join"), keys),
    st.tuples(st.just("rekey"), st.integers(min_value=0, max_value=15), keys),
    st.tuples(st.just("leave"), st.integers(min_value=0, max_value=15)),
)
# few distinct frames, so the hub's memo of what a route reaches is hit again and again
# across subscription changes
repeated = st.lists(frame_step, min_size=1, max_size=4)


@settings(max_examples=300, deadline=None)
@given(
    start=st.lists(keys, max_size=8),
    frames=repeated,
    script=st.lists(st.one_of(change_step, st.integers(min_value=0, max_value=3)), max_size=25),
)
def test_clients_coming_going_and_resubscribing_get_exactly_their_frames(
    start: list[FilterKey], frames: list[tuple[str, str, Any]], script: list[Any]
) -> None:
    """The hub remembers which clients each route reaches; joins, departures and changed
    subscriptions between frames must never leave a client with a frame it did not ask for,
    or without one it did (checked against the §1.7 predicate on the received frame)."""
    stream = "test.radio-churn"
    hub = Hub()
    hub.index(stream, RadioIndex())
    clients: list[Client] = []
    expected: dict[int, list[str]] = {}
    connected: set[int] = set()

    def join(key: FilterKey) -> None:
        client = Client(stream, 10**6, FullPolicy.DROP, key)
        hub.add(client)
        clients.append(client)
        expected[id(client)] = []
        connected.add(id(client))

    for key in start:
        join(key)
    for step in script:
        if isinstance(step, int):  # publish one of the few frames, through the bus key
            _, event, payload = frames[step % len(frames)]
            body = orjson.dumps(envelope(event, payload, 0.0))
            message = Message(stream, body, encode_route(route_of(event, payload)), "1", 0.0)
            hub.publish(stream, body, radio_route(message))
            received = as_received(event, payload)
            for client in clients:
                wanted = client.key.wants(*received)  # type: ignore[union-attr]
                if id(client) in connected and wanted:
                    expected[id(client)].append(body.decode())
        elif step[0] == "join":
            join(step[1])
        elif clients:
            client = clients[step[1] % len(clients)]
            if step[0] == "rekey":
                hub.rekey(client, step[2])
            else:
                hub.remove(client)
                connected.discard(id(client))
    for client in clients:
        assert client.wire.texts() == expected[id(client)]  # type: ignore[attr-defined]
    assert hub.count(stream) == len(connected)


def test_a_message_without_a_key_is_routed_from_its_frame() -> None:
    body = orjson.dumps(envelope("call_start", {"system": "a", "talkgroup": 7}, 0.0))
    assert radio_route(Message("s", body, None, "1", 0.0)) == ("calls", "a", 7, None)


def test_one_talkgroup_each_reaches_only_its_own_subscribers() -> None:
    """The issue's shape: 100 talkgroups, each subscribed by its own clients."""
    index = RadioIndex()
    for tg in range(100):
        index.add(FilterKey(channels=frozenset({"calls"}), talkgroups=frozenset({tg})))
    found = index.matching(route_of("call_start", {"system": "x", "talkgroup": 42}))
    assert found == [FilterKey(channels=frozenset({"calls"}), talkgroups=frozenset({42}))]
    assert len(index.matching(route_of("call_start", {"system": "x"}))) == 100  # absent passes
    assert index.matching(route_of("unit_event", {"talkgroup": 42})) == []  # other channel


def test_what_a_frame_cannot_carry_as_a_number_filters_nothing() -> None:
    """A non-finite float goes out as null and a boolean is no talkgroup: both pass (§1.7)."""
    for odd in (float("inf"), float("nan"), True):
        assert route_of("call_start", {"system": "a", "talkgroup": odd, "unit": odd}) == (
            "calls",
            "a",
            None,
            None,
        )


def test_keys_sharing_a_channel_leave_one_by_one() -> None:
    index = RadioIndex()
    one, two = (FilterKey(frozenset({"calls"}), talkgroups=frozenset({tg})) for tg in (1, 2))
    silent = FilterKey()
    for key in (one, two, silent):
        index.add(key)
    index.discard(two)
    assert index.matching(route_of("call_start", {"talkgroup": 1})) == [one]
    assert index.matching(route_of("call_start", {"talkgroup": 2})) == []
    index.discard(silent)
    index.discard(one)
    assert index.matching(route_of("call_start", {})) == []
