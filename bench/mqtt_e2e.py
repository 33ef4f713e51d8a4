"""Scenario: MQTT ingest end to end through Mosquitto, records/s persisted.

trunk-recorder plugin messages of a busy site (bench/radio_ingest.py's stream, one record
each) are queued QoS 1 at a private `mosquitto` (no queue limit; the system broker keeps
1000 per session) for listenpost's persistent session; then `MqttIngest` connects and takes
them through paho/aiomqtt, the radio processor stores them in SQLite (WAL) and each batch is
acknowledged after its commit, as in production. Rate: messages from connect to the last
batch stored. The workload lives in bench/radio_mqtt.py (run it alone for other counts or
with `--processor null` for the client loop alone).
"""

from __future__ import annotations

import statistics

from .common import Row, absolute_row
from .radio_mqtt import measure

NAME = "MQTT ingest end to end through Mosquitto"
TARGET = 10_000  # records/s persisted (issue 16)


def run(quick: bool) -> list[Row]:
    n, runs = (5_000, 1) if quick else (20_000, 3)
    rates = []
    for _ in range(runs):
        rates.append(measure(n))
        print(f"   {n:,} queued messages: {rates[-1]:,.0f} records/s", flush=True)
    row = absolute_row(
        f"MQTT ingest ≥ {TARGET:,} records/s, end to end through Mosquitto",
        statistics.median(rates),
        "records/s",
        TARGET,
        True,
    )
    shown = ", ".join(f"{r:,.0f}" for r in rates)
    row.note = f"{row.note}; " if row.note else ""
    row.note += f"median of {runs}: {shown}; {n:,} queued QoS 1 messages, SQLite"
    return [row]
