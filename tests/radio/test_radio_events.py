"""Event builders: exactly the tr-engine.md §2 fields, from normalised fixtures."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from listenpost.radio import events
from listenpost.radio.normalise import normalise
from listenpost.radio.records import effective_sysid
from listenpost.radio.session import Session

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "trunk-recorder-mqtt"


def rec(name: str, index: int = 0, topic: str = "feeds/x") -> Any:
    return normalise(topic, (FIXTURES / name).read_bytes())[index]


def test_envelope() -> None:
    env = events.envelope("call_start", {"a": 1}, 1706450400.99)
    assert env == {"event": "call_start", "timestamp": 1706450400, "data": {"a": 1}}
    assert list(env) == ["event", "timestamp", "data"]
    assert isinstance(env["timestamp"], int)


def test_call_start() -> None:
    data = events.call_start(rec("call_start.json"), call_id=17, sysid="555")
    assert data == {
        "call_id": 17,
        "tr_call_id": "2_3029_1686700194",
        "talkgroup": 3029,
        "talkgroup_alpha_tag": "Metro Police N",
        "system": "p25trunk",
        "sysid": "555",
        "freq": 770331250,
        "unit": 849183,
        "unit_alpha_tag": "Metro Dispatch",
        "encrypted": False,
        "emergency": False,
    }
    assert list(data) == sorted(data)


def test_call_start_from_calls_active_snapshot() -> None:
    call = rec("calls_active.json").calls[0]
    data = events.call_start(call, call_id=3, sysid="555")
    assert (data["tr_call_id"], data["talkgroup"], data["unit"]) == (
        "2_4011_1686699318",
        4011,
        899003,
    )


def test_call_start_without_unit_sends_zero() -> None:
    payload = json.loads((FIXTURES / "call_start.json").read_text())
    del payload["call"]["unit"]
    (call,) = normalise("feeds/call_start", json.dumps(payload))
    assert events.call_start(call, call_id=1, sysid="s")["unit"] == 0


def test_call_end() -> None:
    data = events.call_end(rec("call_end.json"), call_id=42, sysid="555")
    assert data == {
        "call_id": 42,
        "tr_call_id": "3_401_1701185024",
        "talkgroup": 401,
        "talkgroup_alpha_tag": "DISP 1",
        "system": "p25trunk",
        "sysid": "555",
        "unit": 1849262,
        "unit_alpha_tag": "Dispatch",
        "duration": 0.36,
        "encrypted": False,
        "emergency": False,
        "error_count": 0,
        "spike_count": 0,
    }
    assert list(data) == sorted(data)


def test_call_end_synthesised_has_no_unit() -> None:
    data = events.call_end_synthesised(
        call_id=5,
        talkgroup=4011,
        system="p25trunk",
        sysid="555",
        duration=12,
        encrypted=False,
        emergency=True,
    )
    assert data == {
        "call_id": 5,
        "talkgroup": 4011,
        "system": "p25trunk",
        "sysid": "555",
        "duration": 12.0,
        "encrypted": False,
        "emergency": True,
    }
    assert list(data) == sorted(data)


def test_audio_available() -> None:
    audio = rec("extra/audio_valid_wav.json")
    data = events.audio_available(audio, call_id=9, sysid="chemung-ny")
    assert data == {
        "call_id": 9,
        "tr_call_id": "",
        "talkgroup": 300,
        "talkgroup_alpha_tag": "Chem Law Disp",
        "system": "chemung-ny",
        "sysid": "chemung-ny",
        "audio_size": len(audio.wav),
        "duration": 33.0,
        "transmissions": 2,
        "frequencies": 2,
    }
    assert data["audio_size"] == 4044 and "unit" not in data
    assert list(data) == sorted(data)


def test_audio_available_sizes() -> None:
    undecodable = rec("audio.json")
    assert events.audio_available(undecodable, call_id=1, sysid="s")["audio_size"] == 0
    assert (
        events.audio_available(undecodable, call_id=1, sysid="s", audio_size=77, tr_call_id="t")[
            "audio_size"
        ]
        == 77
    )
    payload = json.loads((FIXTURES / "extra/audio_valid_wav.json").read_text())
    payload["call"]["audio_m4a_base64"] = base64.b64encode(b"m4a!").decode()
    (audio,) = normalise("feeds/audio", json.dumps(payload))
    assert events.audio_available(audio, call_id=1, sysid="s")["audio_size"] == 4


def test_audio_available_external() -> None:
    data = events.audio_available_external(
        rec("call_end.json"), call_id=2, sysid="555", audio_size=1000
    )
    assert data == {
        "call_id": 2,
        "tr_call_id": "3_401_1701185024",
        "talkgroup": 401,
        "talkgroup_alpha_tag": "DISP 1",
        "system": "p25trunk",
        "sysid": "555",
        "audio_size": 1000,
        "duration": 0.36,
    }


@pytest.mark.parametrize(
    ("name", "talkgroup"),
    [
        ("unit_on.json", 0),
        ("unit_off.json", 0),
        ("unit_ackresp.json", 0),
        ("unit_data.json", 0),
        ("unit_join.json", 401),
        ("unit_call.json", 301),
        ("unit_end.json", 401),
        ("unit_location.json", 23507),
        ("unit_ans_req.json", 12582912),
    ],
)
def test_unit_event(name: str, talkgroup: int) -> None:
    unit = rec(name)
    data = events.unit_event(unit, sysid="555")
    assert data == {
        "unit": unit.unit,
        "unit_tag": unit.unit_alpha_tag,
        "event_type": unit.event_type,
        "talkgroup": talkgroup,
        "system": unit.sys_name,
        "sysid": "555",
    }
    assert list(data) == sorted(data)


def test_call_alert_unit_event_names_the_target() -> None:
    payload = {
        "type": "call_alert",
        "call_alert": {
            "sys_num": 1,
            "sys_name": "pscsite4",
            "unit": 4810011,
            "target_unit": 4811289,
        },
        "timestamp": 1712789072,
        "instance_id": "trunk-recorder",
    }
    (alert,) = normalise("units/pscsite4/call_alert", json.dumps(payload).encode())
    data = events.unit_event(alert, sysid="pscsite4")
    assert data == {
        "unit": 4810011,
        "unit_tag": "",
        "event_type": "call_alert",
        "talkgroup": 0,
        "target_unit": 4811289,
        "system": "pscsite4",
        "sysid": "pscsite4",
    }
    assert list(data) == sorted(data)


def test_rate_update() -> None:
    data = events.rate_update(rec("rates.json"), sysid="555")
    assert data == {
        "system": "p25trunk",
        "sysid": "555",
        "decode_rate": 39.67,
        "max_rate": 40,
        "control_channel": 774581250,
    }


def test_system_update_uses_effective_sysid() -> None:
    p25con, con, trunk = normalise("feeds/systems", (FIXTURES / "systems.json").read_bytes())
    assert events.system_update(trunk) == {
        "system": "p25trunk",
        "system_type": "p25",
        "sysid": "555",
    }
    assert events.system_update(p25con)["sysid"] == "p25con"  # "0" means no sysid
    assert events.system_update(con)["sysid"] == "con"


@pytest.mark.parametrize(
    ("sysid", "name", "expected"),
    [("555", "a", "555"), ("", "a", "a"), ("0", "a", "a"), (None, "a", "a"), ("00", "a", "00")],
)
def test_effective_sysid(sysid: str | None, name: str, expected: str) -> None:
    assert effective_sysid(sysid, name) == expected


def test_recorder_update() -> None:
    data = events.recorder_update(rec("recorder.json"), recorder_id=8)
    assert data == {
        "recorder_id": 8,
        "rec_num": 16,
        "src_num": 4,
        "rec_type": "P25",
        "state": 4,
        "rec_state_type": "IDLE",
        "freq": 852200000,
        "count": 3563,
        "duration": 21182.1,
        "squelched": False,
    }
    assert list(data) == sorted(data)


def test_recorder_update_with_active_call() -> None:
    data = events.recorder_update(
        rec("recorders.json"), recorder_id=1, active_call=rec("calls_active.json").calls[0]
    )
    assert {k: data[k] for k in ("tgid", "tg_alpha_tag", "unit_id", "unit_alpha_tag")} == {
        "tgid": 4011,
        "tg_alpha_tag": "Bus 1",
        "unit_id": 899003,
        "unit_alpha_tag": "Trans 9003",
    }
    assert list(data) == sorted(data)


def test_filter_fields_per_event_match_the_spec_table() -> None:
    """tr-engine.md §1.8: which of system/talkgroup/unit each emitted event carries."""
    built = {
        "call_start": events.call_start(rec("call_start.json"), call_id=1, sysid="s"),
        "call_end": events.call_end(rec("call_end.json"), call_id=1, sysid="s"),
        "call_end_synth": events.call_end_synthesised(
            call_id=1,
            talkgroup=1,
            system="a",
            sysid="s",
            duration=1,
            encrypted=False,
            emergency=False,
        ),
        "audio_available": events.audio_available(rec("audio.json"), call_id=1, sysid="s"),
        "unit_event": events.unit_event(rec("unit_on.json"), sysid="s"),
        "rate_update": events.rate_update(rec("rates.json"), sysid="s"),
        "recorder_update": events.recorder_update(
            rec("recorder.json"), recorder_id=1, active_call=rec("call_start.json")
        ),
        "system_update": events.system_update(rec("system.json")),
    }
    carried = {
        name: tuple(k in data for k in ("system", "talkgroup", "unit"))
        for name, data in built.items()
    }
    assert carried == {
        "call_start": (True, True, True),
        "call_end": (True, True, True),
        "call_end_synth": (True, True, False),
        "audio_available": (True, True, False),
        "unit_event": (True, True, True),
        "rate_update": (True, False, False),
        "recorder_update": (False, False, False),
        "system_update": (True, False, False),
    }
    # so e.g. a units filter never excludes audio_available, and 0 is a real talkgroup
    session = Session()
    session.handle_text('{"action":"subscribe","channels":["*"],"units":[1],"talkgroups":[401]}', 0)
    assert session.wants("audio_available", {**built["audio_available"], "talkgroup": 401})
    assert not session.wants("unit_event", built["unit_event"])  # talkgroup 0, unit 806308
    assert session.wants("recorder_update", built["recorder_update"])


def test_payloads_are_json_serialisable() -> None:
    for data in (
        events.call_end(rec("call_end.json"), call_id=1, sysid="s"),
        events.unit_event(rec("unit_call.json"), sysid="s"),
    ):
        assert json.loads(json.dumps(events.envelope("e", data, 1))) == {
            "event": "e",
            "timestamp": 1,
            "data": data,
        }
