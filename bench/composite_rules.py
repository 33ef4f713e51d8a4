"""Scenario: the pure composite engine's events/s with 1, 100 and 1000 rules (bench/composite.py
holds the workload; run that script for the detailed figures)."""

from __future__ import annotations

import gc
import random
import time

from .common import Chart, Row, chart
from .composite import make_events, make_rules

NAME = "composite rules (engine only)"


def _rate(n_rules: int, events: list, any_label: float = 0.02) -> float:
    from listenpost.composite.engine import Engine

    engine = Engine(make_rules(n_rules, random.Random(n_rules), any_label))
    gc.collect()
    start = time.perf_counter()
    for i, event in enumerate(events):
        engine.feed(event)
        if i % 10_000 == 9_999:
            engine.expire(event.created_at - 60)
    return len(events) / (time.perf_counter() - start)


def run(quick: bool) -> list[Row]:
    events = make_events(20_000 if quick else 100_000, random.Random(1))
    rates = {n: max(_rate(n, events) for _ in range(1 if quick else 2)) for n in (1, 100, 1000)}
    chart(
        Chart(
            "composite_rules.png",
            "Composite engine: events/s vs rules",
            "rules",
            "events/s",
            {"listenpost engine": sorted(rates.items())},
            logx=True,
        )
    )
    rows = [Row(f"engine events/s, {n} rules", r, "events/s") for n, r in rates.items()]
    note = "cost follows the rules an event matches (rule 0 takes every event), not the count"
    rows.append(Row("engine events/s, 1000 rules / 1 rule", rates[1000] / rates[1], "×", note=note))
    return rows
