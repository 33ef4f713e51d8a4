"""Scenario: MQTT (radio) ingest, records/s persisted against active calls (10, 1,000,
10,000), batches of 200 as the MQTT shell stores them. The workload lives in
bench/radio_ingest.py (run that script for other batch sizes or counts)."""

from __future__ import annotations

from .common import Chart, Row, absolute_row, chart
from .radio_ingest import run as measure

NAME = "MQTT ingest against active calls"
TARGET = 10_000  # records/s persisted (issue 16)


def run(quick: bool) -> list[Row]:
    figures = measure(quick, [10, 1000, 10_000], [200])
    chart(
        Chart(
            "ingest_vs_active_calls.png",
            "MQTT ingest rate against active calls",
            "active calls",
            "records/s persisted",
            {"listenpost (SQLite, batch 200)": [(f.active, f.rate) for f in figures]},
            logx=True,
        )
    )
    rows = [
        absolute_row(
            f"MQTT ingest ≥ {TARGET:,} records/s, {f.active:,} active calls",
            f.rate,
            "records/s",
            TARGET,
            True,
        )
        for f in figures
    ]
    low, high = figures[0].rate, figures[-1].rate
    rows.append(
        Row(
            "MQTT ingest flat 10 → 10,000 active calls (within 20 %)",
            high,
            "records/s",
            low,
            high / low,
            abs(high / low - 1) <= 0.2,
            f"10 calls: {low:,.0f}/s",
        )
    )
    return rows
