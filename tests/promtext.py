"""Read one sample from a server's /metrics with Prometheus' own text parser."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families


def metric(base: str, name: str, **labels: str) -> float:
    """The value of sample `name` with exactly `labels` (0.0 when absent, as Prometheus reads
    a counter that was never incremented)."""
    text = httpx.get(base + "/metrics", timeout=10).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    return 0.0
