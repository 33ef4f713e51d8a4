"""The trunk-recorder fixtures as an endless, timed script of MQTT messages (pure).

Each cycle of CYCLE seconds replays the fixtures with fresh times: four calls (the fixture
calls' systems, talkgroups and units) each announced by `call_start` and a unit `call`,
listed in `calls_active` snapshots while they last, ended by `call_end` and a unit `end`,
then followed by an `audio` message carrying a generated WAV (none for an encrypted call,
as on the air); the recorders they use change state; decode rates every few seconds; the
unit, trunking and console fixtures in between; a heartbeat. The plugin's retained
bootstrap messages (status, config, systems) open the first cycle. Every call gets a fresh
call number and trunk-recorder call id (`<sys_num>_<talkgroup>_<start>`), so replays never
collide with earlier ones. Every step lies within its cycle, so cycles never overlap.
"""

from __future__ import annotations

import base64
import copy
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .retime import retime
from .wav import call_wav

Message = dict[str, Any]
Fixtures = Mapping[str, Message]  # file stem -> payload

CYCLE = 26.0
CALL_STARTS = (1.0, 7.0, 13.0, 19.0)  # seconds into the cycle
LENGTH = (2.0, 5.0)  # a call's seconds on the air
AUDIO_AFTER = 0.5  # seconds from a call's end to its audio message
SNAPSHOT_EVERY = 2.0
RATES_EVERY = 3.0
BOOTSTRAP = ("plugin_status", "config", "systems", "system")
SCATTERED = {  # fixture -> seconds into the cycle
    "unit_on": 2.5,
    "unit_join": 5.5,
    "unit_location": 8.5,
    "unit_ackresp": 11.5,
    "trunking_message": 12.5,
    "unit_data": 14.5,
    "console": 16.5,
    "unit_ans_req": 20.5,
    "unit_off": 23.5,
}
UNIT_TYPES = frozenset(
    {"call", "end", "on", "off", "join", "data", "ans_req", "location", "ackresp"}
)
RECORDING, IDLE = (1, "RECORDING"), (4, "IDLE")


@dataclass(frozen=True)
class Step:
    at: float  # Unix seconds
    topic: str
    payload: Message


@dataclass(frozen=True)
class Call:
    fields: Message  # the fixture call's fields, every key a call message may carry
    start: int
    length: float
    call_num: int
    recorder: str
    emergency: bool
    encrypted: bool

    @property
    def end(self) -> float:
        return self.start + self.length

    @property
    def tr_call_id(self) -> str:
        return f"{self.fields['sys_num']}_{self.fields['talkgroup']}_{self.start}"

    @property
    def filename(self) -> str:
        f = self.fields
        return f"{f['talkgroup']}-{self.start}_{f['freq']}.0-call_{self.call_num}.wav"


def topic_for(message: Message, prefix: str = "") -> str:
    """The plugin's topic layout with the bases `feeds`, `units` and `messages`."""
    kind = message.get("type")
    if kind is None:
        topic = "feeds/trunk_recorder/status"
    elif kind in ("console", "heartbeat"):
        topic = f"feeds/trunk_recorder/{kind}"
    elif kind == "message":
        topic = f"messages/{message['message']['sys_name']}/message"
    elif kind in UNIT_TYPES:
        topic = f"units/{message[kind]['sys_name']}/{kind}"
    else:
        topic = f"feeds/{kind}"
    return f"{prefix.strip('/')}/{topic}" if prefix.strip("/") else topic


def call_templates(fx: Fixtures) -> list[Message]:
    """The fixture calls, each completed with the full field set of `call_end`."""
    base = fx["call_end"]["call"]
    sources = (
        fx["call_start"]["call"],
        fx["calls_active"]["calls"][0],
        base,
        fx["unit_call"]["call"],
    )
    return [{**base, **source} for source in sources]


