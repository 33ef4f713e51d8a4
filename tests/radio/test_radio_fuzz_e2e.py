"""Hostile MQTT messages of every type (real shapes, hostile values) published to a running
server through Mosquitto: the server keeps serving, and a normal message sent afterwards is
stored and reaches a normal REST client."""

from __future__ import annotations

import json
from pathlib import Path

from corpus import SHARED_FIXTURES
from hostile import TYPES, hostile_message
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mqtt_support import RadioServer, forget_session, publish, wait_for

SENTINEL_UNIT = 7_654_321

# Every message type several times over; one hypothesis example is one burst.
BURST = st.tuples(*[hostile_message(t) for t in TYPES for _ in range(4)])


def _sentinel(prefix: str) -> tuple[str, bytes]:
    unit_on = json.loads((SHARED_FIXTURES / "unit_on.json").read_text())
    unit_on["on"]["unit"] = SENTINEL_UNIT
    return f"{prefix}/units/p25trunk/on", json.dumps(unit_on).encode()


@settings(
    max_examples=2,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(burst=BURST)
def test_hostile_messages_never_stop_ingest(tmp_path: Path, burst: tuple[tuple[str, str]]) -> None:
    radio = RadioServer(tmp_path / f"fuzz{len(list(tmp_path.iterdir()))}")
    try:
        radio.start()
        token = radio.token()
        messages = [(f"{radio.prefix}/{topic}", payload.encode()) for topic, payload in burst]
        publish([*messages, _sentinel(radio.prefix)])
        with radio.client(token) as c:
            assert wait_for(
                lambda: c.get(f"/api/v1/units/{SENTINEL_UNIT}").status_code == 200, timeout=120
            )
            assert c.get("/api/v1/calls", params={"size": 100}).status_code == 200
            assert c.get("/api/v1/systems", params={"size": 100}).status_code == 200
        assert radio.proc is not None and radio.proc.poll() is None
        assert "Traceback" not in radio.log.read_text()
    finally:
        radio.stop()
        forget_session(radio.client_id)
