"""Documented shapes of the sound API's answers (see listenpost.schemas)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from ..schemas import Time


class LabelName(BaseModel):
    ko: str
    en: str


class Label(BaseModel):
    id: str
    name: LabelName


class LabelInfo(Label):
    active: bool


class AudioFile(BaseModel):
    file_path: str


class MicSummary(BaseModel):
    id: str
    name: str | None
    location: dict[str, Any] | None


class EndpointView(BaseModel):
    scheme: str | None
    port: int | None
    path: str | None
    username: str | None
    password: str | None  # "********" when set: passwords are write-only


class Mic(BaseModel):
    id: str
    name: str
    host: str | None
    subnet_mask: str | None
    mac_address: str | None
    microphone_type: str | None
    channel: EndpointView | None
    console: EndpointView | None
    streaming: bool
    recording: bool
    edge_id: str | None
    location: dict[str, Any] | None
    status: str
    thresholds: dict[str, Any]
    created_at: Time
    updated_at: Time
    deleted_at: Time
    reported_at: Time
    connected: bool


class Event(BaseModel):
    id: str
    label: Label
    confidence: float
    mic: MicSummary
    sound_level: float | None
    noises: list[float | None]
    description: str | None
    audio_file: AudioFile | None
    suppressed: bool
    is_read: bool
    read_at: Time
    created_at: Time
    updated_at: Time
