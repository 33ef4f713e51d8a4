"""The field readers' fast paths answer exactly what the converters answer.

`Fields.num`, `.real`, `.time`, `.db`, `.opt_text` and `.opt_flag` take the common case
(the wanted type, or nothing sent) themselves and hand the rest to `to_int`, `to_float`,
... which word every error. Here any JSON value, under any spelling of a key, must give the
same value (and type) or the same error message as the converter given the first key sent.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from listenpost.radio._convert import (
    NormaliseError,
    not_sent,
    to_bool,
    to_db,
    to_float,
    to_int,
    to_str,
    to_time,
)
from listenpost.radio._fields import Fields

REFERENCE = {
    "num": to_int,
    "real": to_float,
    "time": to_time,
    "db": to_db,
    "opt_text": to_str,
    "opt_flag": to_bool,
}
KEYS = ["a", "b", "c"]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 2**1023, -(2**1023), 2**1024]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e11, 1e11 + 1, 1.7e12, 899.9, 900.0, -999.0, 0.0, -0.0]),
    st.text(max_size=8),
    st.sampled_from(["", " ", "12", " 7 ", "-3", "+4", "1.5", "1e400", "nan", "true", "0"]),
)
values = st.one_of(scalars, st.lists(scalars, max_size=2), st.dictionaries(st.text(), scalars))


def outcome(fn: Any, *args: Any) -> tuple[Any, ...]:
    try:
        result = fn(*args)
    except NormaliseError as exc:
        return ("error", exc.kind, exc.message)
    return ("ok", type(result), result if result == result else "nan")


def reference(d: dict[str, Any], keys: str | tuple[str, ...], method: str) -> tuple[Any, ...]:
    names = (keys,) if isinstance(keys, str) else keys
    sent = next((n for n in names if not not_sent(d.get(n))), None)
    value = None if sent is None else d[sent]
    return outcome(REFERENCE[method], value, f"msg.{sent or names[0]}")


@settings(max_examples=3000, deadline=None)
@given(
    st.dictionaries(st.sampled_from(KEYS), values),
    st.one_of(st.sampled_from(KEYS), st.permutations(KEYS).map(tuple)),
    st.sampled_from(sorted(REFERENCE)),
)
def test_readers_answer_what_the_converters_answer(
    d: dict[str, Any], keys: str | tuple[str, ...], method: str
) -> None:
    got = outcome(getattr(Fields(d, "msg"), method), keys)
    assert got == reference(d, keys, method)


@settings(max_examples=2000, deadline=None)
@given(
    st.dictionaries(st.sampled_from(KEYS), values),
    st.one_of(st.sampled_from(KEYS), st.permutations(KEYS).map(tuple)),
    st.sampled_from(["", "fallback"]),
)
def test_text_answers_what_opt_text_and_its_default_answer(
    d: dict[str, Any], keys: str | tuple[str, ...], default: str
) -> None:
    got = outcome(Fields(d, "msg").text, keys, default)
    read = reference(d, keys, "opt_text")
    want = read if read[0] == "error" or read[2] is not None else ("ok", str, default)
    assert got == want