class RadioScript:
    def __init__(self, fx: Fixtures, rng: random.Random, prefix: str = "") -> None:
        self.fx = fx
        self.rng = rng
        self.prefix = prefix
        self.templates = call_templates(fx)
        self.calls = 0
        recorders = [fx["recorders"]["recorders"][0], fx["recorder"]["recorder"]]
        self.recorders = {r["id"]: dict(r) for r in recorders}

    def steps(self, start: float) -> Iterator[Step]:
        """Every step, cycle after cycle, from `start` (Unix seconds) on."""
        n = 0
        while True:
            yield from self.cycle(n, start + n * CYCLE)
            n += 1

    def cycle(self, n: int, t0: float) -> list[Step]:
        out: list[Step] = []

        def add(at: float, message: Message) -> None:
            out.append(Step(at, topic_for(message, self.prefix), message))

        if n == 0:
            for name in BOOTSTRAP:
                add(t0, retime(self.fx[name], t0))
        add(t0, retime(self.fx["heartbeat"], t0))
        add(t0, self._recorders(t0))
        calls = [self._call(n, i, t0 + offset) for i, offset in enumerate(CALL_STARTS)]
        for call in calls:
            for at, message in self._lifecycle(call):
                add(at, message)
        for k in range(int(CYCLE / SNAPSHOT_EVERY)):
            at = t0 + k * SNAPSHOT_EVERY + 0.25
            add(at, self._snapshot(calls, at))
        for k in range(int(CYCLE / RATES_EVERY)):
            at = t0 + k * RATES_EVERY + 0.75
            add(at, self._rates(at))
        for name, offset in SCATTERED.items():
            add(t0 + offset, retime(self.fx[name], t0 + offset))
        return sorted(out, key=lambda s: s.at)

    def _call(self, n: int, i: int, at: float) -> Call:
        self.calls += 1
        serial = n * len(CALL_STARTS) + i
        return Call(
            fields=self.templates[i % len(self.templates)],
            start=int(at),
            length=round(self.rng.uniform(*LENGTH), 1),
            call_num=10_000 + self.calls,
            recorder=sorted(self.recorders)[i % len(self.recorders)],
            emergency=serial % 11 == 5,
            encrypted=serial % 13 == 7,
        )

    def _lifecycle(self, call: Call) -> list[tuple[float, Message]]:
        start, end = float(call.start), call.end
        steps = [
            (start, self._call_message(call, "call_start", start)),
            (start, self._unit(call, "unit_call", "call", start)),
            (start, self._recorder(call, RECORDING, start)),
            (end, self._call_message(call, "call_end", end)),
            (end, self._unit(call, "unit_end", "end", end)),
            (end, self._recorder(call, IDLE, end)),
        ]
        if not call.encrypted:
            steps.append((end + AUDIO_AFTER, self._audio(call, end + AUDIO_AFTER)))
        return steps

    def _call_fields(self, call: Call) -> Message:
        return {
            **call.fields,
            "id": call.tr_call_id,
            "call_num": call.call_num,
            "start_time": call.start,
            "emergency": call.emergency,
            "encrypted": call.encrypted,
            "rec_num": int(call.recorder.split("_")[1]),
            "src_num": int(call.recorder.split("_")[0]),
        }

    def _call_message(self, call: Call, kind: str, at: float) -> Message:
        fields = self._call_fields(call)
        if kind == "call_start":
            fields.update(stop_time=call.start, length=0, elapsed=0, call_state=1)
            fields.update(call_state_type="RECORDING", rec_state=1, rec_state_type="RECORDING")
        else:
            fields.update(stop_time=int(call.end), length=call.length, elapsed=0, call_state=-1)
            fields.update(call_state_type="COMPLETED", rec_state=6, rec_state_type="STOPPED")
            fields.update(process_call_time=int(at) + 1, call_filename=call.filename)
        return _envelope(self.fx["call_start"], kind, "call", fields, at)

    def _unit(self, call: Call, fixture: str, kind: str, at: float) -> Message:
        template = self.fx[fixture]
        body = {k: call.fields.get(k, v) for k, v in template[kind].items()}
        body.update(call_num=call.call_num, start_time=call.start, encrypted=call.encrypted)
        if kind == "end":
            body.update(stop_time=int(call.end), length=call.length, emergency=call.emergency)
            body["transmission_filename"] = f"/dev/shm/{call.filename}"
        return _envelope(template, kind, kind, body, at)

    def _recorder(self, call: Call, state: tuple[int, str], at: float) -> Message:
        rec = self.recorders[call.recorder]
        rec.update(rec_state=state[0], rec_state_type=state[1], squelched=state == IDLE)
        if state == RECORDING:
            rec.update(freq=call.fields["freq"], count=rec["count"] + 1)
        else:
            rec["duration"] = round(rec["duration"] + call.length, 1)
        return _envelope(self.fx["recorder"], "recorder", "recorder", dict(rec), at)

    def _recorders(self, at: float) -> Message:
        entries = [dict(r) for _, r in sorted(self.recorders.items())]
        return _envelope(self.fx["recorders"], "recorders", "recorders", entries, at)

    def _snapshot(self, calls: list[Call], at: float) -> Message:
        shape = self.fx["calls_active"]["calls"][0]
        entries = []
        for call in calls:
            if call.start <= at < call.end:
                fields = self._call_fields(call)
                entry = {k: fields.get(k, v) for k, v in shape.items()}
                elapsed = int(at) - call.start
                entry.update(elapsed=elapsed, length=float(elapsed), stop_time=int(at))
                entries.append(entry)
        return _envelope(self.fx["calls_active"], "calls_active", "calls", entries, at)

    def _rates(self, at: float) -> Message:
        entries = [
            {**r, "decoderate": round(max(0.0, r["decoderate"] - self.rng.uniform(0, 4)), 2)}
            for r in self.fx["rates"]["rates"]
        ]
        return _envelope(self.fx["rates"], "rates", "rates", entries, at)

    def _audio(self, call: Call, at: float) -> Message:
        template = self.fx["audio"]["call"]
        f = call.fields
        start, end = call.start, int(call.end)
        metadata = {
            **template["metadata"],
            "filename": call.filename,
            "call_filename": call.filename,
            "short_name": f["sys_name"],
            "freq": f["freq"],
            "start_time": start,
            "stop_time": end,
            "call_length": call.length,
            "emergency": int(call.emergency),
            "encrypted": 0,
            "talkgroup": f["talkgroup"],
            "talkgroup_tag": f["talkgroup_alpha_tag"],
            "talkgroup_group_tag": f["talkgroup_tag"],
            "talkgroup_description": f["talkgroup_description"],
            "talkgroup_group": f["talkgroup_group"],
            "freqList": [
                {
                    "freq": f["freq"],
                    "time": start,
                    "pos": 0.0,
                    "len": call.length,
                    "error_count": 0,
                    "spike_count": 0,
                }
            ],
            "srcList": [
                {
                    "src": f["unit"],
                    "time": start,
                    "pos": 0.0,
                    "emergency": int(call.emergency),
                    "signal_system": "",
                    "tag": f["unit_alpha_tag"],
                }
            ],
        }
        wav = base64.b64encode(call_wav(call.length, f["talkgroup"])).decode()
        body = {**template, "audio_wav_base64": wav, "metadata": metadata}
        return _envelope(self.fx["audio"], "audio", "call", body, at)


def _envelope(template: Message, kind: str, key: str, body: Any, at: float) -> Message:
    """`{"type", <key>: body, "timestamp", "instance_id"}` in the plugin's key order."""
    return {
        "type": kind,
        key: copy.deepcopy(body),
        "timestamp": int(at),
        "instance_id": template.get("instance_id", "east-antenna"),
    }
