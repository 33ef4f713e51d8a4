"""Lenient, typed field reading for plugin payloads (helper of ``normalise``).

One rule for every non-text field, whatever the plugin version: **absent, ``null`` and a
blank string (``""``, whitespace) all mean "not sent"**. Older plugins serialise with boost
ptree, so every value is a JSON string and what they lack is ``""`` (``"rec_num": ""``,
``"analog": ""``, an empty array as ``""``). So a number, time or flag that is not sent is
``None``; text is ``""``; an array is empty; an object is absent. Anything else must be
readable as the wanted type or it raises :class:`NormaliseError` naming the field:
numbers (floats truncate to ints) or numeric strings for numbers;
``true``/``false``/``0``/``1`` (bool, number or string, any case) for flags. Non-finite
numbers, values outside int64 and JSON booleans where a number is wanted are errors.

Each reader takes a key or a tuple of keys (the current name first, then older spellings
such as ``sysNum``); the first key that is sent is read.
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


def not_sent(value: Any) -> bool:
    """The one rule: ``None`` and blank strings mean "not sent" (see the module docstring)."""
    return value is None or (isinstance(value, str) and not value.strip())


def to_float(value: Any, where: str) -> float | None:
    if not_sent(value):
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
    result: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        result = value
    elif isinstance(value, str) and value.strip().lstrip("+-").isdecimal():
        try:
            result = int(value.strip())
        except ValueError:  # more digits than Python converts
            raise _bad(where, "a 64-bit integer", value) from None
    if result is None:
        number = to_float(value, where)
        if number is None:
            return None
        result = int(number)
    if not INT64_MIN <= result <= INT64_MAX:
        raise _bad(where, "a 64-bit integer", value)
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
    raise _bad(where, "a boolean", value)


def to_str(value: Any, where: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise _bad(where, "a string", value)


def to_time(value: Any, where: str) -> float | None:
    """Unix seconds from an int, float or numeric string; milliseconds are detected."""
    return _seconds(to_float(value, where))


def _seconds(t: float | None) -> float | None:
    return t / 1000.0 if t is not None and t > MS_THRESHOLD else t


def to_db(value: Any, where: str) -> float | None:
    return _level(to_float(value, where))


def _level(level: float | None) -> float | None:
    return None if level is not None and abs(level) >= SENTINEL_DB else level


Key = str | tuple[str, ...]


class Fields:
    """Read typed fields of one JSON object; error messages say ``<where>.<key>``. Readers
    answer the common case (the wanted type, or nothing) and hand the rest to the converters
    above, which word each error (so ``where`` is built only for one: ~40 per message)."""

    __slots__ = ("d", "where")

    def __init__(self, d: Mapping[str, Any], where: str) -> None:
        self.d = d
        self.where = where

    def _w(self, key: str) -> str:
        return f"{self.where}.{key}"

    def _get(self, keys: Key) -> tuple[Any, str]:
        """The value of the first key that is sent (else ``None``) and that key's name."""
        if isinstance(keys, str):
            value = self.d.get(keys)
            return (None if not_sent(value) else value), keys
        for name in keys:
            value = self.d.get(name)
            if not not_sent(value):
                return value, name
        return None, keys[0]

    def has(self, key: str) -> bool:
        """Whether the key is there at all (even blank): tells which naming a payload uses."""
        return self.d.get(key) is not None

    def num(self, key: Key) -> int | None:
        value, name = self._get(key)
        if value is None:
            return None
        if type(value) is int and INT64_MIN <= value <= INT64_MAX:
            return value
        return to_int(value, self._w(name))

    def real(self, key: Key) -> float | None:
        value, name = self._get(key)
        if value is None:
            return None
        if type(value) is float and math.isfinite(value):
            return value
        if type(value) is int and abs(value) < 2**1023:
            return float(value)
        return to_float(value, self._w(name))

    def time(self, key: Key) -> float | None:
        return _seconds(self.real(key))

    def db(self, key: Key) -> float | None:
        return _level(self.real(key))

    def opt_text(self, key: Key) -> str | None:
        value, name = self._get(key)
        if value is None or type(value) is str:
            return value  # type: ignore[no-any-return]
        return to_str(value, self._w(name))

    def text(self, key: Key, default: str = "") -> str:
        value = self.opt_text(key)
        return default if value is None else value

    def opt_flag(self, key: Key) -> bool | None:
        value, name = self._get(key)
        if value is None or value is True or value is False:
            return value  # type: ignore[no-any-return]
        return to_bool(value, self._w(name))

    def flag(self, key: Key, default: bool = False) -> bool:
        value = self.opt_flag(key)
        return default if value is None else value

    def _missing(self, key: Key) -> NormaliseError:
        return NormaliseError("missing_field", f"{self._w(self._get(key)[1])} is required")

    def req_num(self, key: Key) -> int:
        value = self.num(key)
        if value is None:
            raise self._missing(key)
        return value

    def req_text(self, key: Key, fallback: str | None = None) -> str:
        value = self.opt_text(key) or fallback
        if not value:
            raise self._missing(key)
        return value

    def obj(self, key: Key) -> Fields | None:
        value, name = self._get(key)
        if value is None:
            return None
        where = self._w(name)
        if not isinstance(value, Mapping):
            raise _bad(where, "an object", value)
        return Fields(value, where)

    def req_obj(self, key: Key) -> Fields:
        found = self.obj(key)
        if found is None:
            raise self._missing(key)
        return found

    def items(self, key: Key, *, required: bool = False) -> list[Any]:
        """An array's items; ``""`` is an empty array (boost ptree writes ``[]`` so)."""
        names = (key,) if isinstance(key, str) else key
        present = [n for n in names if self.d.get(n) is not None]
        if not present:
            if required:
                raise self._missing(key)
            return []
        value = self.d[present[0]]
        if not_sent(value):
            return []
        if not isinstance(value, list):
            raise _bad(self._w(present[0]), "an array", value)
        return value

    def entry(self, key: str, i: int, item: Any) -> Fields:
        """Item ``i`` of array ``key`` as an object (else a ``bad_field`` naming it)."""
        where = f"{self._w(key)}[{i}]"
        if not isinstance(item, Mapping):
            raise _bad(where, "an object", item)
        return Fields(item, where)

    def objs(self, key: str, *, required: bool = False) -> list[Fields]:
        return [self.entry(key, i, x) for i, x in enumerate(self.items(key, required=required))]

    def ints(self, key: Key) -> tuple[int, ...]:
        """An array of ints; a non-array (the plugin sends ``""`` for none) is empty."""
        value, name = self._get(key)
        if not isinstance(value, list):
            return ()
        where = self._w(name)
        out = []
        for i, item in enumerate(value):
            number = to_int(item, f"{where}[{i}]")
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
