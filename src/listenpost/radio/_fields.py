"""Lenient, typed field reading for plugin payloads (helper of ``normalise``).

Absent or ``null`` fields give ``None`` (or the text default ``""``). A present field of a
type that cannot be read as the wanted one raises :class:`NormaliseError` naming it.
Accepted spellings: numbers for ints/floats (floats truncate to ints), numeric strings,
``true``/``false``/``0``/``1`` (bool, number or string) for flags. Non-finite numbers and
JSON booleans where a number is wanted are errors.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

ErrorKind = Literal["invalid_json", "not_object", "unknown_type", "bad_field", "missing_field"]

MS_THRESHOLD = 1e11  # a timestamp above this is in milliseconds
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
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


def _bad(where: str, want: str, value: Any) -> NormaliseError:
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return NormaliseError("bad_field", f"{where} must be {want}, got {shown}")


def to_float(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise _bad(where, "a number", value)
    if isinstance(value, int):
        result = float(value) if abs(value) < 2**1023 else math.inf
    elif isinstance(value, float):
        result = value
    elif isinstance(value, str):
        try:
            result = float(value.strip())
        except ValueError:
            raise _bad(where, "a number", value) from None
    else:
        raise _bad(where, "a number", value)
    if not math.isfinite(result):
        raise _bad(where, "a finite number", value)
    return result


def to_int(value: Any, where: str) -> int | None:
    """An int (floats truncate); values outside int64 are errors (they fit no column)."""
    result: int | None
    if isinstance(value, int) and not isinstance(value, bool):
        result = value
    else:
        try:
            result = int(value.strip()) if isinstance(value, str) else None
        except ValueError:
            result = None
        if result is None:
            number = to_float(value, where)
            if number is None:
                return None
            result = int(number)
    if not INT64_MIN <= result <= INT64_MAX:
        raise _bad(where, "a 64-bit integer", value)
    return result


def to_bool(value: Any, where: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "0", "1"):
        return value.strip().lower() in ("true", "1")
    raise _bad(where, "a boolean", value)


def to_str(value: Any, where: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise _bad(where, "a string", value)


def to_time(value: Any, where: str) -> float | None:
    """Unix seconds from an int, float or numeric string; milliseconds are detected."""
    seconds = to_float(value, where)
    if seconds is not None and seconds > MS_THRESHOLD:
        seconds /= 1000.0
    return seconds


def to_db(value: Any, where: str) -> float | None:
    level = to_float(value, where)
    if level is not None and abs(level) >= SENTINEL_DB:
        return None
    return level


class Fields:
    """Read typed fields of one JSON object; error messages say ``<where>.<key>``."""

    __slots__ = ("d", "where")

    def __init__(self, d: Mapping[str, Any], where: str) -> None:
        self.d = d
        self.where = where

    def _w(self, key: str) -> str:
        return f"{self.where}.{key}"

    def has(self, key: str) -> bool:
        return self.d.get(key) is not None

    def num(self, key: str) -> int | None:
        return to_int(self.d.get(key), self._w(key))

    def real(self, key: str) -> float | None:
        return to_float(self.d.get(key), self._w(key))

    def time(self, key: str) -> float | None:
        return to_time(self.d.get(key), self._w(key))

    def db(self, key: str) -> float | None:
        return to_db(self.d.get(key), self._w(key))

    def text(self, key: str, default: str = "") -> str:
        value = to_str(self.d.get(key), self._w(key))
        return default if value is None else value

    def opt_text(self, key: str) -> str | None:
        return to_str(self.d.get(key), self._w(key))

    def flag(self, key: str, default: bool = False) -> bool:
        value = to_bool(self.d.get(key), self._w(key))
        return default if value is None else value

    def opt_flag(self, key: str) -> bool | None:
        return to_bool(self.d.get(key), self._w(key))

    def req_num(self, key: str) -> int:
        value = self.num(key)
        if value is None:
            raise NormaliseError("missing_field", f"{self._w(key)} is required")
        return value

    def req_text(self, key: str, fallback: str | None = None) -> str:
        value = self.opt_text(key) or fallback
        if not value:
            raise NormaliseError("missing_field", f"{self._w(key)} is required")
        return value

    def obj(self, key: str) -> Fields | None:
        value = self.d.get(key)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise _bad(self._w(key), "an object", value)
        return Fields(value, self._w(key))

    def req_obj(self, key: str) -> Fields:
        found = self.obj(key)
        if found is None:
            raise NormaliseError("missing_field", f"{self._w(key)} is required")
        return found

    def objs(self, key: str, *, required: bool = False) -> list[Fields]:
        value = self.d.get(key)
        if value is None:
            if required:
                raise NormaliseError("missing_field", f"{self._w(key)} is required")
            return []
        if not isinstance(value, list):
            raise _bad(self._w(key), "an array", value)
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, Mapping):
                raise _bad(f"{self._w(key)}[{i}]", "an object", item)
            out.append(Fields(item, f"{self._w(key)}[{i}]"))
        return out

    def ints(self, key: str) -> tuple[int, ...]:
        """An array of ints; a non-array (the plugin sends ``""`` for none) is empty."""
        value = self.d.get(key)
        if not isinstance(value, list):
            return ()
        out = []
        for i, item in enumerate(value):
            number = to_int(item, f"{self._w(key)}[{i}]")
            if number is not None:
                out.append(number)
        return tuple(out)


@dataclass(frozen=True, slots=True)
class Ctx:
    """Where a message came from: topic, dispatched type, envelope fields."""

    topic: str
    msg_type: str
    instance_id: str | None
    timestamp: float | None


def topic_system(ctx: Ctx) -> str | None:
    """``p25trunk`` from ``units/p25trunk/on`` (``<base>/<sys_name>/<type>``)."""
    parts = ctx.topic.split("/")
    return parts[-2] if len(parts) >= 3 and parts[-1] == ctx.msg_type and parts[-2] else None
