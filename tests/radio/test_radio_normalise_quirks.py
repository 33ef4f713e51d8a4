"""normalise(): audio, unit messages, trunking/console messages and timestamp quirks."""

from __future__ import annotations

import base64
import json
import struct
from pathlib import Path
from typing import Any

import pytest

from listenpost.radio.normalise import UNIT_TYPES, normalise
from listenpost.radio.records import Skipped, UnitEventRecord

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "trunk-recorder-mqtt"


def raw(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def obj(name: str) -> dict[str, Any]:
    return json.loads(raw(name))


def one(topic: str, payload: Any) -> Any:
    body = payload if isinstance(payload, bytes) else json.dumps(payload)
    records = normalise(topic, body)
    assert len(records) == 1
    return records[0]


# ---------------------------------------------------------------- audio


def test_audio_undecodable_base64_still_gives_a_record() -> None:
    rec = one("feeds/audio", raw("audio.json"))
    assert rec.wav is None and rec.m4a is None and rec.audio is None
    assert rec.decode_error and rec.decode_error.startswith("audio_wav_base64:")
    # unknown system (chemung-ny is in no systems/config message): still a record
    assert rec.sys_name == "chemung-ny" and rec.instance_id == "trunk-recorder"
    assert rec.filename == "300-1713207802_154875000.0-call_12.wav"  # from call_filename
    assert rec.call_filename == rec.filename


def test_audio_metadata_values() -> None:
    rec = one("feeds/audio", raw("audio.json"))
    assert (rec.talkgroup, rec.talkgroup_alpha_tag, rec.talkgroup_tag) == (
        300,
        "Chem Law Disp",
        "Law Dispatch",
    )
    assert (rec.talkgroup_group, rec.talkgroup_description) == ("Law", "Chemung CW Police Dispatch")
    assert (rec.freq, rec.freq_error, rec.signal, rec.noise) == (154875000, -342, -23.0, -50.0)
    assert (rec.start_time, rec.stop_time, rec.length) == (1713207802.0, 1713207845.0, 33.0)
    assert rec.emergency is False and rec.encrypted is False and rec.phase2_tdma is False
    assert (rec.source_num, rec.recorder_num, rec.audio_type) == (0, 14, "digital")
    assert [(f.freq, f.pos, f.length, f.error_count, f.spike_count) for f in rec.freq_list] == [
        (154875000, 0.0, 3.24, 50, 3),
        (154875000, 3.24, 0.9, 0, 0),
    ]
    assert [(s.src, s.time, s.pos, s.emergency) for s in rec.src_list] == [
        (104, 1713207802.0, 0.0, False),
        (139, 1713207806.0, 3.24, False),
    ]
    assert rec.timestamp == 1713208679.0
    assert "audio_wav_base64" not in rec.metadata and rec.metadata["call_length"] == 33


def test_audio_valid_wav_decodes() -> None:
    rec = one("feeds/audio", raw("extra/audio_valid_wav.json"))
    assert rec.decode_error is None and rec.m4a is None
    assert rec.wav is not None and rec.audio == rec.wav and rec.audio_ext == ".wav"
    assert rec.wav[:4] == b"RIFF" and rec.wav[8:12] == b"WAVE"
    channels, rate = struct.unpack_from("<HI", rec.wav, 22)
    bits = struct.unpack_from("<H", rec.wav, 34)[0]
    data_size = struct.unpack_from("<I", rec.wav, 40)[0]
    assert (channels, rate, bits) == (1, 8000, 16)
    assert data_size / (rate * 2) == 0.25  # 0.25 s of 8 kHz 16-bit mono
    assert rec.filename == "300-1713207802_154875000.0-call_12.wav"


def _audio(**call_changes: Any) -> dict[str, Any]:
    payload = obj("extra/audio_valid_wav.json")
    payload["call"].update(call_changes)
    return payload


def test_audio_m4a_is_preferred() -> None:
    m4a = b"\x00\x00\x00\x18ftypM4A "
    rec = one("feeds/audio", _audio(audio_m4a_base64=base64.b64encode(m4a).decode()))
    assert rec.m4a == m4a and rec.audio == m4a and rec.audio_ext == ".m4a"
    assert rec.wav is not None


@pytest.mark.parametrize("bad", ["%%%", "QUJD", "A", 12, ["x"], "ÄÖ=="])
def test_audio_bad_m4a_sets_decode_error_and_keeps_wav(bad: Any) -> None:
    rec = one("feeds/audio", _audio(audio_m4a_base64=bad))
    if bad == "QUJD":  # valid base64 ("ABC"): not an error at this layer
        assert rec.m4a == b"ABC" and rec.decode_error is None
        return
    assert rec.m4a is None and rec.wav is not None
    assert rec.decode_error and rec.decode_error.startswith("audio_m4a_base64:")


def test_audio_base64_with_line_breaks_decodes() -> None:
    wrapped = "\n".join(["UklGRg==", ""])
    rec = one("feeds/audio", _audio(audio_wav_base64=wrapped))
    assert rec.wav == b"RIFF" and rec.decode_error is None


def test_audio_without_any_audio_has_no_error() -> None:
    payload = _audio()
    del payload["call"]["audio_wav_base64"]
    rec = one("feeds/audio", payload)
    assert rec.wav is None and rec.m4a is None and rec.decode_error is None


def test_audio_filename_prefers_metadata_filename() -> None:
    payload = _audio()
    payload["call"]["metadata"]["filename"] = "a.m4a"
    payload["call"]["metadata"]["call_filename"] = "/x/y/b.wav"
    rec = one("feeds/audio", payload)
    assert rec.filename == "a.m4a" and rec.call_filename == "/x/y/b.wav"
    del payload["call"]["metadata"]["filename"]
    assert one("feeds/audio", payload).filename == "b.wav"  # base name only


@pytest.mark.parametrize("name", ["../../etc/passwd", "C:\\tmp\\evil.wav", "..", "dir/"])
def test_audio_filename_is_a_safe_base_name(name: str) -> None:
    payload = _audio()
    payload["call"]["metadata"]["filename"] = name
    filename = one("feeds/audio", payload).filename
    assert filename in (None, "passwd", "evil.wav")
    assert filename is None or ("/" not in filename and "\\" not in filename)


def test_audio_without_names() -> None:
    payload = _audio()
    del payload["call"]["metadata"]["filename"]
    del payload["call"]["metadata"]["call_filename"]
    rec = one("feeds/audio", payload)
    assert rec.filename is None and rec.call_filename is None


def test_audio_call_message_tag_naming() -> None:
    payload = _audio()
    md = payload["call"]["metadata"]
    md.update(talkgroup_alpha_tag="ALPHA", talkgroup_tag="TAG")
    rec = one("feeds/audio", payload)
    assert (rec.talkgroup_alpha_tag, rec.talkgroup_tag) == ("ALPHA", "TAG")


def test_audio_call_message_naming_with_an_empty_alpha_tag() -> None:
    """The naming is told by the key being there, even when its value is empty."""
    payload = _audio()
    md = payload["call"]["metadata"]
    md.update(talkgroup_alpha_tag="", talkgroup_tag="TAG")
    rec = one("feeds/audio", payload)
    assert (rec.talkgroup_alpha_tag, rec.talkgroup_tag) == ("", "TAG")


# ---------------------------------------------------------------- units

UNIT_FILES = sorted(f"unit_{t}.json" for t in UNIT_TYPES - {"call_alert"})


@pytest.mark.parametrize("name", UNIT_FILES)
def test_unit_messages_are_read_from_the_nested_key(name: str) -> None:
    payload = obj(name)
    rec = one(f"units/p25trunk/{payload['type']}", payload)
    body = payload[payload["type"]]
    assert isinstance(rec, UnitEventRecord)
    assert rec.event_type == payload["type"]
    assert (rec.sys_name, rec.sys_num, rec.unit) == (
        body["sys_name"],
        body["sys_num"],
        body["unit"],
    )
    assert rec.unit_alpha_tag == body["unit_alpha_tag"]
    assert rec.talkgroup == body.get("talkgroup")  # None where the message has none
    assert rec.talkgroup_alpha_tag == body.get("talkgroup_alpha_tag", "")
    assert rec.instance_id == "east-antenna" and rec.timestamp == float(payload["timestamp"])
    assert rec.raw == body


@pytest.mark.parametrize(
    "name", ["unit_on.json", "unit_off.json", "unit_ackresp.json", "unit_data.json"]
)
def test_unit_messages_without_talkgroup(name: str) -> None:
    assert one("units/p25trunk/x", obj(name)).talkgroup is None


def test_unit_ans_req_talkgroup_with_empty_tags() -> None:
    rec = one("units/p25trunk/ans_req", obj("unit_ans_req.json"))
    assert rec.talkgroup == 12582912 and rec.talkgroup_alpha_tag == "" and rec.unit == 2048


def test_unit_call_string_timestamp_equals_int_timestamp() -> None:
    text = one("units/p25trunk/call", raw("unit_call.json"))
    number = one("units/p25trunk/call", raw("extra/unit_call_int_timestamp.json"))
    assert text == number and text.timestamp == 1686700985.0
    assert (text.call_num, text.freq, text.start_time, text.encrypted) == (
        51869,
        770581250,
        1686700982.0,
        False,
    )
    assert text.emergency is None  # not sent


def test_unit_end_fields() -> None:
    rec = one("units/p25trunk/end", raw("unit_end.json"))
    assert (rec.talkgroup, rec.freq, rec.position, rec.length) == (401, 850000000, 0.0, 0.36)
    assert (rec.error_count, rec.spike_count, rec.sample_count) == (0, 0, 2880)
    assert rec.transmission_filename == "/dev/shm/p25trunk/401-1701185024_850000000.1.wav"


def test_unit_flat_shape_is_tolerated() -> None:
    payload = {"type": "on", "sys_name": "metro", "unit": 7, "timestamp": 1}
    rec = one("units/metro/on", payload)
    assert (rec.event_type, rec.sys_name, rec.unit) == ("on", "metro", 7)


def test_unit_system_falls_back_to_topic() -> None:
    payload = {"type": "join", "join": {"unit": 7, "talkgroup": 0}, "timestamp": 1}
    rec = one("units/metro/join", payload)
    assert rec.sys_name == "metro" and rec.talkgroup == 0  # 0 is kept, not None


def test_unit_type_from_topic_when_payload_has_none() -> None:
    payload = obj("unit_on.json")
    del payload["type"]
    rec = one("units/p25trunk/on", payload)
    assert rec.event_type == "on" and rec.unit == 806308


# ---------------------------------------------------------------- others


def test_trunking_message() -> None:
    rec = one("messages/p25trunk/message", raw("trunking_message.json"))
    assert (rec.sys_num, rec.sys_name, rec.trunk_msg, rec.trunk_msg_type) == (
        3,
        "p25trunk",
        3,
        "CONTROL_CHANNEL",
    )
    assert (rec.opcode, rec.opcode_type, rec.opcode_desc) == (
        "39",
        "SCCB",
        "Secondary Control Channel Broadcast",
    )
    assert rec.meta == "tsbk39 secondary cc: rfid .... " and rec.timestamp == 1686712507.0


def test_console_line() -> None:
    rec = one("feeds/trunk_recorder/console", raw("console.json"))
    assert rec.time == "2023-08-07T12:07:06.327966" and rec.severity == "info"
    assert rec.message.startswith("[sname]") and rec.timestamp == 1691424426.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1686700985, 1686700985.0),
        ("1686700985", 1686700985.0),
        (1686700985123, 1686700985.123),
        ("1686700985123", 1686700985.123),
        (1686700985.5, 1686700985.5),
        (100000000000, 1e11),
        (100000000001, 100000000.001),
        (None, None),
        (" 17 ", 17.0),
    ],
)
def test_timestamps_seconds_or_milliseconds(value: Any, expected: float | None) -> None:
    payload = obj("unit_on.json")
    payload["timestamp"] = value
    assert one("units/p25trunk/on", payload).timestamp == pytest.approx(expected)


def test_call_times_in_milliseconds() -> None:
    payload = obj("call_end.json")
    payload["call"]["start_time"] = 1701185024000
    payload["call"]["stop_time"] = "1701185025000"
    rec = one("feeds/call_end", payload)
    assert (rec.start_time, rec.stop_time) == (1701185024.0, 1701185025.0)


@pytest.mark.parametrize("payload", [b"", b"   ", "", "\n"])
def test_empty_payload_is_skipped(payload: bytes | str) -> None:
    assert normalise("feeds/config", payload) == [
        Skipped(topic="feeds/config", reason="empty payload")
    ]


def test_utf8_bom_is_accepted() -> None:
    assert normalise("feeds/system", b"\xef\xbb\xbf" + raw("system.json")) == normalise(
        "feeds/system", raw("system.json")
    )


def test_lenient_numbers_and_flags() -> None:
    payload = obj("call_start.json")
    payload["call"].update(talkgroup="3029", freq=770331250.0, encrypted=1, emergency="false")
    rec = one("feeds/call_start", payload)
    assert (rec.talkgroup, rec.freq, rec.encrypted, rec.emergency) == (3029, 770331250, True, False)
