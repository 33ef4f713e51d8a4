"""Throughput of the pure composite engine: `python bench/composite.py [--events N]`.

10,000 mics spread over 100 edges (100 mics each), 100 labels with a Zipf-like frequency.
Rule 0 takes every event, grouped by mic (10,000 groups); the others have varied include
lists (1-3 labels, 2% any label; 30% also 200-2,000 mics) and are grouped by mic (10,000
groups), by mic+label or by edge+label.  All use window 30 s and min_events 3.  Events
arrive at 2,000/s of event time; 5% are up to 5 s out of order and 0.5% are 2 minutes
late.  `expire(now - 60)` runs every 10,000 events and its cost is included.

Prints base events/s through `Engine.feed` (best of --repeat runs) for 1, 100 and 1000
rules, with how many rules match an event on average: the cost per event follows that
number (and the composites it causes), not the number of rules.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from listenpost.composite.engine import (  # noqa: E402
    BaseEvent,
    CompositeJoined,
    CompositeOpened,
    Engine,
    RuleSpec,
)

EDGES = 100
MICS_PER_EDGE = 100
LABELS = [f"label_{i:03}" for i in range(100)]
LABEL_WEIGHTS = [1 / (i + 1) for i in range(len(LABELS))]  # Zipf-like: speech is common
MICS = [f"mic_{i:05}" for i in range(EDGES * MICS_PER_EDGE)]
EDGE_OF = {m: f"edge_{i // MICS_PER_EDGE:03}" for i, m in enumerate(MICS)}


def make_rules(n: int, rng: random.Random, any_label: float) -> list[RuleSpec]:
    # rule 0 sees every event, grouped by mic: the 10,000 groups of the 1-rule run
    rules = [RuleSpec("rule_0000", 30.0, 3, ("mic_id",))]
    for i in range(1, n):
        labels = frozenset(rng.sample(LABELS, rng.randint(1, 3)))
        if rng.random() < any_label:
            labels = frozenset()  # = any label
        mics = frozenset(rng.sample(MICS, rng.choice([200, 500, 2000])))
        if rng.random() >= 0.3:
            mics = frozenset()  # = any mic
        group_by = rng.choice([("mic_id",)] * 3 + [("mic_id", "label_id"), ("label_id",)])
        rules.append(RuleSpec(f"rule_{i:04}", 30.0, 3, group_by, labels, mics))
    return rules


def make_events(n: int, rng: random.Random) -> list[BaseEvent]:
    events = []
    t0 = 1_774_515_600.0  # 2026-03-26T09:00:00Z
    labels = rng.choices(LABELS, LABEL_WEIGHTS, k=n)
    for i in range(n):
        t = t0 + i / 2000
        r = rng.random()
        if r < 0.05:
            t -= rng.random() * 5
        elif r < 0.055:
            t -= 120
        mic = MICS[rng.randrange(len(MICS))]
        events.append(BaseEvent(f"evt_{i:08}", labels[i], mic, EDGE_OF[mic], t))
    return events


def run(n_rules: int, events: list[BaseEvent], repeat: int, any_label: float) -> None:
    best = float("inf")
    stats = ""
    for _ in range(repeat):
        engine = Engine(make_rules(n_rules, random.Random(n_rules), any_label))
        opened = joined = late = 0
        gc.collect()
        gc.disable()
        start = time.perf_counter()
        feed = engine.feed
        for i, event in enumerate(events):
            res = feed(event)
            late += res.late_rules
            for change in res.changes:
                if isinstance(change, CompositeOpened):
                    opened += 1
                elif isinstance(change, CompositeJoined):
                    joined += 1
            if i % 10_000 == 9_999:
                engine.expire(event.created_at - 60)
        elapsed = time.perf_counter() - start
        gc.enable()
        best = min(best, elapsed)
        matched = sum(len(engine._index.match(e.label_id, e.mic_id)) for e in events[:20_000])
        per_event = matched / 20_000
        stats = (
            f"matching rules/event {per_event:.2f} "
            f"({len(events) * per_event / best:,.0f} rule matches/s); "
            f"opened {opened:,}, joined {joined:,}, late {late:,}, "
            f"groups held {engine.group_count():,}"
        )
    print(
        f"{n_rules:>5} rules: {len(events) / best:>10,.0f} events/s "
        f"({best:.2f} s for {len(events):,})  {stats}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs")
    parser.add_argument("--rules", type=int, nargs="*", default=[1, 100, 1000])
    parser.add_argument(
        "--any-label",
        type=float,
        default=0.02,
        help="share of rules without a label filter (they see every event)",
    )
    args = parser.parse_args()
    events = make_events(args.events, random.Random(1))
    print(
        f"python {sys.version.split()[0]}, pid {os.getpid()}, {len(MICS):,} mics on "
        f"{EDGES} edges, {len(LABELS)} labels, {len(events):,} events"
    )
    for n in args.rules:
        run(n, events, args.repeat, args.any_label)


if __name__ == "__main__":
    main()
