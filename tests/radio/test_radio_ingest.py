"""Radio ingest after normalisation, end to end: audio files, events once, units, seen times,
per-message caps. Real Mosquitto, real server, checked over /api/ws and REST."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mqtt_support import FIXTURES, RadioServer, forget_session, publish, wait_for
from websockets.sync.client import ClientConnection, connect


@pytest.fixture(params=["sqlite", "postgres"])
def radio(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RadioServer]:
    """A radio server on SQLite, then on PostgreSQL (seen times and flags are SQL)."""
    drop = None
    env = {}
    if request.param == "postgres":
        from support import create_pg_database

        url, drop = create_pg_database()
        env["LISTENPOST_DB_URL"] = url
    srv = RadioServer(tmp_path / "radio", **env)
    yield srv
    srv.stop()
    forget_session(srv.client_id)
    if drop:
        drop()


def listen(srv: RadioServer) -> ClientConnection:
    ws = connect(f"{srv.ws_base}/api/ws?access_token={srv.token()}")
    ws.send(json.dumps({"action": "subscribe", "channels": ["*"]}))
    assert json.loads(ws.recv(timeout=5))["event"] == "subscribed"
    return ws


def drain(ws: ClientConnection, quiet: float = 2.0) -> list[dict[str, Any]]:
    frames = []
    while True:
        try:
            frames.append(json.loads(ws.recv(timeout=quiet)))
        except TimeoutError:
            return frames


def audio_message(
    talkgroup: int, start: int, wav: bytes, short_name: str = "chemung-ny"
) -> dict[str, Any]:
    """The valid audio fixture for another call: same file name, other talkgroup/start."""
    msg = json.loads((FIXTURES / "extra" / "audio_valid_wav.json").read_text())
    meta = msg["call"]["metadata"]
    meta.update(talkgroup=talkgroup, start_time=start, stop_time=start + 40, short_name=short_name)
    msg["call"]["audio_wav_base64"] = base64.b64encode(wav).decode()
    return msg


def fixture_wav() -> bytes:
    msg = json.loads((FIXTURES / "extra" / "audio_valid_wav.json").read_text())
    return base64.b64decode(msg["call"]["audio_wav_base64"])


def calls_with_audio(c: httpx.Client, n: int) -> list[dict[str, Any]]:
    def found() -> list[dict[str, Any]]:
        got = c.get("/api/v1/calls", params={"size": 100}).json()["results"]
        with_audio = [x for x in got if x["audio_url"]]
        return with_audio if len(with_audio) >= n else []

    return list(wait_for(found))


def test_two_calls_with_one_file_name_keep_their_own_audio(radio: RadioServer) -> None:
    radio.start()
    first = fixture_wav()
    second = first[:-64] + bytes(range(64))  # same header and length, other samples
    publish(
        [
            (
                f"{radio.prefix}/feeds/audio",
                json.dumps(audio_message(300, 1713207802, first)).encode(),
            ),
            (
                f"{radio.prefix}/feeds/audio",
                json.dumps(audio_message(301, 1713207900, second)).encode(),
            ),
        ]
    )
    with radio.client() as c:
        calls = {x["talkgroup"]: x for x in calls_with_audio(c, 2)}
        assert c.get(calls[300]["audio_url"]).content == first
        assert c.get(calls[301]["audio_url"]).content == second
    files = sorted((radio.data_dir / "audio").rglob("*.wav"))
    assert len(files) == 2
    assert not list((radio.data_dir / "audio").rglob("*.tmp"))


@pytest.mark.parametrize("short_name", ["..", "../../etc", "a/../../b", "/abs"])
def test_path_like_system_names_stay_inside_the_audio_folder(
    radio: RadioServer, short_name: str
) -> None:
    radio.start()
    wav = fixture_wav()
    msg = audio_message(300, 1713207802, wav, short_name=short_name)
    publish([(f"{radio.prefix}/feeds/audio", json.dumps(msg).encode())])
    with radio.client() as c:
        (call,) = calls_with_audio(c, 1)
        assert c.get(call["audio_url"]).content == wav
    audio_root = (radio.data_dir / "audio").resolve()
    stored = [p.resolve() for p in radio.data_dir.resolve().parent.rglob("*.wav")]
    assert stored and all(p.is_relative_to(audio_root) for p in stored), stored


def test_audio_available_only_for_stored_audio_and_once_per_call(radio: RadioServer) -> None:
    radio.start()
    ws = listen(radio)
    bad = (FIXTURES / "audio.json").read_bytes()  # undecodable base64
    good = json.dumps(audio_message(300, 1713207802, fixture_wav())).encode()
    publish([(f"{radio.prefix}/feeds/audio", p) for p in (bad, bad, good, good)])
    frames = [f for f in drain(ws) if f["event"] == "audio_available"]
    ws.close()
    assert len(frames) == 1, frames
    assert frames[0]["data"]["talkgroup"] == 300 and frames[0]["data"]["audio_size"] > 0
    with radio.client() as c:
        url = f"/api/v1/calls/{frames[0]['data']['call_id']}/audio"
        assert c.get(url).status_code == 200


def test_units_only_in_an_audio_src_list_are_created(radio: RadioServer) -> None:
    radio.start()
    publish(
        [
            (
                f"{radio.prefix}/feeds/audio",
                (FIXTURES / "extra" / "audio_valid_wav.json").read_bytes(),
            )
        ]
    )
    with radio.client() as c:
        (call,) = calls_with_audio(c, 1)
        assert call["unit"] == 104  # the first transmitting unit
        for unit in (104, 139):
            r = c.get(f"/api/v1/units/{unit}")
            assert r.status_code == 200, (unit, r.text)
            assert r.json()["data"]["last_seen"].startswith("2024-04-15")
        listed = c.get("/api/v1/calls", params={"unit": 104}).json()["results"]
        assert [x["id"] for x in listed] == [call["id"]]


def test_resent_call_end_emits_call_end_once(radio: RadioServer) -> None:
    radio.start()
    ws = listen(radio)
    end = (FIXTURES / "call_end.json").read_bytes()
    publish([(f"{radio.prefix}/feeds/call_end", end)] * 3)
    ends = [f for f in drain(ws) if f["event"] == "call_end"]
    ws.close()
    assert len(ends) == 1, ends


def unit_on(unit: int, timestamp: int) -> bytes:
    msg = json.loads((FIXTURES / "unit_on.json").read_text())
    msg["on"]["unit"] = unit
    msg["timestamp"] = timestamp
    return json.dumps(msg).encode()


def test_first_and_last_seen_follow_the_message_time(radio: RadioServer) -> None:
    radio.start()
    newer, older = 1686711527, 1686700000  # 2023-06-14 02:58:47Z and 2023-06-13 23:46:40Z
    publish(
        [
            (f"{radio.prefix}/units/p25trunk/on", unit_on(806400, newer)),
            (f"{radio.prefix}/units/p25trunk/on", unit_on(806400, older)),  # a late backlog
            (f"{radio.prefix}/feeds/call_start", (FIXTURES / "call_start.json").read_bytes()),
        ]
    )
    with radio.client() as c:
        wait_for(lambda: c.get("/api/v1/talkgroups/3029").status_code == 200)
        unit = c.get("/api/v1/units/806400").json()["data"]
        assert unit["last_seen"].startswith("2023-06-14T02:58:47")  # never moves backwards
        assert unit["first_seen"].startswith("2023-06-13T23:46:40")
        tg = c.get("/api/v1/talkgroups/3029").json()["data"]
        assert tg["first_seen"].startswith("2023-06-13") and tg["last_seen"].startswith(
            "2023-06-13"
        )
        (system,) = [
            s for s in c.get("/api/v1/systems").json()["results"] if s["short_name"] == "p25trunk"
        ]
        assert system["first_seen"].startswith("2023-06-1")
    now_year = time.gmtime().tm_year
    assert now_year > 2023


def snapshot(n: int) -> bytes:
    msg = json.loads((FIXTURES / "calls_active.json").read_text())
    template = msg["calls"][0]
    msg["calls"] = [
        {**template, "id": f"2_{5000 + i}_1686699318", "talkgroup": 5000 + i} for i in range(n)
    ]
    return json.dumps(msg).encode()


def rates(n: int) -> bytes:
    msg = json.loads((FIXTURES / "rates.json").read_text())
    template = msg["rates"][0]
    msg["rates"] = [{**template, "sys_name": f"site{i}", "sys_num": i} for i in range(n)]
    return json.dumps(msg).encode()


def test_messages_over_their_cap_are_refused_counted_and_logged(tmp_path: Path) -> None:
    srv = RadioServer(
        tmp_path / "caps",
        LISTENPOST_RADIO_MAX_ACTIVE_CALLS="5",
        LISTENPOST_RADIO_MAX_RATE_SYSTEMS="3",
    )
    try:
        srv.start()
        ws = listen(srv)
        publish(
            [
                (f"{srv.prefix}/feeds/calls_active", snapshot(6)),
                (f"{srv.prefix}/feeds/rates", rates(4)),
                (f"{srv.prefix}/feeds/calls_active", snapshot(5)),  # at the cap: accepted
                (f"{srv.prefix}/feeds/rates", rates(3)),
            ]
        )
        frames = drain(ws)
        ws.close()
        starts = [f for f in frames if f["event"] == "call_start"]
        assert len(starts) == 5
        assert len([f for f in frames if f["event"] == "rate_update"]) == 3
        metrics = httpx.get(srv.base + "/metrics").text
        assert 'listenpost_radio_refused_total{reason="calls_active"} 1.0' in metrics
        assert 'listenpost_radio_refused_total{reason="rates"} 1.0' in metrics
        log = srv.log.read_text()
        assert "refused" in log and "LISTENPOST_RADIO_MAX_ACTIVE_CALLS" in log
    finally:
        srv.stop()
        forget_session(srv.client_id)


def test_heartbeats_are_liveness_not_errors(radio: RadioServer) -> None:
    radio.start()
    beats = [
        {"type": "heartbeat", "timestamp": 1712789072, "instance_id": "east"},
        {"type": "heartbeat", "timestamp": 1712789082, "instance_id": "east"},
        {"type": "heartbeat", "timestamp": 1712789077, "instance_id": "east"},  # late
        {"type": "heartbeat", "timestamp": 1712789090, "instance_id": "west"},
    ]
    publish([(f"{radio.prefix}/feeds/heartbeat", json.dumps(b).encode()) for b in beats])
    with radio.client() as c:
        got = wait_for(
            lambda: (
                (r := c.get("/api/v1/instances").json())["total_cnt"] == 2
                and r["results"][0]["heartbeats"] == 3
                and r
            )
        )
    east, west = got["results"]
    assert (east["instance_id"], east["last_heartbeat"]) == ("east", "2024-04-10T22:44:42Z")
    assert (west["instance_id"], west["last_heartbeat"]) == ("west", "2024-04-10T22:44:50Z")
    health = httpx.get(radio.base + "/health").json()
    assert health["radio"]["instances"] == {
        "east": {"last_heartbeat": "2024-04-10T22:44:42Z"},
        "west": {"last_heartbeat": "2024-04-10T22:44:50Z"},
    }
    metrics = httpx.get(radio.base + "/metrics").text
    assert "listenpost_radio_errors_total{" not in metrics
    assert "WARNING" not in radio.log.read_text()


CALL_ALERT = {
    "type": "call_alert",
    "call_alert": {
        "sys_num": 1,
        "sys_name": "pscsite4",
        "unit": 4810011,
        "unit_alpha_tag": "",
        "target_unit": 4811289,
        "target_unit_alpha_tag": "OFFICER JONES",
    },
    "timestamp": 1712789072,
    "instance_id": "trunk-recorder",
}


def test_call_alert_is_a_unit_event_with_its_target(radio: RadioServer) -> None:
    radio.start()
    ws = listen(radio)
    publish([(f"{radio.prefix}/units/pscsite4/call_alert", json.dumps(CALL_ALERT).encode())])
    frames = [f for f in drain(ws) if f["event"] == "unit_event"]
    ws.close()
    assert [f["data"] for f in frames] == [
        {
            "event_type": "call_alert",
            "system": "pscsite4",
            "sysid": "pscsite4",
            "talkgroup": 0,
            "target_unit": 4811289,
            "unit": 4810011,
            "unit_tag": "",
        }
    ]
    with radio.client() as c:
        events = c.get("/api/v1/units/4810011/events").json()["results"]
        assert [(e["event_type"], e["target_unit"]) for e in events] == [("call_alert", 4811289)]


def test_a_message_time_before_2000_is_taken_as_its_arrival(radio: RadioServer) -> None:
    radio.start()
    publish([(f"{radio.prefix}/units/p25trunk/on", unit_on(806401, 5))])  # 1970-01-01T00:00:05
    with radio.client() as c:
        wait_for(lambda: c.get("/api/v1/units/806401").status_code == 200)
        unit = c.get("/api/v1/units/806401").json()["data"]
    year = str(time.gmtime().tm_year)
    assert unit["first_seen"].startswith(year) and unit["last_seen"].startswith(year)
