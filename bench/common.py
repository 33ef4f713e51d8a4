"""The scenario interface of `python -m bench` and the helpers scenarios share.

A scenario is a module `bench/<name>.py` with

    NAME = "sound fan-out"            # a title for RESULTS.md
    def run(quick: bool) -> list[Row]: ...

`quick` asks for a short run (smaller counts, fewer repeats). A scenario may also call
`chart(...)` to have a PNG drawn next to RESULTS.md. Targets are ratios against the bare
library measured in the same run whenever the issue states them so, because absolute figures
drift between runs on this shared 2-core machine.
"""

from __future__ import annotations

import statistics
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for _extra in (ROOT / "src", ROOT / "tests"):
    if str(_extra) not in sys.path:
        sys.path.insert(0, str(_extra))


@dataclass
class Row:
    """One measured target. `ratio` is measured/bare (None when there is no bare figure);
    `met` is None when the row is informational (no target)."""

    target: str  # what is promised, e.g. "p99 latency ≤ 2× bare"
    measured: float
    unit: str
    bare: float | None = None
    ratio: float | None = None
    met: bool | None = None
    note: str = ""  # e.g. "by 12 %" or the run's parameters

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Chart:
    """A line chart: `lines` maps a legend label to (x, y) points."""

    filename: str  # e.g. "latency_vs_clients.png" (written under bench/)
    title: str
    xlabel: str
    ylabel: str
    lines: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    logx: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


CHARTS: list[Chart] = []


def chart(c: Chart) -> None:
    """Ask the runner to draw `c` (scenarios call this; the runner collects them)."""
    CHARTS.append(c)


def ratio_row(
    target: str, measured: float, bare: float, unit: str, limit: float, higher_is_better: bool
) -> Row:
    """A row whose target is `measured/bare ≤ limit` (or `≥ limit` when higher is better)."""
    r = measured / bare if bare else float("inf")
    met = r >= limit if higher_is_better else r <= limit
    gap = (limit / r - 1) if higher_is_better else (r / limit - 1)
    note = "" if met else f"missed by {gap:.0%}"
    return Row(target, measured, unit, bare, r, met, note)


def absolute_row(
    target: str, measured: float, unit: str, limit: float, higher_is_better: bool, bare=None
) -> Row:
    """A row whose target is an absolute figure (`measured ≥ limit` or `≤ limit`)."""
    met = measured >= limit if higher_is_better else measured <= limit
    gap = (limit / measured - 1) if higher_is_better and measured else (measured / limit - 1)
    ratio = measured / bare if bare else None
    return Row(target, measured, unit, bare, ratio, met, "" if met else f"missed by {gap:.0%}")


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100), nearest rank; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")
