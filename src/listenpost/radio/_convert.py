"""The one rule for plugin values, as converters (helpers of ``_fields``, pure).

**Absent, ``null`` and a blank string (``""``, whitespace) all mean "not sent"**, whatever
the plugin version (see ``_fields``). Anything else must be readable as the wanted type or
it raises :class:`NormaliseError` naming the field: numbers (floats truncate to ints) or
numeric strings for numbers; ``true``/``false``/``0``/``1`` (bool, number or string, any
case) for flags. Non-finite numbers, values outside int64 and JSON booleans where a number
is wanted are errors. ``Fields`` answers the common cases itself and calls these for the rest.
"""

from __future__ import annotations

import math
from typing import Any, Literal

ErrorKind = Literal["invalid_json", "not_object", "unknown_type", "bad_field", "missing_field"]

MS_THRESHOLD = 1e11  # a timestamp above this is in milliseconds
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
#: ints below this in size convert to a finite float; a module constant because Python
#: computes `2**1023` anew on every evaluation (it folds only small powers)
FLOAT_INT_LIMIT = 2**1023
SENTINEL_DB = 900.0  # |signal| or |noise| at/above this is trunk-recorder's "unknown" (999)


class NormaliseError(ValueError):
    """A payload that cannot be normalised; log it, count it by ``kind`` and go on."""

    def __init__(
        self, kind: ErrorKind, message: str, *, topic: str = "", msg_type: str | None = None
    ) -> None:
        super().__init__(message)
        self.kind: ErrorKind = kind
        self.message = message
        self.topic = topic
        self.msg_type = msg_type

    def __str__(self) -> str:
        where = f" (topic {self.topic!r})" if self.topic else ""
        return f"{self.kind}: {self.message}{where}"


def bad(where: str, want: str, value: Any) -> NormaliseError:
    """The ``bad_field`` error for `where`, showing at most 60 characters of the value."""
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return NormaliseError("bad_field", f"{where} must be {want}, got {shown}")


def not_sent(value: Any) -> bool:
    """The one rule: ``None`` and blank strings mean "not sent"."""
    return value is None or (isinstance(value, str) and not value.strip())


def to_float(value: Any, where: str) -> float | None:
    if not_sent(value):
        return None
    if isinstance(value, bool):
        raise bad(where, "a number", value)
    if isinstance(value, int):
        result = float(value) if abs(value) < FLOAT_INT_LIMIT else math.inf
    elif isinstance(value, float):
        result = value
    elif isinstance(value, str):
        try:
            result = float(value.strip())
        except ValueError:
            raise bad(where, "a number", value) from None
    else:
        raise bad(where, "a number", value)
    if not math.isfinite(result):
        raise bad(where, "a finite number", value)
    return result


def to_int(value: Any, where: str) -> int | None:
    """An int (floats truncate); values outside int64 are errors (they fit no column)."""
    result: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        result = value
    elif isinstance(value, str) and value.strip().lstrip("+-").isdecimal():
        try:
            result = int(value.strip())
        except ValueError:  # more digits than Python converts
            raise bad(where, "a 64-bit integer", value) from None
    if result is None:
        number = to_float(value, where)
        if number is None:
            return None
        result = int(number)
    if not INT64_MIN <= result <= INT64_MAX:
        raise bad(where, "a 64-bit integer", value)
    return result


_FLAGS = {"true": True, "false": False, "1": True, "0": False}


def to_bool(value: Any, where: str) -> bool | None:
    if not_sent(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _FLAGS:
        return _FLAGS[value.strip().lower()]
    raise bad(where, "a boolean", value)


def to_str(value: Any, where: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise bad(where, "a string", value)


def to_time(value: Any, where: str) -> float | None:
    """Unix seconds from an int, float or numeric string; milliseconds are detected."""
    return seconds(to_float(value, where))


def seconds(t: float | None) -> float | None:
    """Unix seconds; a time above `MS_THRESHOLD` was in milliseconds."""
    return t / 1000.0 if t is not None and t > MS_THRESHOLD else t


def to_db(value: Any, where: str) -> float | None:
    return level(to_float(value, where))


def level(db: float | None) -> float | None:
    """A signal or noise level; trunk-recorder's "unknown" sentinel (999) is None."""
    return None if db is not None and abs(db) >= SENTINEL_DB else db
