"""Group-by parsing, group keys and composite ids (pure, stdlib only).

A rule's ``group_by`` is a comma-separated list of ``label_id``, ``mic_id`` and
``edge_id``.  The group key always starts with the mic's edge id (``""`` when
the mic has no edge), followed by the values of the other listed fields in the
order they are listed, all joined by ``:``.  ``group_by="label_id"`` on edge
``edge-01`` therefore gives ``edge-01:normal_speech_female``; listing
``edge_id`` adds no further part (the edge always comes first).
Ids are not escaped, so ids that themselves contain ``:`` may share a key.
"""

from __future__ import annotations

import hashlib
import uuid

GROUP_FIELDS: tuple[str, ...] = ("label_id", "mic_id", "edge_id")

_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:listenpost:composite-event").bytes


def check_group_by(fields: tuple[str, ...]) -> tuple[str, ...]:
    """Validate parsed group_by fields; returns them unchanged or raises ValueError."""
    if not fields:
        raise ValueError("group_by must name at least one of: " + ", ".join(GROUP_FIELDS))
    seen: set[str] = set()
    for field in fields:
        if field not in GROUP_FIELDS:
            raise ValueError(
                f"unknown group_by field {field!r}; allowed: " + ", ".join(GROUP_FIELDS)
            )
        if field in seen:
            raise ValueError(f"group_by field {field!r} is listed twice")
        seen.add(field)
    return fields


def parse_group_by(text: str) -> tuple[str, ...]:
    """Parse ``"label_id, mic_id"`` into ``("label_id", "mic_id")``.

    Whitespace around names is ignored; an empty text, an empty item
    (``"label_id,"``), an unknown name or a repeated name raises ValueError.
    """
    if not isinstance(text, str):
        raise ValueError(f"group_by must be a string, not {type(text).__name__}")
    if not text.strip():
        raise ValueError("group_by must name at least one of: " + ", ".join(GROUP_FIELDS))
    fields = tuple(part.strip() for part in text.split(","))
    if "" in fields:
        raise ValueError(f"group_by {text!r} has an empty item")
    return check_group_by(fields)


def key_fields(group_by: tuple[str, ...]) -> tuple[str, ...]:
    """The fields that follow the edge id in a group key."""
    return tuple(f for f in group_by if f != "edge_id")


def _edge(edge: str, label: str, mic: str) -> str:
    return edge


def _edge_label(edge: str, label: str, mic: str) -> str:
    return f"{edge}:{label}"


def _edge_mic(edge: str, label: str, mic: str) -> str:
    return f"{edge}:{mic}"


def _edge_label_mic(edge: str, label: str, mic: str) -> str:
    return f"{edge}:{label}:{mic}"


def _edge_mic_label(edge: str, label: str, mic: str) -> str:
    return f"{edge}:{mic}:{label}"


# key shape (index) -> fields after the edge, and the matching fast key builder
SHAPES: tuple[tuple[str, ...], ...] = (
    (),
    ("label_id",),
    ("mic_id",),
    ("label_id", "mic_id"),
    ("mic_id", "label_id"),
)
KEYERS = (_edge, _edge_label, _edge_mic, _edge_label_mic, _edge_mic_label)


def key_shape(group_by: tuple[str, ...]) -> int:
    """Index into SHAPES / KEYERS for a validated group_by."""
    return SHAPES.index(key_fields(group_by))


def make_key(edge_id: str | None, label_id: str, mic_id: str, fields: tuple[str, ...]) -> str:
    """Build a group key from an event's ids (see the module docstring)."""
    parts = [edge_id or ""]
    for field in fields:
        parts.append(label_id if field == "label_id" else mic_id)
    return ":".join(parts)


def composite_id(rule_id: str, group_key: str, first_event_id: str) -> str:
    """Deterministic 32-hex id (a UUIDv5) of the composite whose earliest member is
    ``first_event_id``; every node computing the same composite gets the same id."""
    name = f"{rule_id}\x1f{group_key}\x1f{first_event_id}".encode()
    digest = bytearray(hashlib.sha1(_NAMESPACE + name, usedforsecurity=False).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5, as uuid.uuid5 (which is slower)
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    return digest.hex()
