"""Settings: flags > LISTENPOST_* environment > config file > defaults (defaults live only here)."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class Settings:
    """Everything the server can be told; one instance per process."""

    host: str = "0.0.0.0"
    port: int = 8100
    data_dir: str = "./listenpost-data"
    db_url: str = ""  # empty: sqlite+aiosqlite:///<data_dir>/listenpost.db
    bus_url: str = "memory://"
    api_keys: tuple[str, ...] = ()
    token_ttl: float = 3600.0
    jwt_secret: str = ""  # empty: generated once and kept in the database
    keepalive: float = 20.0
    client_queue: int = 1024
    ws_max_subscriptions: int = 1000  # entries per /api/ws subscription list
    ws_send_timeout: float = 10.0  # seconds an /api/ws client may leave its replies unread
    header_timeout: float = 30.0  # seconds to receive a request's headers (0: none)
    body_timeout: float = 30.0  # seconds to receive a request's body after its headers (0: none)
    max_connections_per_ip: int = 256  # open connections per client address (0: no limit)
    max_websockets_per_key: int = 1000  # open WebSockets per API key (0: no limit)
    rate_limit: str = ""  # e.g. "10/s,1000/min"; empty: off
    max_body: int = 4 * 1024 * 1024
    max_clock_skew: float = 300.0  # seconds an event's created_at may be ahead of the clock
    rules_file: str = ""
    mqtt_url: str = ""
    mqtt_topics: tuple[str, ...] = ("feeds/#", "units/#", "messages/#")
    mqtt_client_id: str = "listenpost"
    mqtt_username: str = ""  # or in the URL: mqtt://user:pass@host
    mqtt_password: str = ""
    mqtt_receive_maximum: int = 10000  # MQTT v5 Receive Maximum: QoS-1 messages in flight to us
    mqtt_batch_size: int = 500  # records stored per transaction (acked after its commit)
    radio_max_active_calls: int = 5000  # calls in one calls_active snapshot; beyond: refused
    radio_max_rate_systems: int = 1000  # systems in one rates message; beyond: refused
    radio_ws_public: bool = False
    log_level: str = "info"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def database_url(self) -> str:
        if self.db_url:
            return self.db_url
        return f"sqlite+aiosqlite:///{Path(self.data_dir).resolve() / 'listenpost.db'}"


_TUPLES = {"api_keys", "mqtt_topics"}


def _coerce(name: str, value: Any) -> Any:
    """Turn a string from the environment or a file into the field's type."""
    kind = {f.name: f.type for f in fields(Settings)}[name]
    if name in _TUPLES:
        if isinstance(value, str):
            return tuple(v.strip() for v in value.split(",") if v.strip())
        return tuple(str(v) for v in value)
    if kind == "bool" and isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    if kind == "bool":
        return bool(value)
    return str(value)


def _from_file(path: str) -> dict[str, Any]:
    text = Path(path).read_text()
    data = tomllib.loads(text) if path.endswith(".toml") else yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError(f"config file {path} must hold a mapping")
    return {k.replace("-", "_"): v for k, v in data.items()}


def load_settings(
    flags: dict[str, Any] | None = None, env: dict[str, str] | None = None
) -> Settings:
    """Merge the sources in precedence order; unknown file keys are an error."""
    env = dict(os.environ) if env is None else env
    flags = {k: v for k, v in (flags or {}).items() if v is not None}
    names = {f.name for f in fields(Settings)} - {"extra"}
    merged: dict[str, Any] = {}
    config_file = flags.pop("config", None) or env.get("LISTENPOST_CONFIG")
    if config_file:
        for key, value in _from_file(config_file).items():
            if key not in names:
                raise ValueError(f"unknown setting {key!r} in {config_file}")
            merged[key] = _coerce(key, value)
    for name in names:
        raw = env.get(f"LISTENPOST_{name.upper()}")
        if raw is not None and raw != "":
            merged[name] = _coerce(name, raw)
    if env.get("LISTENPOST_MQTT_URL"):
        merged["mqtt_url"] = env["LISTENPOST_MQTT_URL"]
    for key, value in flags.items():
        if key in names:
            merged[key] = _coerce(key, value)
    return replace(Settings(), **merged)
