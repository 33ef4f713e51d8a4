"""Table definitions (SQLAlchemy Core). Times are integer microseconds since the epoch (UTC)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

meta = Table(
    "lp_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_at", BigInteger, nullable=False),
    Column("scope", String(16), nullable=False, server_default="admin"),  # read|ingest|admin
    Column("source", String(16), nullable=False, server_default="cli"),  # cli|env
    Column("last_used_at", BigInteger),  # last reissue
    Column("revoked_at", BigInteger),
)
Index("ux_api_keys_name", api_keys.c.name, unique=True)

mics = Table(
    "mics",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("host", String(200)),
    Column("subnet_mask", String(64)),
    Column("mac_address", String(64)),
    Column("microphone_type", String(100)),
    Column("channel", JSON),
    Column("console", JSON),
    Column("streaming", Boolean, nullable=False, default=False),
    Column("recording", Boolean, nullable=False, default=False),
    Column("edge_id", String(64)),
    Column("location", JSON),
    Column("status", String(16), nullable=False, default="active"),
    Column("thresholds", JSON, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Column("deleted_at", BigInteger),
    Column("reported_at", BigInteger),
    Column("connected", Boolean, nullable=False, default=False),
)
Index("ix_mics_edge", mics.c.edge_id)

# `seq` is the stream offset: monotonic, assigned by the database in the insert transaction.
events = Table(
    "events",
    metadata,
    Column(
        "seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("id", String(32), nullable=False, unique=True),
    Column("mic_id", String(64), nullable=False),
    Column("label_id", String(64), nullable=False),
    Column("confidence", Float, nullable=False),
    Column("sound_level", Float),
    Column("noises", JSON),
    Column("description", Text),
    Column("audio_file", Text),
    Column("confidence_threshold", Float),
    Column("sound_level_threshold", Float),
    Column("suppressed", Boolean, nullable=False),
    Column("is_read", Boolean, nullable=False, default=False),
    Column("read_at", BigInteger),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)
Index("ix_events_created", events.c.created_at, events.c.seq)
Index("ix_events_mic_created", events.c.mic_id, events.c.created_at)
Index("ix_events_label_created", events.c.label_id, events.c.created_at)

composite_rules = Table(
    "composite_rules",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("description", Text),
    Column("window_seconds", Float, nullable=False),
    Column("min_events", Integer, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("group_by", String(200), nullable=False),
    Column("include_label_ids", JSON),
    Column("include_mic_ids", JSON),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

# `seq` is the composite stream's offset; `id` is deterministic (same input, same id on any node).
composite_events = Table(
    "composite_events",
    metadata,
    Column(
        "seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("id", String(32), nullable=False, unique=True),
    Column("rule_id", String(64), nullable=False),
    Column("rule", JSON, nullable=False),
    Column("group_key", String(400), nullable=False),
    Column("started_at", BigInteger, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)
Index("ix_composites_created", composite_events.c.created_at, composite_events.c.seq)
Index("ix_composites_rule_started", composite_events.c.rule_id, composite_events.c.started_at)

composite_members = Table(
    "composite_members",
    metadata,
    Column("composite_id", String(32), primary_key=True),
    Column("event_id", String(32), primary_key=True),
    Column("rule_id", String(64), nullable=False),
)
# An event belongs to at most one composite of a rule.
Index(
    "ux_members_rule_event", composite_members.c.rule_id, composite_members.c.event_id, unique=True
)
