"""Typed records produced by :func:`listenpost.radio.normalise.normalise`.

Pure data: frozen, slotted, keyword-only dataclasses. Times are float unix seconds
(``None`` when the plugin did not send them). Numeric fields the plugin may omit are
``None``; text fields it may omit are ``""``. ``raw`` keeps the plugin's object for the
record (e.g. for a ``metadata_json`` column); it takes no part in equality or hashing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ._fields import NormaliseError
from .site_records import (
    ConfigRecord,
    ConfigSystem,
    ConsoleLine,
    PluginStatus,
    RateRecord,
    RecorderState,
    SourceInfo,
    SystemInfo,
    effective_sysid,
)

__all__ = [
    "ActiveCalls",
    "AudioRecord",
    "CallKind",
    "CallRecord",
    "ConfigRecord",
    "ConfigSystem",
    "ConsoleLine",
    "FreqEntry",
    "Heartbeat",
    "PluginStatus",
    "RateRecord",
    "RecorderState",
    "Record",
    "Skipped",
    "SourceInfo",
    "SrcEntry",
    "SystemInfo",
    "TrunkMessage",
    "UnitEventRecord",
    "effective_sysid",
]

CallKind = Literal["start", "end", "active"]


def _raw() -> Any:
    return field(default_factory=dict, compare=False, hash=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class FreqEntry:
    freq: int | None
    time: float | None
    pos: float | None
    length: float | None
    error_count: int | None
    spike_count: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class SrcEntry:
    src: int | None
    time: float | None
    pos: float | None
    emergency: bool
    signal_system: str
    tag: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CallRecord:
    """``call_start`` (kind "start"), ``call_end`` ("end") or a ``calls_active`` entry."""

    kind: CallKind
    instance_id: str | None
    timestamp: float | None
    tr_call_id: str
    call_num: int | None
    sys_num: int | None
    sys_name: str
    talkgroup: int
    talkgroup_alpha_tag: str
    talkgroup_tag: str
    talkgroup_group: str
    talkgroup_description: str
    talkgroup_patches: str
    freq: int | None
    freq_error: int | None
    unit: int | None
    unit_alpha_tag: str
    start_time: float | None
    stop_time: float | None
    process_call_time: float | None
    length: float | None
    elapsed: float | None
    call_state: int | None
    call_state_type: str
    mon_state: int | None
    mon_state_type: str
    audio_type: str
    phase2_tdma: bool
    tdma_slot: int | None
    analog: bool
    conventional: bool
    encrypted: bool
    emergency: bool
    rec_num: int | None
    src_num: int | None
    rec_state: int | None
    rec_state_type: str
    signal: float | None  # None for the 999 "unknown" sentinel
    noise: float | None
    error_count: int | None
    spike_count: int | None
    retry_attempt: int | None
    call_filename: str | None
    freq_list: tuple[FreqEntry, ...] = ()
    src_list: tuple[SrcEntry, ...] = ()
    raw: Mapping[str, Any] = _raw()


@dataclass(frozen=True, slots=True, kw_only=True)
class ActiveCalls:
    """A whole ``calls_active`` snapshot (may be empty: "no calls now" is information)."""

    instance_id: str | None
    timestamp: float | None
    calls: tuple[CallRecord, ...]
    # entries left out because they could not be read: the caller logs and counts each
    rejected: tuple[NormaliseError, ...] = field(default=(), compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class AudioRecord:
    """An ``audio`` message: call metadata plus the decoded audio.

    Talkgroup tags use the call-message names: the metadata's ``talkgroup_tag`` (the alpha
    tag in trunk-recorder's call JSON) becomes ``talkgroup_alpha_tag`` and its
    ``talkgroup_group_tag`` becomes ``talkgroup_tag``.
    """

    instance_id: str | None
    timestamp: float | None
    sys_name: str
    talkgroup: int
    talkgroup_alpha_tag: str
    talkgroup_tag: str
    talkgroup_group: str
    talkgroup_description: str
    freq: int | None
    freq_error: int | None
    signal: float | None
    noise: float | None
    source_num: int | None
    recorder_num: int | None
    tdma_slot: int | None
    phase2_tdma: bool
    start_time: float | None
    stop_time: float | None
    length: float | None
    emergency: bool
    encrypted: bool
    priority: int | None
    mode: int | None
    duplex: int | None
    audio_type: str
    filename: str | None  # base name: metadata.filename, else call_filename
    call_filename: str | None  # verbatim
    freq_list: tuple[FreqEntry, ...]
    src_list: tuple[SrcEntry, ...]
    wav: bytes | None = field(default=None, repr=False)
    m4a: bytes | None = field(default=None, repr=False)
    decode_error: str | None = None
    metadata: Mapping[str, Any] = _raw()

    @property
    def audio(self) -> bytes | None:
        """The audio to keep: m4a when present, else wav (tr-engine's preference)."""
        return self.m4a if self.m4a else self.wav

    @property
    def audio_ext(self) -> str | None:
        if self.m4a:
            return ".m4a"
        return ".wav" if self.wav else None


@dataclass(frozen=True, slots=True, kw_only=True)
class UnitEventRecord:
    """Unit messages: call, end, on, off, join, ackresp, data, ans_req, location, call_alert."""

    event_type: str
    instance_id: str | None
    timestamp: float | None
    sys_num: int | None
    sys_name: str
    unit: int
    unit_alpha_tag: str
    talkgroup: int | None  # None when the message carries none (on/off/ackresp/data)
    talkgroup_alpha_tag: str
    talkgroup_tag: str
    talkgroup_group: str
    talkgroup_description: str
    talkgroup_patches: str
    call_num: int | None = None
    freq: int | None = None
    start_time: float | None = None
    stop_time: float | None = None
    length: float | None = None
    position: float | None = None
    emergency: bool | None = None
    encrypted: bool | None = None
    error_count: int | None = None
    spike_count: int | None = None
    sample_count: int | None = None
    transmission_filename: str | None = None
    target_unit: int | None = None  # call_alert: the unit being alerted
    raw: Mapping[str, Any] = _raw()


@dataclass(frozen=True, slots=True, kw_only=True)
class TrunkMessage:
    """``<message_topic>/<sys>/message``: one decoded control-channel message."""

    instance_id: str | None
    timestamp: float | None
    sys_num: int | None
    sys_name: str
    trunk_msg: int | None
    trunk_msg_type: str
    opcode: str
    opcode_type: str
    opcode_desc: str
    meta: str
    raw: Mapping[str, Any] = _raw()


@dataclass(frozen=True, slots=True, kw_only=True)
class Heartbeat:
    """``<topic>/heartbeat`` (or ``type: "heartbeat"``): plugin liveness, every few seconds."""

    instance_id: str | None
    timestamp: float | None
    raw: Mapping[str, Any] = _raw()


@dataclass(frozen=True, slots=True, kw_only=True)
class Skipped:
    """A message deliberately ignored (an empty payload clears a retained topic)."""

    topic: str
    reason: str


Record = (
    PluginStatus
    | ConsoleLine
    | ConfigRecord
    | SystemInfo
    | RateRecord
    | RecorderState
    | CallRecord
    | ActiveCalls
    | AudioRecord
    | UnitEventRecord
    | TrunkMessage
    | Heartbeat
    | Skipped
)
