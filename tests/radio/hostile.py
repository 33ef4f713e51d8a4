"""Hostile MQTT payloads built on real message shapes (the corpus and the shared examples):
any field replaced by a wrong type, a huge int, NaN/Infinity spelt as a string, a blank
string or a deeply nested array. Shared by the pure and the end-to-end fuzz tests."""

from __future__ import annotations

import json
from typing import Any

from corpus import corpus_messages, shared_messages
from hypothesis import strategies as st

from listenpost.radio._fields import INT64_MAX, INT64_MIN


def _templates() -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """Real messages by type (``status`` has no type key: it is the plugin status)."""
    out: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for _, topic, payload in corpus_messages() + shared_messages():
        obj = json.loads(payload)
        out.setdefault(obj.get("type", "status"), []).append((topic, obj))
    return out


TEMPLATES = _templates()
TYPES = sorted(TEMPLATES)

NUMERIC_WORDS = ["nan", "NaN", "inf", "-Infinity", "1e400", "-1e400", "0x1A", "1_000", "9" * 40]
HOSTILE_SCALARS = (
    st.none()
    | st.booleans()
    | st.sampled_from([0, -1, 1, 2**31, 2**53 + 1, INT64_MAX, INT64_MAX + 1, INT64_MIN - 1])
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(["", " ", "\t\n", "true", "false", "0", "1", "-0", "+5", "3.7", "1e5"])
    | st.sampled_from(NUMERIC_WORDS)
    | st.text(max_size=12)
)
HOSTILE = st.recursive(
    HOSTILE_SCALARS,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)
_MARK = "__DEEP__"  # replaced by a deeply nested array in the JSON text


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


def _set(obj: Any, path: tuple[Any, ...], value: Any) -> None:
    for step in path[:-1]:
        obj = obj[step]
    obj[path[-1]] = value


@st.composite
def hostile_message(draw: st.DrawFn, msg_type: str) -> tuple[str, str]:
    """(topic, payload text): a real ``msg_type`` message with 1-4 fields made hostile."""
    topic, template = draw(st.sampled_from(TEMPLATES[msg_type]))
    payload = json.loads(json.dumps(template))
    for path in draw(st.lists(st.sampled_from(_paths(payload)[1:]), min_size=1, max_size=4)):
        try:
            _set(payload, path, draw(HOSTILE | st.just(_MARK)))
        except (KeyError, IndexError, TypeError):  # an earlier change removed the parent
            continue
    depth = draw(st.sampled_from([50, 900, 5000]))
    return topic, json.dumps(payload).replace(json.dumps(_MARK), "[" * depth + "]" * depth)


ANY_HOSTILE_MESSAGE = st.sampled_from(TYPES).flatmap(hostile_message)
