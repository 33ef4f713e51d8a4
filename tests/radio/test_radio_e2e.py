"""trunk-recorder -> real Mosquitto -> listenpost -> /api/ws clients and the radio REST API."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mqtt_support import (
    FIXTURES,
    RadioServer,
    fixture_messages,
    forget_session,
    publish,
    unit_on_messages,
    wait_for,
)
from websockets.sync.client import ClientConnection, connect

CHANNELS = {
    "call_start": "calls",
    "call_end": "calls",
    "audio_available": "calls",
    "unit_event": "units",
    "rate_update": "rates",
    "recorder_update": "recorders",
}


def reference_wants(sub: dict[str, Any], event: str, data: dict[str, Any]) -> bool:
    """The filter rules written out plainly, to check the server against."""
    channels = set(sub.get("channels", []))
    if not ("*" in channels or event in channels or CHANNELS.get(event) in channels):
        return False
    for field, key in (("systems", "system"), ("talkgroups", "talkgroup"), ("units", "unit")):
        wanted = sub.get(field)
        if wanted and key in data and data[key] not in wanted:
            return False
    return True


@pytest.fixture
def radio(tmp_path: Path) -> Iterator[RadioServer]:
    srv = RadioServer(tmp_path / "radio")
    yield srv
    srv.stop()
    forget_session(srv.client_id)


def subscribe(srv: RadioServer, token: str, sub: dict[str, Any] | None) -> ClientConnection:
    ws = connect(
        f"{srv.ws_base}/api/ws",
        additional_headers={"Authorization": f"Bearer {token}"},
        legacy=True,
    )
    if sub is not None:
        ws.send(json.dumps({"action": "subscribe", **sub}))
        reply = json.loads(ws.recv(timeout=5))
        assert reply["event"] == "subscribed"
    return ws


def drain(ws: ClientConnection, quiet: float = 1.5) -> list[dict[str, Any]]:
    frames = []
    while True:
        try:
            frames.append(json.loads(ws.recv(timeout=quiet)))
        except TimeoutError:
            return frames


def stored_units(c: httpx.Client, **params: Any) -> set[int]:
    """Every stored unit id, across all pages."""
    found: set[int] = set()
    page = 1
    while True:
        got = c.get("/api/v1/units", params={"size": 100, "page": page, **params}).json()
        found |= {u["unit_id"] for u in got["results"]}
        if page >= got["max_page"]:
            return found
        page += 1


SUBS: list[dict[str, Any] | None] = [
    {"channels": ["*"]},
    {"channels": ["calls"], "talkgroups": [3029]},
    {"channels": ["units"], "units": [804329]},
    {"channels": ["rates", "system_update"], "systems": ["p25trunk2", "p25trunk"]},
    {"channels": ["recorders", "calls"], "systems": ["chemung-ny"]},
    None,
]


def test_fixtures_reach_each_client_exactly_as_filtered(radio: RadioServer) -> None:
    radio.start()
    token = radio.token()
    clients = [subscribe(radio, token, sub) for sub in SUBS]
    publish(fixture_messages(radio.prefix))
    received = [drain(ws, 3.0 if i == 0 else 1.0) for i, ws in enumerate(clients)]
    for ws in clients:
        ws.close()
    everything = received[0]
    kinds = {f["event"] for f in everything}
    assert kinds >= {
        "call_start",
        "call_end",
        "audio_available",
        "unit_event",
        "rate_update",
        "system_update",
        "recorder_update",
    }
    for frame in everything:
        assert list(frame) == ["event", "timestamp", "data", "seq", "epoch"]  # seq: resume
        assert isinstance(frame["timestamp"], int) and abs(frame["timestamp"] - time.time()) < 60
    for sub, got in zip(SUBS[1:-1], received[1:-1], strict=True):
        expected = [f for f in everything if reference_wants(sub, f["event"], f["data"])]
        assert got == expected, sub
        assert got, f"subscription {sub} received nothing"
    assert received[-1] == []  # never subscribed: nothing delivered
    start = next(f["data"] for f in received[1] if f["event"] == "call_start")
    assert start["talkgroup"] == 3029 and start["talkgroup_alpha_tag"] == "Metro Police N"
    assert start["system"] == "p25trunk" and start["sysid"] == "555"
    assert start["unit"] == 849183 and isinstance(start["call_id"], int)

    with radio.client(token) as c:
        call = c.get(f"/api/v1/calls/{start['call_id']}").json()["data"]
        assert call["talkgroup_alpha_tag"] == "Metro Police N" and call["tr_call_id"]
        tg = c.get("/api/v1/talkgroups/3029").json()["data"]
        assert (tg["sysid"], tg["alpha_tag"], tg["tg_group"]) == (
            "555",
            "Metro Police N",
            "Metro Police",
        )
        assert c.get("/api/v1/talkgroups/555:3029").json()["data"]["tgid"] == 3029
        assert c.get("/api/v1/talkgroups/999999").status_code == 404
        units = c.get("/api/v1/units", params={"size": 100}).json()
        assert 804329 in {u["unit_id"] for u in units["results"]}
        events = c.get("/api/v1/units/804329/events").json()
        assert {e["event_type"] for e in events["results"]} >= {"call"}
        log = c.get("/api/v1/unit-events", params={"size": 100}).json()["results"]
        assert [e["id"] for e in log] == sorted((e["id"] for e in log), reverse=True)
        assert {e["event_type"] for e in log} >= {"call", "on", "off", "join", "location"}
        on_tg = c.get("/api/v1/unit-events", params={"talkgroup": 301}).json()["results"]
        assert on_tg and {e["talkgroup"] for e in on_tg} == {301}
        one = c.get("/api/v1/unit-events", params={"unit": 804329, "system": "p25trunk"})
        assert {e["unit"] for e in one.json()["results"]} == {804329}
        calls = c.get("/api/v1/calls", params={"talkgroup": 3029}).json()
        assert [x["id"] for x in calls["results"]] == [start["call_id"]]
        systems = {s["short_name"] for s in c.get("/api/v1/systems").json()["results"]}
        assert {"p25trunk", "chemung-ny"} <= systems  # audio created its unknown system
        assert c.get("/api/v1/recorders").json()["total_cnt"] >= 1
        assert c.get("/api/v1/stats/rates").json()["total_cnt"] >= 2


def test_audio_downloads_byte_identical_with_range(radio: RadioServer) -> None:
    radio.start()
    token = radio.token()
    publish(fixture_messages(radio.prefix))
    wav = base64.b64decode(
        json.loads((FIXTURES / "extra" / "audio_valid_wav.json").read_text())["call"][
            "audio_wav_base64"
        ]
    )
    with radio.client(token) as c:
        found = wait_for(
            lambda: [
                x
                for x in c.get(
                    "/api/v1/calls", params={"system": "chemung-ny", "size": 100}
                ).json()["results"]
                if x["audio_url"]
            ]
        )
        assert len(found) == 1, "the undecodable audio must not produce a file"
        call = found[0]
        assert call["audio_size"] == len(wav)
        r = c.get(call["audio_url"])
        assert r.status_code == 200 and r.content == wav
        assert r.headers["content-type"] == "audio/wav"
        part = c.get(call["audio_url"], headers={"Range": "bytes=0-99"})
        assert part.status_code == 206 and part.content == wav[:100]
        tx = c.get(f"/api/v1/calls/{call['id']}/transmissions").json()["data"]
        assert [t["unit"] for t in tx] == [104, 139]
    browser = httpx.get(f"{radio.base}{call['audio_url']}?access_token={token}")
    assert browser.content == wav
    assert httpx.get(f"{radio.base}{call['audio_url']}").status_code == 403
    stored = list((radio.data_dir / "audio" / "chemung-ny").rglob("*.wav"))
    assert len(stored) == 1 and stored[0].parent.parent.parent.name == "2024"
    metrics = httpx.get(radio.base + "/metrics").text
    assert 'listenpost_radio_errors_total{reason="audio_decode"} 1.0' in metrics


def test_bad_messages_are_skipped_and_counted(radio: RadioServer) -> None:
    radio.start()
    token = radio.token()
    ws = subscribe(radio, token, {"channels": ["units"]})
    unit = (FIXTURES / "extra" / "unit_call_int_timestamp.json").read_bytes()
    publish(
        [
            (f"{radio.prefix}/units/p25trunk/call", b"{not json"),
            (f"{radio.prefix}/feeds/whatever", b'{"type": "no_such_type"}'),
            (f"{radio.prefix}/feeds/x", b"[1, 2]"),
            (f"{radio.prefix}/units/p25trunk/call", unit),
        ]
    )
    frames = drain(ws)
    ws.close()
    assert [f["data"]["unit"] for f in frames] == [804329]
    metrics = httpx.get(radio.base + "/metrics").text
    for reason in ("invalid_json", "unknown_type", "not_object"):
        assert f'listenpost_radio_errors_total{{reason="{reason}"}} 1.0' in metrics


def test_ws_errors_keep_subscription_and_auth_is_required(radio: RadioServer) -> None:
    radio.start()
    token = radio.token()
    ws = subscribe(radio, token, {"channels": ["units"], "units": [804329]})
    for bad in (
        "{oops",
        "[]",
        json.dumps({"action": "dance"}),
        json.dumps({"action": "subscribe", "talkgroups": ["x"]}),
    ):
        ws.send(bad)
        reply = json.loads(ws.recv(timeout=5))
        assert reply["event"] == "error" and reply["data"]["message"]
    ws.send(json.dumps({"action": "unsubscribe", "units": [1]}))
    reply = json.loads(ws.recv(timeout=5))
    assert reply["event"] == "unsubscribed" and reply["data"]["removed"]["channels"] is None
    publish(
        [
            (
                f"{radio.prefix}/units/p25trunk/call",
                (FIXTURES / "extra" / "unit_call_int_timestamp.json").read_bytes(),
            )
        ]
    )
    assert [f["event"] for f in drain(ws)] == ["unit_event"]
    ws.close()
    from websockets.exceptions import InvalidStatus

    with pytest.raises(InvalidStatus) as info:
        connect(f"{radio.ws_base}/api/ws")
    assert info.value.response.status_code == 403


def test_public_radio_ws(tmp_path: Path) -> None:
    srv = RadioServer(tmp_path / "pub", LISTENPOST_RADIO_WS_PUBLIC="1")
    try:
        srv.start()
        with connect(f"{srv.ws_base}/api/ws") as ws:
            ws.send(json.dumps({"action": "subscribe", "channels": ["*"]}))
            assert json.loads(ws.recv(timeout=5))["event"] == "subscribed"
        assert httpx.get(srv.base + "/api/v1/calls").status_code == 403  # REST stays closed
    finally:
        srv.stop()
        forget_session(srv.client_id)


def test_messages_published_while_down_are_stored_after_restart(radio: RadioServer) -> None:
    radio.start()
    radio.stop()
    template = json.loads((FIXTURES / "extra" / "unit_call_int_timestamp.json").read_text())
    batch = []
    for i in range(25):
        msg = json.loads(json.dumps(template))
        msg["call"]["unit"] = 700000 + i
        batch.append((f"{radio.prefix}/units/p25trunk/call", json.dumps(msg).encode()))
    publish(batch)
    radio.start()
    with radio.client() as c:
        wanted = {700000 + i for i in range(25)}
        wait_for(lambda: stored_units(c, sysid="p25trunk") >= wanted)


def test_replay_command_publishes_fixtures(tmp_path: Path) -> None:
    import subprocess
    import sys

    srv = RadioServer(tmp_path / "replay")
    srv.env["LISTENPOST_MQTT_TOPICS"] = "feeds/#,units/#,messages/#"
    try:
        srv.start()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "listenpost",
                "replay",
                str(FIXTURES),
                "--mqtt",
                "mqtt://127.0.0.1:1883",
            ],
            check=True,
            capture_output=True,
        )
        with srv.client() as c:
            wait_for(
                lambda: c.get("/api/v1/calls", params={"talkgroup": 3029}).json()["total_cnt"] >= 1
            )
    finally:
        srv.stop()
        forget_session(srv.client_id)


def test_oversized_inbound_frame_closes_with_1009(radio: RadioServer) -> None:
    from websockets.exceptions import ConnectionClosed

    radio.start()
    with connect(f"{radio.ws_base}/api/ws?access_token={radio.token()}", max_size=None) as ws:
        ws.send("x" * (512 * 1024 + 1))
        with pytest.raises(ConnectionClosed) as info:
            ws.recv(timeout=5)
    assert info.value.rcvd is not None and info.value.rcvd.code == 1009


def test_plain_talkgroup_id_in_two_systems_is_409_with_candidates(radio: RadioServer) -> None:
    radio.start()
    first = json.loads((FIXTURES / "call_start.json").read_text())
    second = json.loads(json.dumps(first))
    second["call"].update(id="9_3029_1686700200", sys_num=9, sys_name="second-site")
    publish([(f"{radio.prefix}/feeds/call_start", json.dumps(m).encode()) for m in (first, second)])
    with radio.client(radio.token()) as c:
        wait_for(lambda: c.get("/api/v1/talkgroups").json()["total_cnt"] == 2)
        r = c.get("/api/v1/talkgroups/3029")
        assert r.status_code == 409
        detail = r.json()["detail"]
        assert "sysid:id" in detail["message"]
        assert len(detail["candidates"]) == 2
        for candidate in detail["candidates"]:
            assert candidate.endswith(":3029")
            assert c.get(f"/api/v1/talkgroups/{candidate}").json()["data"]["tgid"] == 3029


def test_killed_mid_stream_loses_no_message(radio: RadioServer) -> None:
    """A message is acknowledged to the broker only once stored: kill -9 mid-burst and the
    broker redelivers whatever was received but not yet stored."""
    radio.start()
    units = [810000 + i for i in range(600)]  # under the broker's default queue of 1000
    publish(unit_on_messages(radio.prefix, units))  # the server works through the burst
    with radio.client() as c:
        wait_for(lambda: len(stored_units(c) & set(units)) >= 100)
    assert radio.proc is not None
    radio.proc.kill()
    radio.proc.wait()
    radio.start()
    with radio.client() as c:
        try:
            wait_for(lambda: stored_units(c) >= set(units), timeout=60)
        except AssertionError:
            missing = sorted(set(units) - stored_units(c))
            raise AssertionError(f"{len(missing)} missing: {missing[:20]}") from None


def test_database_outage_holds_messages_until_it_returns(tmp_path: Path) -> None:
    """While PostgreSQL refuses connections, messages stay unacknowledged and are retried;
    when it is back every one of them is stored."""
    from support import create_pg_database, pg_block, pg_unblock

    url, drop = create_pg_database()
    srv = RadioServer(tmp_path / "radio", LISTENPOST_DB_URL=url)
    try:
        srv.start()
        pg_block(url)
        units = [820000 + i for i in range(30)]
        publish(unit_on_messages(srv.prefix, units))
        time.sleep(3)  # the server meets the outage and keeps retrying
        pg_unblock(url)
        with srv.client() as c:
            wait_for(lambda: stored_units(c) >= set(units), timeout=60)
        assert "retrying" in srv.log.read_text()
    finally:
        srv.stop()
        forget_session(srv.client_id)
        drop()
