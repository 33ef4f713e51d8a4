"""normalise(): older plugin output (every value a string, ``""`` for what it lacks, older
key names), heartbeat, call_alert and the ``tr_call_id`` rule."""

from __future__ import annotations

import json
from typing import Any

import pytest

from listenpost.radio.normalise import normalise
from listenpost.radio.records import (
    ActiveCalls,
    CallRecord,
    Heartbeat,
    RateRecord,
    Skipped,
    SystemInfo,
    UnitEventRecord,
)

# A call as the 4.5-era plugin wrote it: boost ptree JSON, so every value is a string and
# the recorder fields are "" while no recorder is assigned.
STRING_CALL: dict[str, Any] = {
    "id": "2_3029_1686700194",
    "call_num": "51684",
    "sys_num": "2",
    "sys_name": "p25trunk",
    "freq": "770331250",
    "unit": "849183",
    "unit_alpha_tag": "",
    "talkgroup": "3029",
    "talkgroup_alpha_tag": "Metro Police N",
    "elapsed": "0",
    "length": "0.00",
    "call_state": "0",
    "call_state_type": "MONITORING",
    "mon_state": "6",
    "mon_state_type": "DUPLICATE",
    "rec_num": "",
    "src_num": "",
    "rec_state": "",
    "rec_state_type": "",
    "phase2": "false",
    "analog": "",
    "conventional": "false",
    "encrypted": "true",
    "emergency": "0",
    "start_time": "1686700194",
    "stop_time": "",
}


def records(topic: str, payload: Any) -> list[Any]:
    return normalise(topic, json.dumps(payload))


def one(topic: str, payload: Any) -> Any:
    out = records(topic, payload)
    assert len(out) == 1
    return out[0]


def envelope(msg_type: str, key: str, body: Any) -> dict[str, Any]:
    return {key: body, "type": msg_type, "timestamp": "1686700194", "instance_id": "east"}


# ---------------------------------------------------------------- the one string rule


def test_string_call_start_is_accepted() -> None:
    rec = one("feeds/call_start", envelope("call_start", "call", STRING_CALL))
    assert isinstance(rec, CallRecord)
    assert (rec.talkgroup, rec.freq, rec.unit, rec.call_num) == (3029, 770331250, 849183, 51684)
    assert (rec.rec_num, rec.src_num, rec.rec_state, rec.stop_time) == (None, None, None, None)
    assert rec.analog is False and rec.encrypted is True and rec.emergency is False
    assert rec.length == 0.0 and rec.start_time == 1686700194.0 and rec.timestamp == 1686700194.0


@pytest.mark.parametrize("blank", ["", " ", "\t"])
@pytest.mark.parametrize(
    "key", ["analog", "rec_num", "freq", "length", "start_time", "signal", "emergency"]
)
def test_blank_string_reads_as_absent(key: str, blank: str) -> None:
    call = dict(STRING_CALL, **{key: blank})
    rec = one("feeds/call_start", envelope("call_start", "call", call))
    absent = one("feeds/call_start", envelope("call_start", "call", {**call, key: None}))
    assert rec == absent


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("false", False), ("1", True), ("0", False), (" TRUE ", True)],
)
def test_flag_spellings(value: str, expected: bool) -> None:
    rec = one("feeds/call_start", envelope("call_start", "call", dict(STRING_CALL, analog=value)))
    assert rec.analog is expected


def test_blank_required_field_is_missing_not_bad() -> None:
    from listenpost.radio._fields import NormaliseError

    with pytest.raises(NormaliseError) as err:
        records("feeds/call_start", envelope("call_start", "call", dict(STRING_CALL, talkgroup="")))
    assert err.value.kind == "missing_field" and "talkgroup" in err.value.message


