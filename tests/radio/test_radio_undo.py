"""The journaling dict behind the radio state's rollback: a failed transaction undoes exactly
its own changes, and nothing that bypasses the journal is allowed."""

from __future__ import annotations

import pytest

from listenpost.radio.undo import UndoDict


def test_undo_restores_exactly_what_changed_since_the_mark() -> None:
    d: UndoDict[str, int] = UndoDict()
    d["kept"], d["changed"], d["deleted"], d["popped"] = 1, 2, 3, 4
    d.forget()
    mark = d.mark()
    d["changed"] = 20
    d["added"] = 5
    del d["deleted"]
    assert d.pop("popped") == 4 and d.pop("absent", None) is None
    with pytest.raises(KeyError):
        d.pop("absent")  # as a dict does, and nothing is journaled for it
    assert d.journal_size == 4
    d.undo(mark)
    assert d == {"kept": 1, "changed": 2, "deleted": 3, "popped": 4}


def test_mutators_that_would_bypass_the_journal_are_refused() -> None:
    d: UndoDict[str, int] = UndoDict()
    for mutate in (lambda: d.update(a=1), lambda: d.setdefault("a", 1), d.popitem, d.clear):
        with pytest.raises(TypeError, match="journals only"):
            mutate()
    assert d == {}
