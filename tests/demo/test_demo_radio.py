"""The demo's pure radio side: the fixture script, retiming and the generated call audio."""

from __future__ import annotations

import base64
import io
import itertools
import json
import random
import types
import wave
from typing import Any

import pytest

from listenpost.demo import wav as wav_module
from listenpost.demo.fixture_files import load
from listenpost.demo.radio import BOOTSTRAP, CYCLE, RadioScript, Step, topic_for
from listenpost.demo.retime import retime
from listenpost.demo.wav import RATE, call_wav
from listenpost.radio.normalise import normalise
from listenpost.radio.records import AudioRecord, CallRecord

T0 = 1_800_000_000.0


def _script(seed: int = 1, prefix: str = "") -> RadioScript:
    return RadioScript(load(), random.Random(seed), prefix)


def _cycles(n: int, seed: int = 1) -> list[list[Step]]:
    script = _script(seed)
    return [script.cycle(k, T0 + k * CYCLE) for k in range(n)]


def _of(steps: list[Step], kind: str) -> list[dict[str, Any]]:
    return [s.payload for s in steps if s.payload.get("type") == kind]


def test_every_message_is_one_the_ingest_reads() -> None:
    for steps in _cycles(3):
        for step in steps:
            records = normalise(step.topic, json.dumps(step.payload).encode())
            assert records, step.topic


def test_steps_are_ordered_and_stay_inside_their_cycle() -> None:
    for k, steps in enumerate(_cycles(4)):
        times = [s.at for s in steps]
        assert times == sorted(times)
        assert T0 + k * CYCLE <= times[0] and times[-1] < T0 + (k + 1) * CYCLE
        for step in steps:  # every message says when it was sent: now, not 2023
            stamp = step.payload.get("timestamp")
            assert stamp is None or int(stamp) == int(step.at)


def test_the_bootstrap_messages_open_only_the_first_cycle() -> None:
    first, second = _cycles(2)
    kinds = [s.payload.get("type", "status") for s in first[: len(BOOTSTRAP)]]
    assert kinds == ["status", "config", "systems", "system"]
    assert not {"config", "systems"} & {s.payload.get("type") for s in second}


def test_each_call_starts_ends_and_has_matching_audio_with_fresh_ids() -> None:
    cycles = _cycles(3)
    ids, nums = [], []
    for steps in cycles:
        starts, ends = _of(steps, "call_start"), _of(steps, "call_end")
        audio = {a["call"]["metadata"]["start_time"]: a for a in _of(steps, "audio")}
        assert len(starts) == len(ends) == 4
        for start, end in zip(starts, ends, strict=True):
            call = start["call"]
            assert (
                end["call"]["id"]
                == call["id"]
                == f"{call['sys_num']}_{call['talkgroup']}_{call['start_time']}"
            )
            assert end["call"]["stop_time"] > call["start_time"]
            ids.append(call["id"])
            nums.append(call["call_num"])
            if call["encrypted"]:
                assert call["start_time"] not in audio  # nothing to hear
                continue
            md = audio[call["start_time"]]["call"]["metadata"]
            assert (md["short_name"], md["talkgroup"]) == (call["sys_name"], call["talkgroup"])
            record = normalise("feeds/audio", json.dumps(audio[call["start_time"]]).encode())[0]
            assert isinstance(record, AudioRecord) and record.wav
            with wave.open(io.BytesIO(record.wav)) as w:
                seconds = w.getnframes() / w.getframerate()
            assert seconds == pytest.approx(end["call"]["length"], abs=0.01)
    assert len(set(ids)) == len(ids) == 12
    assert len(set(nums)) == 12


def test_snapshots_list_the_calls_on_the_air_at_that_moment() -> None:
    steps = _cycles(1)[0]
    calls = [
        (c["call"]["id"], c["call"]["start_time"], e["call"]["stop_time"])
        for c, e in zip(_of(steps, "call_start"), _of(steps, "call_end"), strict=True)
    ]
    listed_any = False
    for step in steps:
        if step.payload.get("type") != "calls_active":
            continue
        listed = {c["id"] for c in step.payload["calls"]}
        on_air = {i for i, a, b in calls if a <= step.at < b}
        assert listed <= on_air | {i for i, a, b in calls if int(step.at) == b}
        listed_any |= bool(listed)
        records = normalise(step.topic, json.dumps(step.payload).encode())
        assert all(isinstance(c, CallRecord) for c in records[0].calls)
    assert listed_any


