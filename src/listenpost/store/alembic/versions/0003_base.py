"""Base revision: the schema the pre-Alembic `migrate()` built (its steps 1-3).

Frozen copy of the tables as they were at schema_version 3 (sound, composites, radio), so
later revisions can alter them without changing what this one creates. Each table and index
is created only if missing: databases made by a release that stopped at step 1 or 2 gain the
rest, and databases at step 3 are stamped with this revision instead (see migrations.py).

Revision ID: 0003
Revises: none
"""

from __future__ import annotations

from alembic import op
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
    UniqueConstraint,
)

revision = "0003"
down_revision: str | None = None
branch_labels = None
depends_on = None

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
)

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

AutoId = BigInteger().with_variant(Integer, "sqlite")


def _id() -> Column[int]:
    return Column("id", AutoId, primary_key=True, autoincrement=True)


instances = Table(
    "radio_instances",
    metadata,
    Column("instance_id", String(200), primary_key=True),
    Column("instance_key", String(200)),
    Column("config", JSON),
    Column("first_seen", BigInteger, nullable=False),
    Column("last_seen", BigInteger, nullable=False),
)

systems = Table(
    "radio_systems",
    metadata,
    _id(),
    Column("short_name", String(200), nullable=False, unique=True),
    Column("instance_id", String(200)),
    Column("sys_num", Integer),
    Column("system_type", String(64)),
    Column("sysid", String(32)),
    Column("wacn", String(32)),
    Column("nac", String(32)),
    Column("rfss", Integer),
    Column("site_id", Integer),
    Column("first_seen", BigInteger, nullable=False),
    Column("last_seen", BigInteger, nullable=False),
)

talkgroups = Table(
    "radio_talkgroups",
    metadata,
    Column("sysid", String(200), primary_key=True),
    Column("tgid", BigInteger, primary_key=True),
    Column("alpha_tag", String(200)),
    Column("description", String(400)),
    Column("tg_group", String(200)),
    Column("tag", String(200)),
    Column("priority", Integer),
    Column("mode", String(32)),
    Column("first_seen", BigInteger, nullable=False),
    Column("last_seen", BigInteger, nullable=False),
)

units = Table(
    "radio_units",
    metadata,
    Column("sysid", String(200), primary_key=True),
    Column("unit_id", BigInteger, primary_key=True),
    Column("alpha_tag", String(200)),
    Column("first_seen", BigInteger, nullable=False),
    Column("last_seen", BigInteger, nullable=False),
)

calls = Table(
    "radio_calls",
    metadata,
    _id(),
    Column("tr_call_id", String(100)),
    Column("system", String(200), nullable=False),
    Column("sysid", String(200), nullable=False),
    Column("talkgroup", BigInteger, nullable=False),
    Column("talkgroup_alpha_tag", String(200)),
    Column("unit", BigInteger),
    Column("unit_alpha_tag", String(200)),
    Column("call_num", BigInteger),
    Column("start_time", BigInteger),
    Column("stop_time", BigInteger),
    Column("duration", Float),
    Column("emergency", Boolean, nullable=False, default=False),
    Column("encrypted", Boolean, nullable=False, default=False),
    Column("freq", BigInteger),
    Column("phase2_tdma", Boolean),
    Column("audio_type", String(32)),
    Column("error_count", Integer),
    Column("spike_count", Integer),
    Column("signal", Float),
    Column("noise", Float),
    Column("audio_path", Text),
    Column("audio_size", BigInteger),
    Column("metadata", JSON),
)
Index("ix_radio_calls_tr", calls.c.tr_call_id)
Index("ix_radio_calls_tg_start", calls.c.system, calls.c.talkgroup, calls.c.start_time)
Index("ix_radio_calls_start", calls.c.start_time)

transmissions = Table(
    "radio_transmissions",
    metadata,
    _id(),
    Column("call_id", BigInteger, nullable=False, index=True),
    Column("unit", BigInteger),
    Column("start_time", BigInteger),
    Column("position", Float),
    Column("duration", Float),
    Column("emergency", Boolean),
    Column("tag", String(200)),
)

frequencies = Table(
    "radio_call_frequencies",
    metadata,
    _id(),
    Column("call_id", BigInteger, nullable=False, index=True),
    Column("freq", BigInteger),
    Column("time", BigInteger),
    Column("position", Float),
    Column("duration", Float),
    Column("error_count", Integer),
    Column("spike_count", Integer),
)

unit_events = Table(
    "radio_unit_events",
    metadata,
    _id(),
    Column("system", String(200), nullable=False),
    Column("sysid", String(200), nullable=False),
    Column("unit", BigInteger, nullable=False),
    Column("unit_alpha_tag", String(200)),
    Column("event_type", String(16), nullable=False),
    Column("talkgroup", BigInteger),
    Column("time", BigInteger),
    Column("metadata", JSON),
)
Index("ix_radio_unit_events_unit", unit_events.c.sysid, unit_events.c.unit, unit_events.c.time)

rates = Table(
    "radio_decode_rates",
    metadata,
    _id(),
    Column("system", String(200), nullable=False),
    Column("sysid", String(200)),
    Column("time", BigInteger),
    Column("decode_rate", Float),
    Column("control_channel", BigInteger),
)

recorders = Table(
    "radio_recorders",
    metadata,
    _id(),
    Column("instance_id", String(200), nullable=False),
    Column("src_num", Integer, nullable=False),
    Column("rec_num", Integer, nullable=False),
    Column("rec_type", String(32)),
    Column("state", Integer),
    Column("rec_state_type", String(32)),
    Column("freq", BigInteger),
    Column("count", Integer),
    Column("duration", Float),
    Column("squelched", Boolean),
    Column("updated_at", BigInteger, nullable=False),
    UniqueConstraint("instance_id", "src_num", "rec_num", name="ux_radio_recorder"),
)

trunk_messages = Table(
    "radio_trunk_messages",
    metadata,
    _id(),
    Column("system", String(200), nullable=False),
    Column("time", BigInteger),
    Column("trunk_msg", Integer),
    Column("trunk_msg_type", String(64)),
    Column("opcode", String(16)),
    Column("opcode_type", String(64)),
    Column("opcode_desc", String(200)),
    Column("meta", Text),
)


def upgrade() -> None:
    bind = op.get_bind()
    for table in metadata.sorted_tables:
        table.create(bind, checkfirst=True)
        for index in table.indexes:
            index.create(bind, checkfirst=True)


def downgrade() -> None:
    bind = op.get_bind()
    for table in reversed(metadata.sorted_tables):
        table.drop(bind, checkfirst=True)
