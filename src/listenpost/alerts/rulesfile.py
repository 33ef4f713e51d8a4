"""Alert targets and rules from the rules file (`--rules FILE`): `alert_targets:` and
`alert_rules:` beside the composite `rules:`, each entry as the API takes it plus an `id`.

They are upserted at startup, so the file wins over API edits of the same ids; entries
the file no longer lists are left alone (delete them through the API).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..composite.rulesfile import load
from ..errors import ApiError
from ..store import alerts as store
from ..timeutil import now_us

if TYPE_CHECKING:
    from ..node import Node


def _entries(data: Any, key: str, path: str) -> list[dict[str, Any]]:
    items = data.get(key) if isinstance(data, dict) else None
    if items is None:
        return []
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ValueError(f"{path}: '{key}' must be a list of mappings")
    for index, item in enumerate(items):
        if not item.get("id"):
            raise ValueError(f"{path}: {key}[{index}]: needs an 'id' so restarts keep it")
    return items


async def load_alert_rules(node: Node, path: str) -> None:
    """Validate everything first (ValueError naming the entry), then store it."""
    from .setup_api import rule_row, target_row

    data = load(path)
    targets, rules = _entries(data, "alert_targets", path), _entries(data, "alert_rules", path)
    if not targets and not rules:
        return
    now = now_us()
    target_rows, rule_rows = [], []
    async with node.engine.connect() as conn:
        known = {r["id"] for r in await store.all_of(conn, "target")}
    known |= {t["id"] for t in targets}
    for key, items in (("alert_targets", targets), ("alert_rules", rules)):
        for index, item in enumerate(items):
            try:
                if key == "alert_targets":
                    target_rows.append(target_row(node, item, now, None))
                else:
                    from .model import check_rule

                    rule_rows.append(rule_row(check_rule(item, known), now))
            except ApiError as exc:
                raise ValueError(f"{path}: {key}[{index}]: {exc.message}") from exc
    for row in target_rows:
        await store.upsert(node.engine, "target", row)
    for row in rule_rows:
        await store.upsert(node.engine, "rule", row)