def test_string_calls_active_snapshot_is_accepted() -> None:
    calls = [STRING_CALL, dict(STRING_CALL, id="2_3030_1686700195", talkgroup="3030")]
    snap = one("feeds/calls_active", envelope("calls_active", "calls", calls))
    assert isinstance(snap, ActiveCalls)
    assert [c.talkgroup for c in snap.calls] == [3029, 3030]


@pytest.mark.parametrize("key", ["calls", "rates", "recorders", "systems"])
def test_empty_array_written_as_empty_string(key: str) -> None:
    """boost ptree writes an empty array as ``""``: no calls now, no rates, ..."""
    msg_type = {"calls": "calls_active"}.get(key, key)
    out = records(f"feeds/{msg_type}", envelope(msg_type, key, ""))
    if key == "calls":
        assert out == [ActiveCalls(instance_id="east", timestamp=1686700194.0, calls=())]
    else:
        assert out == []


def test_empty_string_lists_inside_a_call() -> None:
    call = dict(STRING_CALL, freqList="", srcList="")
    rec = one("feeds/call_end", envelope("call_end", "call", call))
    assert rec.freq_list == () and rec.src_list == ()


# ---------------------------------------------------------------- one bad entry


def test_one_bad_entry_does_not_reject_the_snapshot() -> None:
    bad = dict(STRING_CALL, id="2_1_1", talkgroup="not-a-number")
    calls = [STRING_CALL, bad, dict(STRING_CALL, id="2_3030_1686700195", talkgroup="3030")]
    snap = one("feeds/calls_active", envelope("calls_active", "calls", calls))
    assert [c.talkgroup for c in snap.calls] == [3029, 3030]
    assert len(snap.rejected) == 1
    assert snap.rejected[0].kind == "bad_field"
    assert "calls_active.calls[1].talkgroup" in snap.rejected[0].message


def test_non_object_entry_is_skipped_too() -> None:
    snap = one("feeds/calls_active", envelope("calls_active", "calls", [STRING_CALL, 7]))
    assert len(snap.calls) == 1 and len(snap.rejected) == 1


# ---------------------------------------------------------------- older system/rates


def test_older_system_message_with_id_and_name() -> None:
    body = {"id": "0", "name": "metro", "type": "p25", "sysid": "3A1", "wacn": "BEE00", "nac": ""}
    rec = one("feeds/system", envelope("system", "system", body))
    assert isinstance(rec, SystemInfo)
    assert (rec.sys_num, rec.sys_name, rec.system_type, rec.sysid) == (0, "metro", "p25", "3A1")


def test_older_systems_message_with_id_and_name() -> None:
    body = [{"id": "0", "name": "metro", "type": "p25"}, {"id": "1", "name": "county"}]
    out = records("feeds/systems", envelope("systems", "systems", body))
    assert [(r.sys_num, r.sys_name) for r in out] == [(0, "metro"), (1, "county")]


def test_rates_with_short_name_or_without_a_name() -> None:
    body = [
        {"id": "0", "decoderate": "40.00", "shortName": "metro"},
        {"id": "1", "decoderate": "12.33"},
    ]
    out = records("feeds/rates", envelope("rates", "rates", body))
    assert isinstance(out[0], RateRecord)
    assert (out[0].sys_num, out[0].sys_name, out[0].decode_rate) == (0, "metro", 40.0)
    assert isinstance(out[1], Skipped) and "rates[1]" in out[1].reason


# ---------------------------------------------------------------- heartbeat


def test_heartbeat_is_a_record() -> None:
    payload = {"type": "heartbeat", "timestamp": 1712789072, "instance_id": "east"}
    rec = one("feeds/heartbeat", payload)
    assert rec == Heartbeat(instance_id="east", timestamp=1712789072.0)
    assert rec.raw == payload


def test_heartbeat_by_topic_without_type() -> None:
    rec = one("tr/feeds/heartbeat", {"timestamp": "1712789072", "instance_id": "east"})
    assert isinstance(rec, Heartbeat) and rec.timestamp == 1712789072.0


