"""`listenpost demo` as a person runs it: a process, its banner, live data over the API."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from demo_support import DEADLINE, Demo, client, within
from support import API_KEY, Server, free_port, service_missing
from websockets.sync.client import connect

from listenpost.cli import main
from listenpost.demo.place import MICS, RULE
from listenpost.demo.sinks import forget_session

MIC_NAMES = {m.name for m in MICS}


def _sound_and_composite(c: httpx.Client, deadline: float) -> None:
    events = within(
        deadline,
        lambda: c.get("/api/v1/events", params={"size": 50}).json()["results"],
        "sound events",
    )
    assert {e["mic"]["name"] for e in events} <= MIC_NAMES
    assert all(len(e["noises"]) > 1 for e in events)
    composites = within(
        deadline,
        lambda: c.get("/api/v1/composite-events").json()["results"],
        "a composite event",
    )
    assert composites[0]["rule"]["name"] == RULE["name"]
    assert len(composites[0]["events"]) >= RULE["min_events"]


def _radio_calls(c: httpx.Client, ws_url: str, token: str, deadline: float) -> None:
    """Live over tr-engine's /api/ws (a call starting, another's audio: the first call may
    start before the socket opens), then the call and its audio over REST."""
    with connect(ws_url, additional_headers={"Authorization": f"Bearer {token}"}) as ws:
        ws.send(json.dumps({"action": "subscribe", "channels": ["calls"]}))
        seen: dict[str, dict[str, Any]] = {}
        while not {"call_start", "audio_available"} <= set(seen):
            assert time.monotonic() < deadline, f"radio: only {sorted(seen)} within {DEADLINE:g} s"
            try:
                frame = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            except TimeoutError:
                continue
            seen.setdefault(frame["event"], frame["data"])
    call = c.get(f"/api/v1/calls/{seen['audio_available']['call_id']}").json()["data"]
    audio = c.get(call["audio_url"])
    assert audio.status_code == 200 and audio.content[:4] == b"RIFF"


def test_demo_comes_alive_and_cleans_up_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    demo = Demo(["--host", "127.0.0.1", "--port", str(port), "--seed", "1"], tmp_path / "d.log")
    try:
        info = demo.banner()
        deadline = time.monotonic() + DEADLINE
        base = f"http://127.0.0.1:{port}"
        assert info["Dashboard"] == base + "/"
        data = Path(info["Data"].split()[0])
        assert data.is_dir()
        key = info["API key"]
        with client(base, key) as c:
            token = c.headers["Authorization"].split()[1]
            _radio_calls(c, f"ws://127.0.0.1:{port}/api/ws", token, deadline)
            _sound_and_composite(c, deadline)
            assert c.get("/api/v1/mics", params={"size": 20}).json()["total_cnt"] == len(MICS)
        # the progress log tells a person what happens (composites: seen by polling the API)
        within(time.monotonic() + 10, lambda: "composite: the rule" in demo.stderr(), "log")
    finally:
        code = demo.stop(signal.SIGTERM)
    assert code == 0, demo.stderr()
    assert not data.exists()
    log = demo.stderr()
    for line in (
        "12 mics around Seoul Station",
        "burst: ",
        "composite: the rule",
        "radio: call on",
    ):
        assert line in log
    assert "removed its data directory" in log


def test_demo_feeds_a_running_server_with_url_and_api_key(tmp_path: Path) -> None:
    srv = Server(tmp_path / "srv").start()
    try:
        demo = Demo(["--url", srv.base, "--api-key", API_KEY, "--seed", "2"], tmp_path / "d.log")
        try:
            info = demo.banner()
            deadline = time.monotonic() + DEADLINE
            assert info["Dashboard"] == srv.base + "/"
            assert "add --mqtt" in info["Radio"]  # radio needs a broker in this mode
            with client(srv.base, API_KEY) as c:
                _sound_and_composite(c, deadline)
        finally:
            assert demo.stop(signal.SIGINT) == 0, demo.stderr()
        again = Demo(["--url", srv.base, "--api-key", API_KEY], tmp_path / "again.log")
        again.banner()  # the mics and the rule exist now: updated, not refused
        assert again.stop() == 0, again.stderr()
        with client(srv.base, API_KEY) as c:
            assert c.get("/api/v1/mics", params={"size": 20}).json()["total_cnt"] == len(MICS)
        wrong = Demo(["--url", srv.base, "--api-key", "lpk_wrong"], tmp_path / "wrong.log")
        assert wrong.proc.wait(60) == 2
        assert "refused the API key" in wrong.stderr()
    finally:
        srv.stop()


def _need_broker() -> None:
    try:
        socket.create_connection(("127.0.0.1", 1883), timeout=2).close()
    except OSError as exc:
        service_missing("Mosquitto MQTT broker", str(exc))


def test_demo_through_an_mqtt_broker(tmp_path: Path) -> None:
    _need_broker()
    port = free_port()
    prefix = f"lpt-demo-{uuid.uuid4().hex[:8]}"
    args = ["--port", str(port), "--mqtt", "mqtt://127.0.0.1:1883", "--mqtt-prefix", prefix]
    demo = Demo(args, tmp_path / "d.log")
    try:
        info = demo.banner()
        deadline = time.monotonic() + DEADLINE
        assert "mqtt://127.0.0.1:1883" in info["Radio"]
        data = Path(info["Data"].split()[0])
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(base + "/health").json()["mqtt"] == "connected"
        with client(base, info["API key"]) as c:
            token = c.headers["Authorization"].split()[1]
            _radio_calls(c, f"ws://127.0.0.1:{port}/api/ws", token, deadline)
    finally:
        code = demo.stop(signal.SIGINT)  # Ctrl-C
    assert code == 0, demo.stderr()
    assert not data.exists()


def test_demo_feeds_radio_to_a_running_server_through_its_broker(tmp_path: Path) -> None:
    _need_broker()
    prefix = f"lpt-demo-{uuid.uuid4().hex[:8]}"
    client_id = f"listenpost-test-{prefix}"
    srv = Server(
        tmp_path / "srv",
        LISTENPOST_MQTT_URL="mqtt://127.0.0.1:1883",
        LISTENPOST_MQTT_TOPICS=",".join(f"{prefix}/{t}" for t in ("feeds/#", "units/#")),
        LISTENPOST_MQTT_CLIENT_ID=client_id,
    ).start()
    try:
        args = ["--url", srv.base, "--api-key", API_KEY, "--mqtt", "mqtt://127.0.0.1:1883"]
        demo = Demo([*args, "--mqtt-prefix", prefix], tmp_path / "d.log")
        try:
            info = demo.banner()
            deadline = time.monotonic() + DEADLINE
            assert "must ingest it" in info["Radio"]
            with client(srv.base, API_KEY) as c:
                token = c.headers["Authorization"].split()[1]
                _radio_calls(c, f"{srv.ws_base}/api/ws", token, deadline)
        finally:
            assert demo.stop() == 0, demo.stderr()
    finally:
        srv.stop()
        asyncio.run(forget_session("mqtt://127.0.0.1:1883", client_id))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--url", "http://127.0.0.1:1"], "--url and --api-key go together"),
        (["--rate", "-1"], "--rate -1: give 0 to 1000"),
        (["--url", "http://127.0.0.1:1", "--api-key", "k"], "cannot reach http://127.0.0.1:1"),
        (["--port", "0", "--mqtt", "mqtt://127.0.0.1:1"], "cannot reach the MQTT broker"),
    ],
)
def test_demo_refuses_what_cannot_work_on_one_line(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(["demo", *args]) == 2
    assert message in capsys.readouterr().err


def test_demo_on_a_taken_port_says_so_and_leaves_no_directory(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["demo", "--port", str(port)]) == 2
    assert f"--port {port} on 127.0.0.1 is already in use" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
