"""Prometheus metrics, in one registry served at /metrics."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, Metric

REGISTRY = CollectorRegistry()

EVENTS_INGESTED = Counter(
    "listenpost_events_ingested_total", "Sound events accepted and stored", registry=REGISTRY
)
EVENTS_SUPPRESSED = Counter(
    "listenpost_events_suppressed_total",
    "Sound events below their mic threshold",
    registry=REGISTRY,
)


class StreamCounts:
    """The hub's per-frame counters (messages broadcast, frames delivered, by stream) as
    plain integers: a `Counter`'s lock costs more than routing a frame to its clients. Each
    stream's cell is a list `[broadcast, delivered]` the hub adds to; exposed as counters."""

    def __init__(self) -> None:
        self._cells: dict[str, list[int]] = {}

    def cell(self, stream: str) -> list[int]:
        found = self._cells.get(stream)
        if found is None:
            found = self._cells[stream] = [0, 0]
        return found

    def collect(self) -> Iterator[Metric]:
        broadcast = CounterMetricFamily(
            "listenpost_messages_broadcast",
            "Messages handed to the hub, by stream",
            labels=["stream"],
        )
        delivered = CounterMetricFamily(
            "listenpost_messages_delivered",
            "Frames queued to clients, by stream",
            labels=["stream"],
        )
        for stream, (sent, taken) in list(self._cells.items()):
            broadcast.add_metric([stream], sent)
            delivered.add_metric([stream], taken)
        yield broadcast
        yield delivered


HUB_COUNTS = StreamCounts()
REGISTRY.register(HUB_COUNTS)
DROPPED = Counter(
    "listenpost_messages_dropped_total",
    "Frames not delivered because a client's queue was full, by stream",
    ["stream"],
    registry=REGISTRY,
)
SLOW_DISCONNECTS = Counter(
    "listenpost_slow_client_disconnects_total",
    "Clients closed because they fell behind",
    ["stream"],
    registry=REGISTRY,
)
WS_AUTH_CLOSES = Counter(
    "listenpost_websocket_auth_closes_total",
    "WebSockets closed (1008) because their token expired or their API key was revoked",
    ["reason"],
    registry=REGISTRY,
)
WS_CLIENTS = Gauge(
    "listenpost_websocket_clients",
    "Connected WebSocket clients, by stream",
    ["stream"],
    registry=REGISTRY,
)
COMPOSITES_CREATED = Counter(
    "listenpost_composites_created_total", "Composite events created", registry=REGISTRY
)
COMPOSITE_LATE = Counter(
    "listenpost_composite_late_events_total",
    "Events too old for a rule's window (stored, not counted)",
    registry=REGISTRY,
)
COMPOSITE_GROUPS = Gauge(
    "listenpost_composite_groups",
    "(rule, group key) states the composite engine holds in memory",
    registry=REGISTRY,
)
RADIO_MESSAGES = Counter(
    "listenpost_radio_messages_total",
    "trunk-recorder MQTT messages, by type",
    ["type"],
    registry=REGISTRY,
)
RADIO_ERRORS = Counter(
    "listenpost_radio_errors_total",
    "trunk-recorder messages skipped or degraded, by reason",
    ["reason"],
    registry=REGISTRY,
)
RADIO_REFUSED = Counter(
    "listenpost_radio_refused_total",
    "trunk-recorder messages refused whole for exceeding a per-message limit, by message type",
    ["reason"],
    registry=REGISTRY,
)
BUS_DELIVERED = Counter(
    "listenpost_bus_delivered_total",
    "Bus messages this node received and handed to its hub, by stream and receiving node",
    ["stream", "node"],
    registry=REGISTRY,
)
BUS_LAG = Histogram(
    "listenpost_bus_lag_seconds",
    "Seconds from publication on the bus (the bus's clock) to receipt by this node",
    ["stream"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=REGISTRY,
)
BUS_PENDING = Gauge(
    "listenpost_bus_outbox",
    "Messages this node published that the bus has not yet acknowledged",
    registry=REGISTRY,
)
BUS_ERRORS = Counter(
    "listenpost_bus_errors_total",
    "Bus trouble: connection losses, publishes dropped from a full outbox, duplicates "
    "discarded, gaps (messages trimmed before this node read them), by kind",
    ["kind"],
    registry=REGISTRY,
)
BUS_AVAILABLE = Gauge(
    "listenpost_bus_available", "1 while this node reaches its bus, else 0", registry=REGISTRY
)
RATE_LIMITED = Counter("listenpost_rate_limited_total", "Requests answered 429", registry=REGISTRY)
HTTP_TIMEOUTS = Counter(
    "listenpost_http_timeouts_total",
    "Connections closed because a request's headers or body did not arrive in time, by phase",
    ["phase"],
    registry=REGISTRY,
)
CONNECTIONS_REFUSED = Counter(
    "listenpost_connections_refused_total",
    "Connections refused on arrival, by reason",
    ["reason"],
    registry=REGISTRY,
)
OPEN_CONNECTIONS = Gauge(
    "listenpost_open_connections",
    "Open client connections (HTTP and WebSocket)",
    registry=REGISTRY,
)
for _phase in ("headers", "body"):
    HTTP_TIMEOUTS.labels(_phase)
for _reason in ("per_ip", "per_key"):
    CONNECTIONS_REFUSED.labels(_reason)
for _kind in ("disconnected", "outbox_full", "duplicate", "gap"):
    BUS_ERRORS.labels(_kind)
ALERTS_CREATED = Counter(
    "listenpost_alerts_created_total",
    "Alerts stored, by rule source",
    ["source"],
    registry=REGISTRY,
)
ALERT_REPEATS = Counter(
    "listenpost_alert_repeats_total",
    "Matching events folded into an open alert by its cooldown",
    registry=REGISTRY,
)
ALERT_FACTS_DROPPED = Counter(
    "listenpost_alert_events_dropped_total",
    "Events not evaluated by the alert rules because the evaluation queue was full",
    registry=REGISTRY,
)
ALERT_DELIVERY_ATTEMPTS = Counter(
    "listenpost_alert_delivery_attempts_total",
    "Alert delivery attempts, by target kind and result (ok, error)",
    ["kind", "result"],
    registry=REGISTRY,
)
ALERT_DELIVERIES_EXPIRED = Counter(
    "listenpost_alert_deliveries_expired_total",
    "Alert deliveries given up after the maximum age, by target kind",
    ["kind"],
    registry=REGISTRY,
)
for _kind in ("webhook", "apprise", "mqtt"):
    for _result in ("ok", "error"):
        ALERT_DELIVERY_ATTEMPTS.labels(_kind, _result)
