"""Radio alert rules over trunk-recorder MQTT fixtures published to the real Mosquitto."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alert_helpers import alerts_of, make_rule, wait_for
from radio_helpers import mqtt_client  # noqa: F401  (puts tests/radio on the path)

from mqtt_support import FIXTURES, RadioServer, forget_session, publish  # isort: skip


@pytest.fixture
def radio(tmp_path: Path) -> Iterator[RadioServer]:
    srv = RadioServer(tmp_path / "radio")
    yield srv
    srv.stop()
    forget_session(srv.client_id)


def call_start(prefix: str, n: int, talkgroup: int, **fields: Any) -> tuple[str, bytes]:
    """The call_start fixture as call `n` on `talkgroup` (a distinct trunk-recorder call)."""
    message = json.loads((FIXTURES / "call_start.json").read_text())
    call = message["call"]
    call.update(id=f"2_{talkgroup}_{1686700194 + n}", call_num=n, talkgroup=talkgroup, **fields)
    call["start_time"] = call["stop_time"] = 1686700194 + n
    return f"{prefix}/feeds/call_start", json.dumps(message).encode()


def test_three_calls_on_a_talkgroup_within_the_window_are_one_alert(radio: RadioServer) -> None:
    radio.start()
    with radio.client() as c:
        rule = make_rule(
            c,
            name="busy talkgroup",
            source="radio",
            match={"events": ["call_start"], "systems": ["p25trunk"]},
            count={"min_events": 3, "window_seconds": 60, "group_by": ["talkgroup"]},
        )
        emergency = make_rule(c, name="emergency", source="radio", match={"emergency": True})
        calls = [call_start(radio.prefix, n, 54623) for n in range(4)]
        calls.insert(1, call_start(radio.prefix, 9, 3029, emergency=True))
        publish(calls)
        [alert] = wait_for(lambda: alerts_of(c, rule["id"]))
        assert alert["group_key"] == "talkgroup=54623" and alert["source"] == "radio"
        assert len(alert["events"]) == 3
        assert {e["talkgroup"] for e in alert["events"]} == {54623}
        assert all(e["event"] == "call_start" and e["call_id"] for e in alert["events"])
        [urgent] = wait_for(lambda: alerts_of(c, emergency["id"]))
        assert urgent["events"][0]["talkgroup"] == 3029 and urgent["events"][0]["emergency"]
        # a fifth call in the same window: no alert. Events are evaluated in order, so once
        # the emergency call published after it has fired, the fifth call was evaluated too.
        publish(
            [call_start(radio.prefix, 20, 54623), call_start(radio.prefix, 21, 1, emergency=True)]
        )
        wait_for(lambda: len(alerts_of(c, emergency["id"])) == 2)
        assert len(alerts_of(c, rule["id"])) == 1
