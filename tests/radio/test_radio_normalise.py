"""normalise(): every fixture, every documented quirk, and errors that never escape."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from listenpost.radio.normalise import UNIT_TYPES, normalise
from listenpost.radio.records import (
    ActiveCalls,
    AudioRecord,
    CallRecord,
    ConfigRecord,
    ConsoleLine,
    PluginStatus,
    RateRecord,
    RecorderState,
    SystemInfo,
    TrunkMessage,
    UnitEventRecord,
)

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "trunk-recorder-mqtt"


def _topics() -> dict[str, str]:
    topics = json.loads((FIXTURES / "topics.json").read_text())
    extra = json.loads((FIXTURES / "extra" / "topics.json").read_text())
    topics.update({f"extra/{name}": topic for name, topic in extra.items()})
    return topics


TOPICS = _topics()


def raw(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def obj(name: str) -> dict[str, Any]:
    return json.loads(raw(name))


def one(name: str, topic: str | None = None, payload: Any = None) -> Any:
    body = raw(name) if payload is None else json.dumps(payload)
    records = normalise(topic or TOPICS[name], body)
    assert len(records) == 1
    return records[0]


# ---------------------------------------------------------------- every fixture

EXPECTED_TYPES: dict[str, tuple[type, int]] = {
    "plugin_status.json": (PluginStatus, 1),
    "config.json": (ConfigRecord, 1),
    "systems.json": (SystemInfo, 3),
    "system.json": (SystemInfo, 1),
    "rates.json": (RateRecord, 2),
    "recorders.json": (RecorderState, 1),
    "recorder.json": (RecorderState, 1),
    "calls_active.json": (ActiveCalls, 1),
    "call_start.json": (CallRecord, 1),
    "call_end.json": (CallRecord, 1),
    "audio.json": (AudioRecord, 1),
    "trunking_message.json": (TrunkMessage, 1),
    "console.json": (ConsoleLine, 1),
    "extra/audio_valid_wav.json": (AudioRecord, 1),
    "extra/unit_call_int_timestamp.json": (UnitEventRecord, 1),
    **{f"unit_{t}.json": (UnitEventRecord, 1) for t in UNIT_TYPES - {"call_alert"}},
}


def test_every_fixture_is_covered() -> None:
    on_disk = {p.name for p in FIXTURES.glob("*.json")} - {"topics.json"}
    on_disk |= {f"extra/{p.name}" for p in (FIXTURES / "extra").glob("*.json")} - {
        "extra/topics.json"
    }
    assert on_disk == set(TOPICS) == set(EXPECTED_TYPES)


@pytest.mark.parametrize("name", sorted(TOPICS))
def test_fixture_parses_to_expected_records(name: str) -> None:
    kind, count = EXPECTED_TYPES[name]
    records = normalise(TOPICS[name], raw(name))
    assert len(records) == count
    assert all(type(r) is kind for r in records)
    # str and bytes payloads give the same result
    assert normalise(TOPICS[name], raw(name).decode()) == records


@pytest.mark.parametrize("name", sorted(n for n in TOPICS if n != "plugin_status.json"))
def test_dispatch_is_by_type_not_topic(name: str) -> None:
    assert "type" in obj(name)
    assert normalise("some/other/topic", raw(name)) == normalise(TOPICS[name], raw(name))


def test_plugin_status() -> None:
    rec = one("plugin_status.json")
    assert rec == PluginStatus(
        instance_id="east-antenna", client_id="tr-status", status="connected", timestamp=None
    )
    # detected by its keys on a topic that names nothing
    assert normalise("elsewhere/x", raw("plugin_status.json")) == [rec]


def test_config() -> None:
    rec = one("config.json")
    assert rec.instance_id == "east-antenna" and rec.timestamp == 1686400353.0
    assert rec.instance_key == "" and rec.capture_dir == "/dev/shm/trunk-recorder"
    assert rec.upload_server == "https://api.openmhz.com" and rec.call_timeout == 3.0
    (src,) = rec.sources
    assert (src.source_num, src.center, src.rate, src.driver, src.device, src.gain) == (
        0,
        772906250,
        2400000,
        "osmosdr",
        "rtl=03",
        32.0,
    )
    assert (src.min_hz, src.max_hz, src.digital_recorders) == (771756250, 774056250, 5)
    assert [(s.sys_num, s.sys_name, s.system_type) for s in rec.systems] == [
        (0, "p25con", "conventionalP25"),
        (1, "con", "conventional"),
        (2, "p25trunk", "p25"),
    ]
    assert rec.systems[0].channels == () and rec.systems[0].control_channel is None
    assert rec.systems[2].channels == (774581250, 772431250, 773456250, 774031250)
    assert rec.systems[2].control_channel == 774581250
    assert rec.systems[2].talkgroups_file == "p25/trunk.csv"
    assert rec.raw["call_timeout"] == 3


def test_systems_and_system() -> None:
    systems = normalise(TOPICS["systems.json"], raw("systems.json"))
    assert [(s.sys_num, s.sys_name, s.system_type, s.sysid) for s in systems] == [
        (0, "p25con", "conventionalP25", "0"),
        (1, "con", "conventional", "0"),
        (2, "p25trunk", "p25", "555"),
    ]
    assert [s.effective_sysid for s in systems] == ["p25con", "con", "555"]
    rec = one("system.json")
    assert rec == SystemInfo(
        instance_id="east-antenna",
        timestamp=1686146741.0,
        sys_num=3,
        sys_name="p25trunk",
        system_type="p25",
        sysid="555",
        wacn="BBBBB",
        nac="BCC",
        rfss=1,
        site_id=7,
    )


def test_rates() -> None:
    a, b = normalise(TOPICS["rates.json"], raw("rates.json"))
    assert a == RateRecord(
        instance_id="east-antenna",
        timestamp=1686699024.0,
        sys_num=2,
        sys_name="p25trunk",
        decode_rate=39.67,
        decode_rate_interval=3.0,
        control_channel=774581250,
    )
    assert (b.sys_name, b.decode_rate, b.control_channel) == ("p25trunk2", 35.0, 853750000)


def test_recorders_and_recorder() -> None:
    (snap,) = normalise(TOPICS["recorders.json"], raw("recorders.json"))
    assert snap == RecorderState(
        instance_id="east-antenna",
        timestamp=1686699405.0,
        snapshot=True,
        tr_recorder_id="0_19",
        src_num=0,
        rec_num=19,
        rec_type="P25C",
        freq=457750000,
        duration=706.5,
        count=73,
        rec_state=4,
        rec_state_type="IDLE",
        squelched=False,
    )
    single = one("recorder.json")
    assert single.snapshot is False and single.tr_recorder_id == "4_16"
    assert (single.src_num, single.rec_num, single.rec_type, single.freq) == (
        4,
        16,
        "P25",
        852200000,
    )
    assert (single.duration, single.count, single.rec_state) == (21182.1, 3563, 4)


def test_call_start() -> None:
    rec = one("call_start.json")
    assert rec.kind == "start" and rec.tr_call_id == "2_3029_1686700194"
    assert (rec.sys_num, rec.sys_name, rec.talkgroup, rec.freq) == (2, "p25trunk", 3029, 770331250)
    assert (rec.talkgroup_alpha_tag, rec.talkgroup_tag, rec.talkgroup_group) == (
        "Metro Police N",
        "Law Dispatch",
        "Metro Police",
    )
    assert rec.talkgroup_description == "Metro Dispatch North"
    assert (rec.unit, rec.unit_alpha_tag) == (849183, "Metro Dispatch")
    assert rec.start_time == rec.stop_time == rec.timestamp == 1686700194.0
    assert (rec.call_state, rec.call_state_type, rec.mon_state) == (0, "MONITORING", 6)
    assert rec.phase2_tdma is False and rec.encrypted is False and rec.emergency is False
    assert rec.audio_type == "digital" and rec.rec_num == -1 and rec.rec_state_type == ""
    assert rec.signal is None and rec.error_count is None and rec.call_filename is None
    assert rec.raw["call_num"] == 51684


def test_call_end_signal_noise_sentinel() -> None:
    rec = one("call_end.json")
    assert rec.kind == "end" and rec.tr_call_id == "3_401_1701185024"
    assert rec.signal is None and rec.noise is None  # 999 = unknown
    assert (rec.length, rec.error_count, rec.spike_count, rec.freq_error) == (0.36, 0, 0, -40)
    assert rec.phase2_tdma is True and rec.tdma_slot == 1
    assert rec.process_call_time == 1701185029.0 and rec.retry_attempt == 0
    assert rec.call_filename and rec.call_filename.endswith("call_106.m4a")
    assert (rec.call_state, rec.rec_state, rec.rec_state_type) == (-1, 6, "STOPPED")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (999, None),
        (-999, None),
        (900, None),
        (999.0, None),
        (-23, -23.0),
        (0, 0.0),
        (-899.5, -899.5),
        (None, None),
    ],
)
def test_signal_noise_values(value: Any, expected: float | None) -> None:
    payload = obj("call_end.json")
    payload["call"]["signal"] = value
    payload["call"]["noise"] = value
    rec = one("call_end.json", payload=payload)
    assert rec.signal == expected and rec.noise == expected


def test_calls_active_phase2_and_missing_start_time() -> None:
    snap = one("calls_active.json")
    assert snap.timestamp == 1686699330.0
    (call,) = snap.calls
    assert call.kind == "active" and call.phase2_tdma is True  # older "phase2" key
    assert call.start_time == 1686699318.0  # derived from the trunk-recorder call id
    assert (call.elapsed, call.length, call.rec_num, call.src_num) == (12.0, 7.48, 0, 1)
    assert call.timestamp == snap.timestamp and call.instance_id == "east-antenna"


def test_calls_active_empty_snapshot_is_a_record() -> None:
    payload = {"type": "calls_active", "calls": [], "timestamp": 5, "instance_id": "i"}
    assert normalise("feeds/calls_active", json.dumps(payload)) == [
        ActiveCalls(instance_id="i", timestamp=5.0, calls=())
    ]


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("phase2_tdma", True, True),
        ("phase2_tdma", False, False),
        ("phase2", True, True),
        ("phase2", 1, True),
        ("phase2_tdma", 0, False),
        ("phase2_tdma", "true", True),
    ],
)
def test_phase2_spellings(key: str, value: Any, expected: bool) -> None:
    payload = obj("call_start.json")
    del payload["call"]["phase2_tdma"]
    payload["call"][key] = value
    assert one("call_start.json", payload=payload).phase2_tdma is expected


def test_phase2_tdma_wins_over_phase2() -> None:
    payload = obj("call_start.json")
    payload["call"].update(phase2_tdma=False, phase2=True)
    assert one("call_start.json", payload=payload).phase2_tdma is False


def test_explicit_start_time_is_not_overridden_by_the_call_id() -> None:
    payload = obj("calls_active.json")
    payload["calls"][0]["start_time"] = 1686699300
    assert one("calls_active.json", payload=payload).calls[0].start_time == 1686699300.0
