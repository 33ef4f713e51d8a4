"""Alert tables: rules, targets, alerts and the delivery outbox (times: integer µs, UTC).

An alert and its deliveries are written in one transaction (the outbox): a delivery row is
`pending` until a worker records a successful attempt (`delivered`) or gives up on it
(`expired` past the maximum age, `cancelled` when its target is deleted). Every attempt is
kept in `alert_attempts` for `/api/v1/alerts/{id}/deliveries`.
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Column, Index, Integer, String, Table, Text

from .tables import metadata

AutoId = BigInteger().with_variant(Integer, "sqlite")

alert_rules = Table(
    "alert_rules",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("source", String(16), nullable=False),
    Column("spec", JSON, nullable=False),  # the rule as the API shows it, minus times
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

alert_targets = Table(
    "alert_targets",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(16), nullable=False),  # webhook|apprise|mqtt
    Column("url", Text),
    Column("secret", Text),
    Column("topic", Text),
    Column("options", JSON),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

alerts = Table(
    "alerts",
    metadata,
    Column("seq", AutoId, primary_key=True, autoincrement=True),
    Column("id", String(32), nullable=False, unique=True),
    Column("rule_id", String(64), nullable=False),
    Column("rule", JSON, nullable=False),
    Column("source", String(16), nullable=False),
    Column("group_key", String(400), nullable=False),
    Column("events", JSON, nullable=False),
    Column("state", String(16), nullable=False),  # new|acknowledged|resolved
    Column("repeat_count", Integer, nullable=False),
    Column("triggered_at", BigInteger, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Column("acknowledged_by", String(200)),
    Column("acknowledged_at", BigInteger),
    Column("resolved_by", String(200)),
    Column("resolved_at", BigInteger),
)
Index("ix_alerts_created", alerts.c.created_at, alerts.c.seq)
Index("ix_alerts_rule_created", alerts.c.rule_id, alerts.c.created_at)

alert_deliveries = Table(
    "alert_deliveries",
    metadata,
    Column("seq", AutoId, primary_key=True, autoincrement=True),
    Column("alert_id", String(32), nullable=False),
    Column("target_id", String(64), nullable=False),
    Column("status", String(16), nullable=False),  # pending|delivered|expired|cancelled
    Column("attempts", Integer, nullable=False),
    Column("next_at", BigInteger, nullable=False),
    Column("last_error", Text),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)
Index("ix_deliveries_target_status", alert_deliveries.c.target_id, alert_deliveries.c.status)
Index("ix_deliveries_alert", alert_deliveries.c.alert_id)

alert_attempts = Table(
    "alert_attempts",
    metadata,
    Column("seq", AutoId, primary_key=True, autoincrement=True),
    Column("delivery_seq", BigInteger, nullable=False),
    Column("alert_id", String(32), nullable=False),
    Column("target_id", String(64), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("at", BigInteger, nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("error", Text),
)
Index("ix_attempts_alert", alert_attempts.c.alert_id)
