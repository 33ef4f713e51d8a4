"""The packaged trunk-recorder fixtures (see fixtures/SOURCES.md), read once."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


@cache
def load() -> dict[str, dict[str, Any]]:
    """File stem -> payload, for every `fixtures/*.json` of the package."""
    folder = resources.files(__package__) / "fixtures"
    return {
        entry.name.removesuffix(".json"): json.loads(entry.read_text())
        for entry in folder.iterdir()
        if entry.name.endswith(".json")
    }