def test_recorders_record_during_a_call_and_idle_after() -> None:
    steps = _cycles(1)[0]
    states = [
        s.payload["recorder"]["rec_state_type"]
        for s in steps
        if s.payload.get("type") == "recorder"
    ]
    assert states == ["RECORDING", "IDLE"] * 4
    counts = [r["count"] for r in _of(_cycles(2)[1], "recorders")[0]["recorders"]]
    assert counts == [75, 3565]  # the fixtures' counts, plus the first cycle's two calls each


def test_emergency_and_encrypted_calls_come_round() -> None:
    calls = [c["call"] for steps in _cycles(6) for c in _of(steps, "call_start")]
    assert any(c["emergency"] for c in calls) and any(c["encrypted"] for c in calls)
    assert sum(c["emergency"] or c["encrypted"] for c in calls) < len(calls) / 3


def test_decode_rates_move_a_little_below_the_fixture_rates() -> None:
    rates = [
        r["decoderate"] for steps in _cycles(2) for m in _of(steps, "rates") for r in m["rates"]
    ]
    assert len(set(rates)) > 10
    assert all(31.0 <= rate <= 39.67 for rate in rates)


def test_steps_go_on_forever_under_a_topic_prefix() -> None:
    steps = list(itertools.islice(_script(prefix="/demo1/").steps(T0), 300))
    assert steps[-1].at > T0 + 2 * CYCLE
    assert all(s.topic.startswith("demo1/") for s in steps)
    assert topic_for({"type": "on", "on": {"sys_name": "p25trunk"}}) == "units/p25trunk/on"
    assert (
        topic_for({"type": "message", "message": {"sys_name": "x"}}, "a") == "a/messages/x/message"
    )
    assert topic_for({"client_id": "tr"}, "") == "feeds/trunk_recorder/status"
    assert topic_for({"type": "heartbeat"}) == "feeds/trunk_recorder/heartbeat"
    assert topic_for({"type": "rates"}, "/") == "feeds/rates"


def test_retime_moves_every_time_and_keeps_its_json_type() -> None:
    message = {
        "type": "x",
        "timestamp": "1000",
        "x": {
            "start_time": 990,
            "stop_time": "995.5",
            "start_time_ms": 990_250,
            "time": "2023-08-07T12:07:06.327966",
            "items": [{"time": 991}],
            "length": 5,
            "tag": None,
            "flag": True,
            "when": "",
            "other": "soon",
        },
    }
    moved = retime(message, 2000.9)
    x = moved["x"]
    assert moved["timestamp"] == "2000"
    assert (x["start_time"], x["stop_time"], x["start_time_ms"]) == (1990, "1995.5", 1_990_250)
    assert x["time"] == "2023-08-07T12:23:46.327966"
    assert x["items"] == [{"time": 1991}]
    assert (x["length"], x["tag"], x["flag"], x["when"], x["other"]) == (5, None, True, "", "soon")
    assert message["x"]["start_time"] == 990  # a copy
    for key, value in (("time", True), ("time", "noon"), ("time", None), ("time", 12.0)):
        assert retime({"timestamp": 1, "y": {key: value}}, 11)["y"][key] == (
            value + 10 if value == 12.0 else value
        )
    status = {"client_id": "tr-status", "status": "connected"}
    assert retime(status, 5) == status
    assert retime({"timestamp": "later", "start_time": 3}, 5) == {
        "timestamp": "later",
        "start_time": 3,
    }


def test_call_audio_is_a_short_wav_of_the_asked_length() -> None:
    data = call_wav(2.5, 3001)
    with wave.open(io.BytesIO(data)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, RATE)
        assert w.getnframes() == int(2.5 * RATE)
        frames = w.readframes(w.getnframes())
    assert len(set(frames)) > 100  # not silence
    assert call_wav(2.5, 3001) is data  # cached
    assert call_wav(0.0, 1) == call_wav(0.2, 1) != call_wav(0.2, 2)
    assert base64.b64encode(data)


def test_call_audio_is_little_endian_on_any_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    little = call_wav(0.3, 77)
    call_wav.cache_clear()
    monkeypatch.setattr(wav_module, "sys", types.SimpleNamespace(byteorder="big"))
    swapped = call_wav(0.3, 77)
    call_wav.cache_clear()
    assert swapped[44:] != little[44:]
    assert swapped[44:46] == little[45:43:-1]  # each sample's two bytes exchanged


def test_the_package_carries_every_fixture_the_script_uses() -> None:
    fixtures = load()
    assert {"call_start", "call_end", "calls_active", "audio", "heartbeat", *BOOTSTRAP} <= set(
        fixtures
    )
    assert fixtures["audio"]["call"]["audio_wav_base64"] == ""
