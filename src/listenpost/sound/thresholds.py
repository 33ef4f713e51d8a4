"""Pure threshold logic: the two documented input forms and the suppression decision."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .labels import ALIASES, LABELS

Threshold = dict[str, float | None]  # {"sound_level_ge": dB | None, "confidence": 0..1 | None}


def _number(value: Any, where: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{where}: must be a number")
    if not low <= value <= high:
        raise ValueError(f"{where}: must be between {low:g} and {high:g}")
    return float(value)


def merge(current: dict[str, Threshold], patch: dict[str, Any]) -> dict[str, Threshold]:
    """Apply a thresholds PATCH: per label, a bare number sets `confidence` (keeping
    `sound_level_ge`), an object sets the fields it names. Labels not named keep theirs.
    (The request model has already refused a `thresholds` that is not an object.)"""
    result = {k: dict(v) for k, v in current.items()}
    for raw_id, value in patch.items():
        label_id = ALIASES.get(raw_id, raw_id)
        where = f"thresholds.{raw_id}"
        if label_id not in LABELS:
            raise ValueError(f"{where}: unknown label id")
        entry = result.get(label_id, {"sound_level_ge": None, "confidence": None})
        if isinstance(value, dict):
            unknown = set(value) - {"sound_level_ge", "confidence"}
            if unknown:
                raise ValueError(f"{where}: unknown field(s) {sorted(unknown)}")
            if "confidence" in value:
                entry["confidence"] = _opt(value["confidence"], f"{where}.confidence", 0, 1)
            if "sound_level_ge" in value:
                entry["sound_level_ge"] = _opt(
                    value["sound_level_ge"], f"{where}.sound_level_ge", 0, 200
                )
        else:
            entry["confidence"] = _number(value, where, 0, 1)
        result[label_id] = entry
    return result


def _opt(value: Any, where: str, low: float, high: float) -> float | None:
    return None if value is None else _number(value, where, low, high)


def judge(threshold: Threshold | None, confidence: float, sound_level: float | None) -> bool:
    """True when the event passes (is not suppressed). No sound level: confidence alone."""
    if not threshold:
        return True
    need_conf = threshold.get("confidence")
    if need_conf is not None and confidence < need_conf:
        return False
    need_level = threshold.get("sound_level_ge")
    if need_level is not None and sound_level is not None and sound_level < need_level:
        return False
    return True


def truncate6(value: float) -> float:
    """Confidence is truncated (not rounded) to six decimals, as documented."""
    return int(Decimal(repr(float(value))) * 1_000_000) / 1_000_000
