"""Documented shapes of the composite API's answers (see listenpost.schemas)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from ..schemas import Time
from ..sound.schemas import AudioFile, LabelInfo, Mic


class Rule(BaseModel):
    id: str
    name: str
    description: str | None
    window_seconds: float
    min_events: int
    enabled: bool
    group_by: str
    include_label_ids: list[str] | None
    include_mic_ids: list[str] | None
    created_at: Time
    updated_at: Time


class MemberEvent(BaseModel):
    id: str
    confidence: float
    confidence_threshold: float | None
    sound_level: float | None
    sound_level_threshold: float | None
    description: str | None
    audio_file: AudioFile | None
    is_read: bool
    read_at: Time
    created_at: Time
    updated_at: Time
    label_id: str
    mic_id: str
    label: LabelInfo
    microphone: Mic | None


class CompositeMic(Mic):
    edge_status: str


class Composite(BaseModel):
    id: str
    group_key: str
    rule: dict[str, Any]  # the rule as it was when the composite was created
    events: list[MemberEvent]
    mics: list[CompositeMic]
    labels: list[LabelInfo]
    started_at: Time
    created_at: Time
    updated_at: Time
