"""The composite leader's cursor over `seq`: each offset handled once, holes waited for
(a slower transaction commits later) and skipped only after the patience runs out."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from listenpost.cluster.seq import SeqCursor


def test_each_offset_is_taken_once_and_the_prefix_advances() -> None:
    cursor = SeqCursor(10)
    assert [cursor.take(s) for s in (11, 12, 12, 10, 13)] == [True, True, False, False, True]
    cursor.settle(now=0.0, patience=5.0)
    assert cursor.done == 13 and not cursor.above


def test_a_hole_is_waited_for_then_filled_by_a_late_commit() -> None:
    cursor = SeqCursor(0)
    for s in (1, 3, 4):
        cursor.take(s)
    cursor.settle(now=0.0, patience=5.0)
    assert cursor.done == 1  # 2 may still commit
    cursor.settle(now=4.0, patience=5.0)
    assert cursor.done == 1
    assert cursor.take(2)  # the slow transaction committed: 2 is handled, not lost
    cursor.settle(now=4.5, patience=5.0)
    assert cursor.done == 4


def test_a_hole_open_past_the_patience_counts_as_a_rollback() -> None:
    cursor = SeqCursor(0, taken=[2, 3])
    cursor.settle(now=0.0, patience=5.0)
    cursor.settle(now=5.0, patience=5.0)
    assert cursor.done == 3
    assert not cursor.take(1)  # given up: a very late 1 is not handled twice either


@given(st.permutations(list(range(1, 40))), st.sets(st.integers(1, 39)))
def test_every_committed_offset_is_taken_exactly_once(order: list[int], lost: set[int]) -> None:
    cursor = SeqCursor(0)
    taken: list[int] = []
    for now, seq in enumerate(order):
        if seq not in lost:
            for offered in (seq, seq):  # offered twice: by the ingest hook and the feed
                if cursor.take(offered):
                    taken.append(offered)
        cursor.settle(now=now * 0.1, patience=100.0)
    assert sorted(taken) == sorted(set(range(1, 40)) - lost)
