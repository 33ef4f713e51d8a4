"""The real-capture corpus: tests/fixtures/trunk-recorder/*.jsonl (see SOURCES.md there),
plus the shared fixture set (plugin documentation examples), as (source, topic, payload)."""

from __future__ import annotations

import json
from pathlib import Path

from support import SHARED

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "trunk-recorder"
SHARED_FIXTURES = SHARED / "fixtures" / "trunk-recorder-mqtt"


def _payload(value: object) -> bytes:
    return (value if isinstance(value, str) else json.dumps(value)).encode()


def corpus_messages() -> list[tuple[str, str, bytes]]:
    """Every corpus message in file order: (``file:line``, topic, payload bytes)."""
    out = []
    for path in sorted(CORPUS.glob("*.jsonl")):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if line.strip():
                item = json.loads(line)
                out.append((f"{path.name}:{n}", item["topic"], _payload(item["payload"])))
    return out


def shared_messages() -> list[tuple[str, str, bytes]]:
    """The shared documentation examples (topics.json order), when that folder exists."""
    topics = SHARED_FIXTURES / "topics.json"
    if not topics.exists():
        return []
    names = json.loads(topics.read_text())
    return [(f"shared/{n}", t, (SHARED_FIXTURES / n).read_bytes()) for n, t in names.items()]
