"""Parsers for call, audio, unit and trunking messages (helper of ``normalise``)."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from ._fields import Ctx, Fields, NormaliseError, topic_system
from .records import (
    ActiveCalls,
    AudioRecord,
    CallKind,
    CallRecord,
    FreqEntry,
    Record,
    SrcEntry,
    TrunkMessage,
    UnitEventRecord,
)

_CALL_ID_START = re.compile(r"_(\d{1,12})$")

# Current key first, then the spellings of older plugins (camelCase stats, "unit_alpha", ...).
SYS_NUM = ("sys_num", "sysNum")
SYS_NAME = ("sys_name", "shortName", "short_name")
CALL_NUM = ("call_num", "callNum")
UNIT_TAG = ("unit_alpha_tag", "unit_alpha")
TG_TAG = ("talkgroup_alpha_tag", "talkgrouptag")


def _basename(name: str | None) -> str | None:
    if not name:
        return None
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return None if base in ("", ".", "..") else base


def _freq_list(f: Fields) -> tuple[FreqEntry, ...]:
    return tuple(
        FreqEntry(
            freq=e.num("freq"),
            time=e.time("time"),
            pos=e.real("pos"),
            length=e.real("len"),
            error_count=e.num("error_count"),
            spike_count=e.num("spike_count"),
        )
        for e in f.objs("freqList")
    )


def _src_list(f: Fields) -> tuple[SrcEntry, ...]:
    return tuple(
        SrcEntry(
            src=e.num("src"),
            time=e.time("time"),
            pos=e.real("pos"),
            emergency=e.flag("emergency"),
            signal_system=e.text("signal_system"),
            tag=e.text("tag"),
        )
        for e in f.objs("srcList")
    )


def _call_id(f: Fields, start_time: float | None) -> str:
    """The plugin's call id; when it sends none (``""``/``null``/absent), trunk-recorder's own
    ``<sys_num>_<talkgroup>_<start_time>`` when those are known, else ``""`` (never None)."""
    sent = f.text("id").strip()
    if sent:
        return sent
    sys_num, talkgroup = f.num(SYS_NUM), f.num("talkgroup")
    if sys_num is None or talkgroup is None or start_time is None:
        return ""
    return f"{sys_num}_{talkgroup}_{int(start_time)}"


def _call(f: Fields, kind: CallKind, ctx: Ctx) -> CallRecord:
    start_time = f.time(("start_time", "startTime"))
    match = _CALL_ID_START.search(f.text("id"))
    if start_time is None and match:  # calls_active entries carry no start_time
        start_time = float(match.group(1))
    phase2 = f.opt_flag("phase2_tdma")
    return CallRecord(
        kind=kind,
        instance_id=ctx.instance_id,
        timestamp=ctx.timestamp,
        tr_call_id=_call_id(f, start_time),
        call_num=f.num(CALL_NUM),
        sys_num=f.num(SYS_NUM),
        sys_name=f.req_text(SYS_NAME),
        talkgroup=f.req_num("talkgroup"),
        talkgroup_alpha_tag=f.text(TG_TAG),
        talkgroup_tag=f.text("talkgroup_tag"),
        talkgroup_group=f.text("talkgroup_group"),
        talkgroup_description=f.text("talkgroup_description"),
        talkgroup_patches=f.text("talkgroup_patches"),
        freq=f.num("freq"),
        freq_error=f.num("freq_error"),
        unit=f.num(("unit", "srcId")),
        unit_alpha_tag=f.text(UNIT_TAG),
        start_time=start_time,
        stop_time=f.time(("stop_time", "stopTime")),
        process_call_time=f.time("process_call_time"),
        length=f.real("length"),
        elapsed=f.real(("elapsed", "elasped")),
        call_state=f.num(("call_state", "state")),
        call_state_type=f.text("call_state_type"),
        mon_state=f.num(("mon_state", "monState")),
        mon_state_type=f.text("mon_state_type"),
        audio_type=f.text("audio_type"),
        phase2_tdma=f.flag("phase2") if phase2 is None else phase2,
        tdma_slot=f.num("tdma_slot"),
        analog=f.flag("analog"),
        conventional=f.flag("conventional"),
        encrypted=f.flag("encrypted"),
        emergency=f.flag("emergency"),
        rec_num=f.num(("rec_num", "recNum")),
        src_num=f.num(("src_num", "srcNum")),
        rec_state=f.num(("rec_state", "recState")),
        rec_state_type=f.text("rec_state_type"),
        signal=f.db("signal"),
        noise=f.db("noise"),
        error_count=f.num("error_count"),
        spike_count=f.num("spike_count"),
        retry_attempt=f.num("retry_attempt"),
        call_filename=f.opt_text("call_filename"),
        freq_list=_freq_list(f),
        src_list=_src_list(f),
        raw=f.d,
    )


def call_from_stored(raw: Any) -> CallRecord | None:
    """The call a stored row's `metadata` (the plugin's call object) describes, to rebuild
    the active-call tracker; None when it cannot be read."""
    if not isinstance(raw, dict):
        return None
    try:
        return _call(Fields(raw, "call"), "start", Ctx("", "call_start", None, None))
    except NormaliseError:
        return None


def parse_call_start(top: Fields, ctx: Ctx) -> list[Record]:
    return [_call(top.req_obj("call"), "start", ctx)]


def parse_call_end(top: Fields, ctx: Ctx) -> list[Record]:
    return [_call(top.req_obj("call"), "end", ctx)]


def parse_calls_active(top: Fields, ctx: Ctx) -> list[Record]:
    """The snapshot's calls; an entry that cannot be read is left out and returned in
    ``rejected`` (for the caller to log and count) instead of rejecting the others."""
    calls: list[CallRecord] = []
    rejected: list[NormaliseError] = []
    for i, item in enumerate(top.items("calls", required=True)):
        try:
            calls.append(_call(top.entry("calls", i, item), "active", ctx))
        except NormaliseError as exc:
            exc.topic, exc.msg_type = ctx.topic, ctx.msg_type
            rejected.append(exc)
    return [
        ActiveCalls(
            instance_id=ctx.instance_id,
            timestamp=ctx.timestamp,
            calls=tuple(calls),
            rejected=tuple(rejected),
        )
    ]


def _b64(value: Any, name: str) -> tuple[bytes | None, str | None]:
    if value is None or value == "":
        return None, None
    if not isinstance(value, str):
        return None, f"{name}: not a string"
    try:
        return base64.b64decode("".join(value.split()), validate=True), None
    except (binascii.Error, ValueError) as exc:
        return None, f"{name}: {exc}"


def parse_audio(top: Fields, ctx: Ctx) -> list[Record]:
    call = top.req_obj("call")
    md = call.req_obj("metadata")
    wav, wav_error = _b64(call.d.get("audio_wav_base64"), "audio_wav_base64")
    m4a, m4a_error = _b64(call.d.get("audio_m4a_base64"), "audio_m4a_base64")
    errors = [e for e in (m4a_error, wav_error) if e]
    if md.has("talkgroup_alpha_tag"):  # call-message naming
        alpha, tag = md.text("talkgroup_alpha_tag"), md.text("talkgroup_tag")
    else:  # trunk-recorder call-JSON naming
        alpha, tag = md.text("talkgroup_tag"), md.text("talkgroup_group_tag")
    call_filename = md.opt_text("call_filename")
    phase2 = md.opt_flag("phase2_tdma")
    return [
        AudioRecord(
            instance_id=ctx.instance_id,
            timestamp=ctx.timestamp,
            sys_name=md.req_text("short_name", md.opt_text("sys_name")),
            talkgroup=md.req_num("talkgroup"),
            talkgroup_alpha_tag=alpha,
            talkgroup_tag=tag,
            talkgroup_group=md.text("talkgroup_group"),
            talkgroup_description=md.text("talkgroup_description"),
            freq=md.num("freq"),
            freq_error=md.num("freq_error"),
            signal=md.db("signal"),
            noise=md.db("noise"),
            source_num=md.num("source_num"),
            recorder_num=md.num("recorder_num"),
            tdma_slot=md.num("tdma_slot"),
            phase2_tdma=md.flag("phase2") if phase2 is None else phase2,
            start_time=md.time("start_time"),
            stop_time=md.time("stop_time"),
            length=md.real("call_length"),
            emergency=md.flag("emergency"),
            encrypted=md.flag("encrypted"),
            priority=md.num("priority"),
            mode=md.num("mode"),
            duplex=md.num("duplex"),
            audio_type=md.text("audio_type"),
            filename=_basename(md.opt_text("filename") or call_filename),
            call_filename=call_filename,
            freq_list=_freq_list(md),
            src_list=_src_list(md),
            wav=wav,
            m4a=m4a,
            decode_error="; ".join(errors) or None,
            metadata=md.d,
        )
    ]


def parse_unit(top: Fields, ctx: Ctx) -> list[Record]:
    # Real payloads nest the fields under the type's key; tolerate v0's flat shape too.
    f = top.obj(ctx.msg_type) or Fields(top.d, ctx.msg_type)
    sys_name = f.opt_text((*SYS_NAME, "system")) or topic_system(ctx)
    return [
        UnitEventRecord(
            event_type=ctx.msg_type,
            instance_id=ctx.instance_id,
            timestamp=ctx.timestamp,
            sys_num=f.num(SYS_NUM),
            sys_name=f.req_text("sys_name", sys_name),
            unit=f.req_num("unit"),
            unit_alpha_tag=f.text(UNIT_TAG),
            talkgroup=f.num("talkgroup"),
            talkgroup_alpha_tag=f.text("talkgroup_alpha_tag"),
            talkgroup_tag=f.text("talkgroup_tag"),
            talkgroup_group=f.text("talkgroup_group"),
            talkgroup_description=f.text("talkgroup_description"),
            talkgroup_patches=f.text("talkgroup_patches"),
            call_num=f.num(CALL_NUM),
            freq=f.num("freq"),
            start_time=f.time("start_time"),
            stop_time=f.time("stop_time"),
            length=f.real("length"),
            position=f.real("position"),
            emergency=f.opt_flag("emergency"),
            encrypted=f.opt_flag("encrypted"),
            error_count=f.num("error_count"),
            spike_count=f.num("spike_count"),
            sample_count=f.num("sample_count"),
            transmission_filename=f.opt_text("transmission_filename"),
            target_unit=f.num("target_unit"),
            raw=f.d,
        )
    ]


def parse_trunk_message(top: Fields, ctx: Ctx) -> list[Record]:
    f = top.req_obj("message")
    return [
        TrunkMessage(
            instance_id=ctx.instance_id,
            timestamp=ctx.timestamp,
            sys_num=f.num(SYS_NUM),
            sys_name=f.req_text("sys_name", topic_system(ctx)),
            trunk_msg=f.num("trunk_msg"),
            trunk_msg_type=f.text("trunk_msg_type"),
            opcode=f.text("opcode"),
            opcode_type=f.text("opcode_type"),
            opcode_desc=f.text("opcode_desc"),
            meta=f.text("meta"),
            raw=f.d,
        )
    ]
