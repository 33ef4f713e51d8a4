"""Hypothesis fuzz of every `/api/ws` client message against a real server over loopback
(issue 14): whatever a client sends below the 512 KiB frame limit, it gets exactly one
`error` event or confirmation, and the server keeps serving it and a normal client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import Server
from websockets.sync.client import ClientConnection, connect

FIELDS = ["action", "Action", "CHANNELS", "channels", "systems", "talkgroups", "units"]
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)
LIST_VALUES = st.lists(st.text(max_size=300), max_size=30) | st.lists(
    st.integers(-(2**70), 2**70), max_size=30
)
HUGE = st.integers(1, 30_000).flatmap(
    lambda n: st.sampled_from([list(range(n)), [f"s{i}" for i in range(n)], [0.5] * n])
)
MESSAGES = st.one_of(
    JSON.map(json.dumps),  # arbitrary JSON values
    st.text(max_size=200),  # arbitrary text
    st.binary(max_size=200),  # binary frames
    st.fixed_dictionaries(  # well-formed keys, arbitrary values and types
        {"action": st.sampled_from(["subscribe", "unsubscribe", "SUBSCRIBE", "", "ping"])},
        optional={name: JSON | LIST_VALUES for name in FIELDS[1:]},
    ).map(json.dumps),
    st.tuples(  # huge lists
        st.sampled_from(["subscribe", "unsubscribe"]), st.sampled_from(FIELDS[2:]), HUGE
    ).map(lambda t: json.dumps({"action": t[0], t[1]: t[2]})),
)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, ClientConnection]]:
    srv = Server(tmp_path_factory.mktemp("fuzz")).start()
    url = f"{srv.ws_base}/api/ws?access_token={srv.token()}"
    with connect(url, max_size=None) as ws:
        yield srv, ws
    srv.stop()


def check_reply(frame: str | bytes) -> dict[str, Any]:
    assert isinstance(frame, str)
    reply = json.loads(frame)
    assert reply["event"] in ("error", "subscribed", "unsubscribed"), reply
    if reply["event"] == "error":
        assert list(reply) == ["event", "timestamp", "data"]
        assert isinstance(reply["timestamp"], int) and isinstance(reply["data"]["message"], str)
    else:
        assert "timestamp" not in reply
        assert isinstance(reply["data"]["channels"], list)
    return dict(reply)


@settings(
    max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(message=MESSAGES)
def test_every_message_gets_one_reply(
    live: tuple[Server, ClientConnection], message: str | bytes
) -> None:
    _, ws = live
    ws.send(message)
    check_reply(ws.recv(timeout=10))


def test_server_keeps_serving_after_the_fuzz(live: tuple[Server, ClientConnection]) -> None:
    srv, fuzzed = live
    fuzzed.send(json.dumps({"action": "subscribe", "channels": ["calls"]}))
    assert check_reply(fuzzed.recv(timeout=10))["event"] in ("subscribed", "error")
    with connect(f"{srv.ws_base}/api/ws?access_token={srv.token()}") as ws:
        ws.send(json.dumps({"action": "subscribe", "channels": ["*"], "units": [1]}))
        reply = check_reply(ws.recv(timeout=10))
        assert reply["event"] == "subscribed" and reply["data"]["channels"] == ["*"]
