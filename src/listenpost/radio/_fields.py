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
such as ``sysNum``); the first key that is sent is read. The converters are in ``_convert``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._convert import (
    FLOAT_INT_LIMIT,
    INT64_MAX,
    INT64_MIN,
    ErrorKind,
    NormaliseError,
    bad,
    level,
    not_sent,
    seconds,
    to_bool,
    to_float,
    to_int,
    to_str,
)

__all__ = [
    "INT64_MAX",
    "INT64_MIN",
    "Ctx",
    "ErrorKind",
    "Fields",
    "Key",
    "NormaliseError",
    "not_sent",
    "topic_system",
]

Key = str | tuple[str, ...]


class Fields:
    """Read typed fields of one JSON object; error messages say ``<where>.<key>``. Readers
    answer the common case (the wanted type, or nothing) and hand the rest to the converters
    (``_convert``), which word each error (so ``where`` is built only for one: ~40 per
    message). A single key is looked up directly: a blank string is not the wanted type, so
    it reaches the converter, which reads it as not sent."""

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

    def _first(self, keys: Key) -> Any:
        """The value of the first of several keys that is sent, else ``None``."""
        for name in (keys,) if isinstance(keys, str) else keys:
            value = self.d.get(name)
            if not not_sent(value):
                return value
        return None

    def _where(self, keys: Key) -> str:
        """``<where>.<key>`` for the key read (the converters' error messages name it)."""
        return self._w(self._get(keys)[1])

    def has(self, key: str) -> bool:
        """Whether the key is there at all (even blank): tells which naming a payload uses."""
        return self.d.get(key) is not None

    def num(self, key: Key) -> int | None:
        value = self.d.get(key) if type(key) is str else self._first(key)
        if value is None:
            return None
        if type(value) is int and INT64_MIN <= value <= INT64_MAX:
            return value
        return to_int(value, self._where(key))

    def real(self, key: Key) -> float | None:
        value = self.d.get(key) if type(key) is str else self._first(key)
        if value is None:
            return None
        if type(value) is float and math.isfinite(value):
            return value
        if type(value) is int and abs(value) < FLOAT_INT_LIMIT:
            return float(value)
        return to_float(value, self._where(key))

    def time(self, key: Key) -> float | None:
        return seconds(self.real(key))

    def db(self, key: Key) -> float | None:
        return level(self.real(key))

    def opt_text(self, key: Key) -> str | None:
        value = self.d.get(key) if type(key) is str else self._first(key)
        if value is None:
            return None
        if type(value) is str:
            return value if value.strip() else None
        return to_str(value, self._where(key))

    def text(self, key: Key, default: str = "") -> str:
        value = self.d.get(key) if type(key) is str else self._first(key)
        if type(value) is str and value.strip():
            return value
        if value is None or type(value) is str:
            return default
        return to_str(value, self._where(key)) or default  # str(number), or an error

    def opt_flag(self, key: Key) -> bool | None:
        value = self.d.get(key) if type(key) is str else self._first(key)
        if value is None or value is True or value is False:
            return value  # type: ignore[no-any-return]
        return to_bool(value, self._where(key))

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
            raise bad(where, "an object", value)
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
            raise bad(self._w(present[0]), "an array", value)
        return value

    def entry(self, key: str, i: int, item: Any) -> Fields:
        """Item ``i`` of array ``key`` as an object (else a ``bad_field`` naming it)."""
        where = f"{self._w(key)}[{i}]"
        if not isinstance(item, Mapping):
            raise bad(where, "an object", item)
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
