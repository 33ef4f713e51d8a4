"""Radio tables (trunk-recorder data). Times are integer microseconds since the epoch (UTC).

Talkgroups and units are keyed by the *effective sysid* (the P25 sysid, else the system's
short name), as tr-engine does, so sites of one P25 system share them.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from .tables import metadata

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
    Column("ended", Boolean),  # call_end announced (once per call; schema v6)
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
    Column("target_unit", BigInteger),  # call_alert: the unit alerted (schema v6)
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

heartbeats = Table(
    "radio_heartbeats",
    metadata,
    Column("instance_id", String(200), primary_key=True),
    Column("last_heartbeat", BigInteger, nullable=False),  # the plugin's time, never ahead
    Column("received_at", BigInteger, nullable=False),  # this server's clock
    Column("count", BigInteger, nullable=False, default=0),
)

ALL = (
    instances,
    systems,
    talkgroups,
    units,
    calls,
    transmissions,
    frequencies,
    unit_events,
    rates,
    recorders,
    trunk_messages,
)

# The `/api/ws` resume history: each published frame (without its `seq`/`epoch` keys, added
# when sent) and its route, so any node can replay what a client missed, filtered. `seq` is
# the frame's offset; AUTOINCREMENT so SQLite never hands out an offset twice after a trim.
frames = Table(
    "radio_frames",
    metadata,
    Column("seq", AutoId, primary_key=True, autoincrement=True),
    Column("at", BigInteger, nullable=False),  # microseconds, when it was published
    Column("route", Text, nullable=False),
    Column("frame", Text, nullable=False),
    sqlite_autoincrement=True,
)
Index("ix_radio_frames_at", frames.c.at)
