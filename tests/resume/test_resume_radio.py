"""Resume on tr-engine's `/api/ws` over the real Mosquitto: every frame carries `seq` and
`epoch`; a reconnect with `?since=&epoch=` replays the history through the client's filters."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mqtt_support import RadioServer, fixture_messages, forget_session, publish
from test_radio_e2e import drain, reference_wants, subscribe
from websockets.sync.client import ClientConnection, connect

FILTER = {"channels": ["calls", "rates"], "talkgroups": [3029]}  # rates repeat per feed


@pytest.fixture
def radio(tmp_path: Path) -> Iterator[RadioServer]:
    srv = RadioServer(tmp_path / "radio")
    yield srv
    srv.stop()
    forget_session(srv.client_id)


def reconnect(srv: RadioServer, token: str, since: int, epoch: str) -> ClientConnection:
    return connect(
        f"{srv.ws_base}/api/ws?since={since}&epoch={epoch}",
        additional_headers={"Authorization": f"Bearer {token}"},
        max_size=None,
    ).__enter__()


def until_seam(ws: ClientConnection) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The frames before the seam's control frame, and that frame."""
    frames = []
    while True:
        frame = json.loads(ws.recv(timeout=10))
        if frame["event"] in ("resume_complete", "resume_failed"):
            return frames, frame
        frames.append(frame)


def feed(srv: RadioServer, reference: ClientConnection) -> list[dict[str, Any]]:
    publish(fixture_messages(srv.prefix))
    return drain(reference, 3.0)


def test_replay_applies_the_first_subscription_and_joins_live_exactly(radio: RadioServer) -> None:
    radio.start()
    token = radio.token()
    reference = subscribe(radio, token, {"channels": ["*"]})
    before = feed(radio, reference)
    assert [f["seq"] for f in before] == sorted({f["seq"] for f in before})
    epoch = before[0]["epoch"]
    since = before[1]["seq"]
    ws = reconnect(radio, token, since, epoch)
    ws.send(json.dumps({"action": "subscribe", **FILTER}))
    assert json.loads(ws.recv(timeout=10))["event"] == "subscribed"
    replayed, seam = until_seam(ws)
    expected = [
        f for f in before if f["seq"] > since and reference_wants(FILTER, f["event"], f["data"])
    ]
    assert expected and replayed == expected  # filtered, in order, as they were sent live
    assert seam["data"] == {"recovered": True, "replayed": len(expected)}
    assert list(seam) == ["event", "timestamp", "data"]
    after = feed(radio, reference)
    live = drain(ws, 1.0)
    ws.close()
    reference.close()
    assert live == [f for f in after if reference_wants(FILTER, f["event"], f["data"])]
    assert live and live[0]["seq"] > before[-1]["seq"]


def test_without_a_subscribe_the_replay_is_everything(radio: RadioServer) -> None:
    radio.start()
    token = radio.token()
    reference = subscribe(radio, token, {"channels": ["*"]})
    before = feed(radio, reference)
    reference.close()
    since = before[len(before) // 2]["seq"]
    ws = reconnect(radio, token, since, before[0]["epoch"])
    replayed, seam = until_seam(ws)
    ws.close()
    assert replayed == [f for f in before if f["seq"] > since]
    assert seam["data"]["replayed"] == len(replayed)


def test_wrong_epoch_and_expired_offsets_fail_explicitly(tmp_path: Path) -> None:
    radio = RadioServer(tmp_path / "radio", LISTENPOST_RESUME_HISTORY="10")
    try:
        expired_and_wrong_epoch(radio)
    finally:
        radio.stop()
        forget_session(radio.client_id)


def expired_and_wrong_epoch(radio: RadioServer) -> None:
    radio.start()
    token = radio.token()
    reference = subscribe(radio, token, {"channels": ["*"]})
    before = feed(radio, reference)
    epoch, newest = before[-1]["epoch"], before[-1]["seq"]
    assert newest > 10, "the fixtures should outgrow a 10-frame history"
    ws = reconnect(radio, token, newest, "not-the-epoch")
    replayed, seam = until_seam(ws)
    assert replayed == [] and seam["event"] == "resume_failed"
    assert seam["data"] == {"reason": "epoch_mismatch", "oldest": newest - 9, "epoch": epoch}
    ws.send(json.dumps({"action": "subscribe", "channels": ["*"]}))
    assert json.loads(ws.recv(timeout=10))["event"] == "subscribed"
    after = feed(radio, reference)
    assert drain(ws, 1.0) == after  # then live, as for any client
    ws.close()
    ws = reconnect(radio, token, 1, epoch)
    replayed, seam = until_seam(ws)
    ws.close()
    reference.close()
    assert replayed == [] and seam["event"] == "resume_failed"
    newest = after[-1]["seq"]
    assert seam["data"] == {"reason": "expired", "oldest": newest - 9, "epoch": epoch}
