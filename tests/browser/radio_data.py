"""Radio fixtures for the dashboard tests: the trunk-recorder MQTT examples
(/work/shared/fixtures/trunk-recorder-mqtt) with fresh times, talkgroups and call ids, and a
real WAV for the calls the page plays. Published through the real Mosquitto."""

from __future__ import annotations

import base64
import copy
import io
import json
import math
import sys
import time
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "radio"))

from mqtt_support import FIXTURES, RadioServer, forget_session, publish  # noqa: E402
from support import API_KEY  # noqa: E402

SYSTEM = "p25trunk"  # systems.json: sys_num 2, sysid 555
Message = tuple[str, bytes]


class RadioBrowserServer(RadioServer):
    """A server wired to Mosquitto under a private topic prefix, as the browser suite wants."""

    api_key = API_KEY

    @property
    def url(self) -> str:
        return self.base

    def send(self, *messages: Message) -> None:
        publish([(f"{self.prefix}/{topic}", payload) for topic, payload in messages])


@pytest.fixture(scope="module", name="server")
def radio_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RadioBrowserServer]:
    """Overrides the suite's plain server (the page fixtures use it): one radio server per
    test module, the systems already announced. A test module imports it to use it."""
    srv = RadioBrowserServer(tmp_path_factory.mktemp("radio-ui"), LISTENPOST_LOG_LEVEL="info")
    srv.start()
    srv.send(systems())
    yield srv
    srv.stop()
    forget_session(srv.client_id)


def wav_bytes(seconds: float = 1.0, rate: int = 8000, hz: float = 440.0) -> bytes:
    """A real mono 16-bit WAV (a quiet tone) the browser can decode and time."""
    frames = bytearray()
    for i in range(int(seconds * rate)):
        sample = int(3000 * math.sin(2 * math.pi * hz * i / rate))
        frames += sample.to_bytes(2, "little", signed=True)
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(frames))
    return out.getvalue()


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


def _msg(topic: str, body: dict[str, Any]) -> Message:
    return topic, json.dumps(body).encode()


def systems() -> Message:
    body = _load("systems.json")
    body["timestamp"] = int(time.time())
    return _msg("feeds/systems", body)


def rates(decode_rate: float, at: int | None = None) -> Message:
    """A `rates` message; `at` (unix seconds, default now) is the time it is stored under."""
    body = _load("rates.json")
    body["timestamp"] = int(time.time()) if at is None else at
    body["rates"][0]["decoderate"] = decode_rate
    body["rates"][1]["decoderate"] = round(decode_rate * 0.9, 2)
    return _msg("feeds/rates", body)


def recorder(state: str, rec_num: int = 16) -> Message:
    body = _load("recorder.json")
    body["timestamp"] = int(time.time())
    rec = body["recorder"]
    rec.update(id=f"4_{rec_num}", rec_num=rec_num, rec_state_type=state,
               rec_state={"IDLE": 4, "RECORDING": 1}.get(state, 0))
    return _msg("feeds/recorder", body)


def _call(name: str, talkgroup: int, start: int, **fields: Any) -> dict[str, Any]:
    body = _load(name)
    call = body["call"]
    call.update(id=f"2_{talkgroup}_{start}", sys_num=2, sys_name=SYSTEM, talkgroup=talkgroup,
                talkgroup_alpha_tag=f"TG {talkgroup}", start_time=start, **fields)
    body["timestamp"] = int(time.time())
    return body


def call_start(talkgroup: int, start: int, **flags: Any) -> Message:
    return _msg("feeds/call_start", _call("call_start.json", talkgroup, start, **flags))


def call_end(talkgroup: int, start: int, length: float = 1.0) -> Message:
    body = _call("call_end.json", talkgroup, start, stop_time=start + int(length), length=length)
    return _msg("feeds/call_end", body)


def audio(talkgroup: int, start: int, wav: bytes) -> Message:
    body = copy.deepcopy(json.loads((FIXTURES / "extra" / "audio_valid_wav.json").read_text()))
    body["call"]["audio_wav_base64"] = base64.b64encode(wav).decode()
    meta = body["call"]["metadata"]
    name = f"{talkgroup}-{start}_154875000.0-call_1.wav"
    meta.update(short_name=SYSTEM, talkgroup=talkgroup, talkgroup_tag=f"TG {talkgroup}",
                start_time=start, stop_time=start + 1, call_length=1, filename=name,
                call_filename=name)
    for item in meta["freqList"] + meta["srcList"]:
        item["time"] = start
    body["timestamp"] = int(time.time())
    return _msg("feeds/audio", body)


def unit_join(unit: int, talkgroup: int) -> Message:
    body = _load("unit_join.json")
    body["join"].update(sys_num=2, sys_name=SYSTEM, unit=unit, talkgroup=talkgroup)
    body["timestamp"] = int(time.time())
    return _msg(f"units/{SYSTEM}/join", body)


class WsLog:
    """JSON frames a page sends and receives on /api/ws, per panel connection (`view=`)."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.sent: dict[str, list[dict[str, Any]]] = {}
        self.received: dict[str, list[dict[str, Any]]] = {}
        page.on("websocket", self._watch)

    def _watch(self, ws: Any) -> None:
        if "/api/ws?" not in ws.url:
            return
        view = ws.url.split("view=")[1].split("&")[0] if "view=" in ws.url else ""
        sent = self.sent.setdefault(view, [])
        received = self.received.setdefault(view, [])
        ws.on("framesent", lambda payload: sent.append(json.loads(payload)))
        ws.on("framereceived", lambda payload: received.append(json.loads(payload)))

    def reset(self) -> None:
        """Forget what was seen (before a reload: its connections are new)."""
        self.sent.clear()
        self.received.clear()

    def confirmed(self, view: str, **want: Any) -> dict[str, Any]:
        """Wait until the server confirmed a subscribe whose request carried `want`."""
        deadline = time.time() + 15
        while True:
            for frame in self.received.get(view, []):
                added = frame.get("data", {}).get("added") or {}
                if frame.get("event") == "subscribed" and all(
                    added.get(k) == v for k, v in want.items()
                ):
                    return frame
            assert time.time() < deadline, f"no subscribe {want} confirmed: {self.received}"
            self.page.wait_for_timeout(100)
