"""Load composite rules from a YAML or TOML file at startup (`--rules FILE`)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ..errors import ApiError, describe_validation

ALERT_KEYS = {"alert_rules", "alert_targets"}  # read by listenpost.alerts.rulesfile


def load(path: str) -> Any:
    text = Path(path).read_text()
    return tomllib.loads(text) if path.endswith(".toml") else yaml.safe_load(text)


def read_rules(path: str) -> list[dict[str, Any]]:
    """Return validated rule dicts, each with an `id`. Raises ValueError naming the problem.

    The file holds `rules: [...]` (YAML or TOML `[[rules]]`) or a bare YAML list.
    """
    from .api import RuleCreate, check_rule_values

    data = load(path)
    items = data.get("rules") if isinstance(data, dict) else data
    if isinstance(data, dict) and "rules" not in data and set(data) & ALERT_KEYS:
        items = []  # a file of alert rules only
    if not isinstance(items, list):
        raise ValueError(f"{path}: expected a list of rules under 'rules'")
    rules = []
    for index, item in enumerate(items):
        where = f"{path}: rules[{index}]"
        try:
            body = RuleCreate.model_validate(item)
            values = check_rule_values(body.model_dump())
        except ValidationError as exc:
            raise ValueError(f"{where}: {describe_validation(list(exc.errors()))}") from exc
        except ApiError as exc:
            raise ValueError(f"{where}: {exc.message}") from exc
        if not body.id:
            raise ValueError(f"{where}: rules in a file need an 'id' so restarts keep them")
        values["enabled"] = True if body.enabled is None else body.enabled
        rules.append(values)
    return rules
