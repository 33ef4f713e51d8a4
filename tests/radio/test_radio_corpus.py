"""Real trunk-recorder output (tests/fixtures/trunk-recorder, every plugin generation) is
read, never refused: each message normalises with no NormaliseError and no rejected
calls_active entry, and the values the plugin sent come through."""

from __future__ import annotations

import pytest
from corpus import corpus_messages, shared_messages

from listenpost.radio.normalise import normalise
from listenpost.radio.records import (
    ActiveCalls,
    AudioRecord,
    CallRecord,
    Heartbeat,
    RateRecord,
    Skipped,
    SystemInfo,
    UnitEventRecord,
)

MESSAGES = corpus_messages()
ALL = MESSAGES + shared_messages()


def test_the_corpus_covers_every_plugin_generation() -> None:
    files = {source.split(":")[0] for source, _, _ in MESSAGES}
    assert len(MESSAGES) >= 30 and len(files) >= 5


@pytest.mark.parametrize(("source", "topic", "payload"), ALL, ids=[m[0] for m in ALL])
def test_real_output_is_never_refused(source: str, topic: str, payload: bytes) -> None:
    records = normalise(topic, payload)
    assert records
    for rec in records:
        if isinstance(rec, ActiveCalls):
            assert rec.rejected == (), rec.rejected
        if isinstance(rec, Skipped):  # only the first plugin's nameless rates entries
            assert "names no system" in rec.reason, rec


def _records(name: str) -> list[object]:
    return [r for s, t, p in MESSAGES if s.startswith(name) for r in normalise(t, p)]


def test_string_valued_plugin_values() -> None:
    recs = _records("taclane-4.5-strings.jsonl")
    start = next(r for r in recs if isinstance(r, CallRecord) and r.kind == "start")
    assert (start.talkgroup, start.freq, start.call_num, start.unit) == (
        3029,
        770331250,
        51684,
        849183,
    )
    assert (start.rec_num, start.src_num, start.analog) == (None, None, False)
    assert start.start_time == 1686700194.0 and start.tr_call_id == "2_3029_1686700194"
    end = next(r for r in recs if isinstance(r, CallRecord) and r.kind == "end")
    assert (end.sys_name, end.talkgroup, end.length, end.phase2_tdma) == (
        "p25trunk",
        4012,
        17.6,
        True,
    )
    assert end.tr_call_id == ""  # this call_end carries neither id nor sys_num
    rates = [r for r in recs if isinstance(r, RateRecord)]
    assert [(r.sys_name, r.decode_rate) for r in rates] == [
        ("p25trunk", 39.67),
        ("p25trunk2", 35.0),
    ]


def test_first_plugin_generation_values() -> None:
    recs = _records("trunk-recorder-status-json.jsonl")
    systems = [r for r in recs if isinstance(r, SystemInfo)]
    assert [(s.sys_num, s.sys_name, s.sysid) for s in systems][:2] == [
        (0, "SYS 1", "123"),
        (1, "SYS 2", "0"),
    ]
    snap = next(r for r in recs if isinstance(r, ActiveCalls))
    assert [(c.sys_name, c.talkgroup, c.talkgroup_alpha_tag, c.start_time) for c in snap.calls] == [
        ("SYS 2", 1, "TG 05", 1515574626.0),
        ("SYS 1", 1001, "TG 77", 1515574637.0),
    ]
    assert snap.calls[0].freq_list == () and snap.calls[1].freq_list[0].freq == 419000000
    skipped = [r.reason for r in recs if isinstance(r, Skipped)]
    assert skipped == [
        "rates.rates[0] names no system (sys_num only)",
        "rates.rates[1] names no system (sys_num only)",
    ]


def test_heartbeat_and_call_alert_from_the_current_plugin() -> None:
    recs = _records("tr-plugin-mqtt-current.jsonl")
    assert recs[0] == Heartbeat(instance_id="trunk-recorder", timestamp=1790698777.0)
    alert = recs[1]
    assert isinstance(alert, UnitEventRecord)
    assert (alert.event_type, alert.unit, alert.target_unit) == ("call_alert", 4810011, 4811289)


def test_audio_with_millisecond_fields() -> None:
    (audio,) = _records("trunk-recorder-pr1118-audio.jsonl")
    assert isinstance(audio, AudioRecord)
    assert (audio.sys_name, audio.talkgroup, audio.length, audio.audio) == (
        "AnyName",
        27,
        10.0,
        None,
    )
