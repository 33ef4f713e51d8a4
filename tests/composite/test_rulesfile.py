"""`--rules FILE`: what is wrong with a composite rules file is named with the rule's index,
before the server touches anything (the startup tests check the one line it becomes)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from listenpost.composite.rulesfile import read_rules

GLASS = "id: glass\n    name: Glass\n    window_seconds: 10\n    min_events: 1\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rules:\n  glass: {}\n", "expected a list of rules under 'rules'"),
        (f"rules:\n  - {GLASS}    group_by: colour\n", "rules[0]: group_by: unknown group_by"),
        (
            f"rules:\n  - {GLASS}    group_by: mic_id\n    include_label_ids: [barking]\n",
            "rules[0]: include_label_ids: unknown label 'barking'",
        ),
        (
            "rules:\n  - name: Glass\n    window_seconds: 10\n    min_events: 1\n"
            "    group_by: mic_id\n",
            "rules[0]: rules in a file need an 'id' so restarts keep them",
        ),
    ],
)
def test_a_bad_rules_file_names_the_rule_and_the_problem(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    with pytest.raises(ValueError, match=re.escape(message)) as exc:
        read_rules(str(path))
    assert str(exc.value).startswith(str(path))


def test_alert_rules_only_is_no_composite_rule(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text('[[alert_rules]]\nid = "a"\n')
    assert read_rules(str(path)) == []
