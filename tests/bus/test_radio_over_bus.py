"""Radio frames cross the bus with their routing key: node A ingests the trunk-recorder
fixtures from Mosquitto, and `/api/ws` clients on node B (no MQTT) get exactly what the same
subscriptions get on A, filtered by §1.7, without B decoding a frame to route it."""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from servers import forget, shared_url
from support import Server, create_pg_database

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "radio"))
from mqtt_support import RadioServer, fixture_messages, forget_session, publish  # noqa: E402
from test_radio_e2e import SUBS, drain, reference_wants, subscribe  # noqa: E402


@pytest.fixture(params=["redis", "nats"])
def two_nodes(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    url, drop = create_pg_database()
    prefix = f"lpt-radio-{uuid.uuid4().hex[:8]}"
    env = {"LISTENPOST_BUS_URL": shared_url(request.param), "LISTENPOST_BUS_PREFIX": prefix}
    a = RadioServer(tmp_path / "a", LISTENPOST_DB_URL=url, **env)
    b = Server(tmp_path / "b", url, **env)
    try:
        a.start()
        b.start()
        yield a, b
    finally:
        b.stop()
        a.stop()
        forget_session(a.client_id)
        asyncio.run(forget(env["LISTENPOST_BUS_URL"], prefix))
        drop()


def test_radio_clients_on_another_node_get_exactly_their_frames(
    two_nodes: tuple[RadioServer, Server],
) -> None:
    a, b = two_nodes
    token = a.token()
    here = [subscribe(a, token, sub) for sub in SUBS]  # type: ignore[arg-type]
    there = [subscribe(b, token, sub) for sub in SUBS]  # type: ignore[arg-type]
    publish(fixture_messages(a.prefix))
    got_here = [drain(ws, 3.0 if i == 0 else 1.0) for i, ws in enumerate(here)]
    got_there = [drain(ws, 1.0) for ws in there]
    for ws in here + there:
        ws.close()
    everything = got_here[0]
    assert len(everything) > 20
    assert got_there == got_here  # same frames, same order, byte for byte after parsing
    for sub, got in zip(SUBS[1:-1], got_there[1:-1], strict=True):
        assert got == [f for f in everything if reference_wants(sub, f["event"], f["data"])]
    assert got_there[-1] == []
