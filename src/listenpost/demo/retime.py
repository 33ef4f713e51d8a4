"""Fresh times for a recorded trunk-recorder message, keeping each value's JSON type.

A message is moved as a whole: every time in it shifts by the distance from its envelope
`timestamp` to the new time, so a call's start stays the same seconds before the message
that reports it. Numbers stay numbers and numeric strings stay strings (older plugins send
`"1686700985"`); millisecond fields shift in milliseconds; ISO texts (the console's `time`)
stay ISO texts.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

SECONDS = frozenset({"timestamp", "start_time", "stop_time", "process_call_time", "time"})
MILLISECONDS = frozenset({"start_time_ms", "stop_time_ms"})


def retime(message: dict[str, Any], at: float) -> dict[str, Any]:
    """A copy of `message` as if published at `at` (Unix seconds). A message without a
    numeric `timestamp` (the plugin status) is copied unchanged."""
    stamp = _number(message.get("timestamp"))
    if stamp is None:
        return _shift(message, 0)
    return _shift(message, int(at) - int(stamp))


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _shift(value: Any, delta: int, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _shift(v, delta, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_shift(v, delta, key) for v in value]
    if key in MILLISECONDS:
        return _moved(value, delta * 1000)
    if key in SECONDS:
        return _moved(value, delta)
    return value


def _moved(value: Any, delta: int) -> Any:
    number = _number(value)
    if number is None:
        return _moved_iso(value, delta)
    if isinstance(value, str):
        return str(int(number) + delta) if number == int(number) else str(number + delta)
    return value + delta


def _moved_iso(value: Any, delta: int) -> Any:
    if not isinstance(value, str):
        return value
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return value
    return (when + timedelta(seconds=delta)).isoformat()
