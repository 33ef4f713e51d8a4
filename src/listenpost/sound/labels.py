"""The 13 documented Deeply labels (deeply-api.md §4), with English and Korean names."""

from __future__ import annotations

from typing import Any

_LABELS: list[tuple[str, str]] = [
    ("sound_level", "소리 크기"),
    ("breathing_heavily", "거친 숨소리"),
    ("crying", "울음"),
    ("scream_female", "비명(여성)"),
    ("scream_male", "비명(남성)"),
    ("aggressive_yell_female", "고함(여성)"),
    ("aggressive_yell_male", "고함(남성)"),
    ("normal_speech_female", "대화(여성)"),
    ("normal_speech_male", "대화(남성)"),
    ("save_me", "살려주세요"),
    ("help_me", "도와주세요"),
    ("physical_impacts", "충격음"),
    ("glass_break", "유리 깨짐"),
]

LABELS: dict[str, dict[str, Any]] = {
    label_id: {"id": label_id, "name": {"ko": ko, "en": label_id.replace("_", " ")}, "active": True}
    for label_id, ko in _LABELS
}

# Misspellings found in the old Deeply docs, accepted as threshold keys.
ALIASES = {"screem_male": "scream_male", "screem_female": "scream_female"}


def label_summary(label_id: str) -> dict[str, Any]:
    """`{id, name{ko,en}}` as in the public event and live frames."""
    label = LABELS.get(label_id) or {"id": label_id, "name": {"ko": label_id, "en": label_id}}
    return {"id": label["id"], "name": label["name"]}
