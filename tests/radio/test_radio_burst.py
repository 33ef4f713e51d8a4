"""A burst of QoS-1 messages to a broker with Mosquitto's default limits is stored whole.

The broker here is a private `mosquitto` with nothing but a listener configured, so its
in-flight window and queue (`max_inflight_messages` 20, `max_queued_messages` 1000) are
the defaults a newcomer runs with.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from mqtt_support import (
    RadioServer,
    forget_session,
    publish_at_once,
    spawn_broker,
    unit_on_messages,
)

BURST = 5000


@pytest.fixture
def default_broker(tmp_path: Path) -> Iterator[tuple[str, int]]:
    """A `mosquitto` subprocess on a free port with its default limits."""
    broker, stop = spawn_broker(tmp_path)
    try:
        yield broker
    finally:
        stop()


def stored_count(srv: RadioServer, token: str) -> int:
    r = httpx.get(
        srv.base + "/api/v1/units",
        params={"sysid": "p25trunk", "size": 1},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    return int(r.json()["total_cnt"])


def wait_until_settled(srv: RadioServer, want: int, quiet: float = 20.0) -> int:
    """Poll until `want` units are stored or the count stops moving for `quiet` seconds."""
    token = srv.token()
    last, since = -1, time.time()
    while True:
        count = stored_count(srv, token)
        if count >= want:
            return count
        if count != last:
            last, since = count, time.time()
        elif time.time() - since > quiet:
            return count
        time.sleep(0.5)


def test_burst_of_5000_on_a_default_broker_is_stored_completely(
    tmp_path: Path, default_broker: tuple[str, int]
) -> None:
    srv = RadioServer(tmp_path / "radio", broker=default_broker, LISTENPOST_LOG_LEVEL="info")
    try:
        srv.start()
        units = list(range(900000, 900000 + BURST))
        publish_at_once(unit_on_messages(srv.prefix, units), broker=default_broker)
        assert wait_until_settled(srv, BURST) == BURST
        with httpx.Client(
            base_url=srv.base, headers={"Authorization": f"Bearer {srv.token()}"}
        ) as c:
            events = c.get(f"/api/v1/units/{units[-1]}/events").json()
            assert [e["event_type"] for e in events["results"]] == ["on"]
        log = srv.log.read_text()
        assert "MQTT" in log and "receive maximum" in log.lower()
    finally:
        srv.stop()
        forget_session(srv.client_id, broker=default_broker)


def test_sigterm_mid_burst_drains_the_batch_and_stores_each_message_once(
    tmp_path: Path, default_broker: tuple[str, int]
) -> None:
    """SIGTERM while a burst is being stored: the batch in hand is finished and acknowledged,
    the rest stays with the broker; after a restart every message is stored exactly once (a
    batch committed but not acknowledged would be delivered and stored twice)."""
    import sqlite3

    srv = RadioServer(tmp_path / "radio", broker=default_broker)
    total = 3000
    try:
        srv.start()
        units = list(range(910000, 910000 + total))
        publish_at_once(unit_on_messages(srv.prefix, units), broker=default_broker)
        token = srv.token()
        deadline = time.time() + 60
        while stored_count(srv, token) < 300:
            assert time.time() < deadline
            time.sleep(0.05)
        assert srv.proc is not None
        srv.stop()
        assert srv.proc.returncode == 0, srv.log.read_text()[-2000:]
        srv.start()
        assert wait_until_settled(srv, total) == total
        srv.stop()
        db = sqlite3.connect(srv.data_dir / "listenpost.db")
        try:
            (events,) = db.execute("SELECT count(*) FROM radio_unit_events").fetchone()
        finally:
            db.close()
        assert events == total
        assert "Traceback" not in srv.log.read_text()
    finally:
        srv.stop()
        forget_session(srv.client_id, broker=default_broker)
