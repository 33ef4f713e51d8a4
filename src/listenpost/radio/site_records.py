"""Instance- and site-level records: plugin status, console, config, systems, rates,
recorders. Re-exported by :mod:`listenpost.radio.records`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


def _raw() -> Any:
    return field(default_factory=dict, compare=False, hash=False, repr=False)


def effective_sysid(sysid: str | None, sys_name: str) -> str:
    """Scope for talkgroups/units: the P25 sysid, else the system short name.

    ``""`` and ``"0"`` (what the plugin sends for conventional systems) count as
    "no sysid", as in tr-engine v1.
    """
    if sysid and sysid != "0":
        return sysid
    return sys_name


@dataclass(frozen=True, slots=True, kw_only=True)
class PluginStatus:
    """``<base>/trunk_recorder/status`` (retained; has no ``type`` key)."""

    instance_id: str | None
    client_id: str | None
    status: str
    timestamp: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsoleLine:
    instance_id: str | None
    timestamp: float | None
    time: str | None  # trunk-recorder's local, zone-less ISO time, kept verbatim
    severity: str
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceInfo:
    source_num: int | None
    center: int | None
    rate: int | None
    min_hz: int | None
    max_hz: int | None
    error: float | None
    driver: str
    device: str
    antenna: str
    gain: float | None
    analog_recorders: int | None
    digital_recorders: int | None
    debug_recorders: int | None
    sigmf_recorders: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfigSystem:
    sys_num: int | None
    sys_name: str
    system_type: str
    talkgroups_file: str
    control_channel: int | None
    channels: tuple[int, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfigRecord:
    instance_id: str | None
    timestamp: float | None
    instance_key: str
    capture_dir: str
    upload_server: str
    call_timeout: float | None
    sources: tuple[SourceInfo, ...]
    systems: tuple[ConfigSystem, ...]
    raw: Mapping[str, Any] = _raw()


@dataclass(frozen=True, slots=True, kw_only=True)
class SystemInfo:
    """One entry of ``systems`` or the body of ``system``."""

    instance_id: str | None
    timestamp: float | None
    sys_num: int | None
    sys_name: str
    system_type: str
    sysid: str
    wacn: str
    nac: str
    rfss: int | None
    site_id: int | None

    @property
    def effective_sysid(self) -> str:
        return effective_sysid(self.sysid, self.sys_name)


@dataclass(frozen=True, slots=True, kw_only=True)
class RateRecord:
    instance_id: str | None
    timestamp: float | None
    sys_num: int | None
    sys_name: str
    decode_rate: float | None
    decode_rate_interval: float | None
    control_channel: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class RecorderState:
    """One entry of ``recorders`` (``snapshot=True``) or the body of ``recorder``."""

    instance_id: str | None
    timestamp: float | None
    snapshot: bool
    tr_recorder_id: str  # plugin "id", e.g. "4_16"
    src_num: int
    rec_num: int
    rec_type: str
    freq: int | None
    duration: float | None
    count: int | None
    rec_state: int | None
    rec_state_type: str
    squelched: bool