def test_heartbeat_with_nested_body() -> None:
    body = {"uptime": 12, "instance_id": "west"}
    rec = one("feeds/heartbeat", {"type": "heartbeat", "heartbeat": body, "timestamp": 5})
    assert isinstance(rec, Heartbeat) and rec.instance_id == "west"


# ---------------------------------------------------------------- call_alert

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


def test_call_alert_is_a_unit_event_with_a_target() -> None:
    rec = one("tr/units/pscsite4/call_alert", CALL_ALERT)
    assert isinstance(rec, UnitEventRecord)
    assert (rec.event_type, rec.sys_name, rec.unit, rec.target_unit) == (
        "call_alert",
        "pscsite4",
        4810011,
        4811289,
    )
    assert rec.talkgroup is None and rec.instance_id == "trunk-recorder"


def test_call_alert_type_from_topic() -> None:
    payload = {k: v for k, v in CALL_ALERT.items() if k != "type"}
    rec = one("tr/units/pscsite4/call_alert", payload)
    assert rec.event_type == "call_alert" and rec.target_unit == 4811289


# ---------------------------------------------------------------- tr_call_id


@pytest.mark.parametrize("value", ["", None, "  "])
def test_missing_call_id_is_derived_like_trunk_recorder(value: Any) -> None:
    call = dict(STRING_CALL, id=value)
    rec = one("feeds/call_end", envelope("call_end", "call", call))
    assert rec.tr_call_id == "2_3029_1686700194"


def test_call_id_without_enough_to_derive_is_empty() -> None:
    call = {k: v for k, v in STRING_CALL.items() if k not in ("id", "start_time", "sys_num")}
    rec = one("feeds/call_end", envelope("call_end", "call", call))
    assert rec.tr_call_id == ""


def test_plugin_call_id_is_kept() -> None:
    rec = one("feeds/call_start", envelope("call_start", "call", dict(STRING_CALL, id="x_y")))
    assert rec.tr_call_id == "x_y"


def test_a_snapshot_entry_that_is_not_an_object_is_rejected_alone() -> None:
    snap = one("feeds/calls_active", envelope("calls_active", "calls", [1]))
    assert snap.calls == () and snap.rejected[0].kind == "bad_field"
    assert snap.rejected[0].topic == "feeds/calls_active"


@pytest.mark.parametrize("digits", ["9" * 5000, "-" + "9" * 5000])
def test_numeric_string_too_long_to_convert_is_a_bad_field(digits: str) -> None:
    from listenpost.radio._fields import NormaliseError

    with pytest.raises(NormaliseError) as err:
        records("feeds/call_start", envelope("call_start", "call", dict(STRING_CALL, freq=digits)))
    assert err.value.kind == "bad_field" and "call.freq" in err.value.message


def test_config_channels_skip_entries_not_sent() -> None:
    body = {"systems": [{"sys_name": "metro", "channels": [None, "", "774581250", 851.5e6]}]}
    rec = one("feeds/config", envelope("config", "config", body))
    assert rec.systems[0].channels == (774581250, 851500000)


# ---------------------------------------------------------------- the rule, whole messages


def _as_ptree(value: Any) -> Any:
    """How boost ptree writes a value: every scalar a string, an empty array ``""``."""
    if isinstance(value, dict):
        return {k: _as_ptree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_ptree(v) for v in value] if value else ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _shared() -> list[tuple[str, str, bytes]]:
    from corpus import corpus_messages, shared_messages

    return corpus_messages() + shared_messages()


@pytest.mark.parametrize(("source", "topic", "payload"), _shared(), ids=[m[0] for m in _shared()])
def test_every_real_message_reads_the_same_written_as_strings(
    source: str, topic: str, payload: bytes
) -> None:
    typed = normalise(topic, payload)
    as_strings = normalise(topic, json.dumps(_as_ptree(json.loads(payload))))
    assert as_strings == typed
