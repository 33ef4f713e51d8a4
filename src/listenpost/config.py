"""Settings: flags > LISTENPOST_* environment > config file > defaults (defaults live only here).

A pydantic-settings model, so every value is typed and a bad one is reported by the name the
operator used for it (`--port`, `LISTENPOST_PORT`, `port in lp.toml`). To add a setting, add a
field below (with a comment saying what it is); its environment variable and config file key
follow from its name, its flag is added in cli.py.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

ENV_PREFIX = "LISTENPOST_"
# Flags whose name is not `--` + the setting's name with dashes.
FLAGS = {"rules_file": "--rules", "mqtt_url": "--mqtt"}
SECRET = {"api_keys", "jwt_secret", "mqtt_password"}  # never echoed in an error

# A list given as "a,b" in the environment or a flag, or as a list in a config file.
CommaList = Annotated[tuple[str, ...], NoDecode]


class SettingError(ValueError):
    """A setting that cannot work: one line naming it (as the operator wrote it) and the fix."""


class StartupError(Exception):
    """The server cannot start; the message is one line naming the setting and what to do."""


class Settings(BaseSettings):
    """Everything the server can be told; one instance per process."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_ignore_empty=True, frozen=True, extra="forbid"
    )

    host: str = "0.0.0.0"
    port: Annotated[int, Field(ge=0, le=65535)] = 8100
    data_dir: str = "./listenpost-data"
    db_url: str = ""  # empty: sqlite+aiosqlite:///<data_dir>/listenpost.db
    bus_url: str = "memory://"  # or redis://host:port/db, nats://host:port (docs/scale-out.md)
    # messages each bus stream keeps (Redis MAXLEN ~, JetStream max_msgs; 0: no limit)
    bus_maxlen: Annotated[int, Field(ge=0)] = 10_000
    # seconds a bus message is kept (Redis MINID ~ trimming, JetStream max_age; 0: no limit)
    bus_max_age: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 3600.0
    # names the Redis keys / NATS streams, so deployments sharing a server do not collide
    bus_prefix: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")] = "listenpost"
    # resume after reconnect: frames per stream a client may catch up on, and their age
    resume_history: Annotated[int, Field(ge=1)] = 10_000
    resume_max_age: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 3600.0  # 0: no limit
    api_keys: CommaList = ()
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
    # seconds an event's created_at may be ahead of the clock (and the composite watermark behind)
    max_clock_skew: Annotated[float, Field(ge=0, le=86400, allow_inf_nan=False)] = 300.0
    rules_file: str = ""
    mqtt_url: str = ""
    mqtt_topics: CommaList = ("feeds/#", "units/#", "messages/#")
    # MQTT session's client id; empty: the one recorded in the database, first derived from
    # host name and port (listenpost-<host>-<port>), so servers on one broker never collide
    mqtt_client_id: str = ""
    mqtt_username: str = ""  # or in the URL: mqtt://user:pass@host
    mqtt_password: str = ""
    # MQTT v5 Receive Maximum: QoS-1 messages the broker may have in flight to us
    mqtt_receive_maximum: Annotated[int, Field(ge=1, le=65535)] = 10000
    # MQTT messages stored per transaction (acknowledged after its commit)
    mqtt_batch_size: Annotated[int, Field(ge=1)] = 200
    # calls in one calls_active snapshot / systems in one rates message; beyond: refused whole
    radio_max_active_calls: Annotated[int, Field(ge=0)] = 1000
    radio_max_rate_systems: Annotated[int, Field(ge=0)] = 1000
    radio_ws_public: bool = False
    shutdown_timeout: float = 10.0  # seconds SIGTERM waits for requests and MQTT batches (0: ever)
    # dashboard map tiles, e.g. "https://tile.example/{z}/{x}/{y}.png"; empty: plain grid base
    map_tiles: str = ""
    # alert deliveries: seconds before giving up, longest wait between attempts, per attempt
    alert_delivery_max_age: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 86400.0
    alert_retry_max_delay: Annotated[float, Field(gt=0, le=86400, allow_inf_nan=False)] = 30.0
    alert_timeout: Annotated[float, Field(gt=0, le=600, allow_inf_nan=False)] = 10.0
    log_level: Literal["debug", "info", "warning", "error", "critical"] = "info"
    extra: dict[str, Any] = {}

    @property
    def database_url(self) -> str:
        if self.db_url:
            return self.db_url
        return f"sqlite+aiosqlite:///{Path(self.data_dir).resolve() / 'listenpost.db'}"

    @field_validator("api_keys", "mqtt_topics", mode="before")
    @classmethod
    def _comma_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(v.strip() for v in value.split(",") if v.strip())
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("rate_limit")
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        from .auth.ratelimit import parse_limits

        parse_limits(value)
        return value

    @field_validator("bus_url")
    @classmethod
    def _bus_url(cls, value: str) -> str:
        scheme = value.partition("://")[0].lower() if "://" in value else value.lower()
        if scheme not in ("", "memory", "redis", "rediss", "nats", "tls"):
            raise ValueError("use memory://, redis://host:port/db or nats://host:port")
        return value

    @field_validator("mqtt_url")
    @classmethod
    def _mqtt_url(cls, value: str) -> str:
        if value:
            from .radio.mqtt import broker_args

            broker_args(value)
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        env, file_values = _SOURCES.get()
        return (init_settings, _MappingEnv(settings_cls, env), _Values(settings_cls, file_values))


# What `load_settings` hands the sources: (environment, config file values).
_SOURCES: ContextVar[tuple[Mapping[str, str], dict[str, Any]]] = ContextVar(
    "listenpost_settings_sources", default=(os.environ, {})
)


class _MappingEnv(EnvSettingsSource):
    """pydantic-settings' environment source, reading a given mapping (tests pass their own)."""

    def __init__(self, settings_cls: type[BaseSettings], env: Mapping[str, str]) -> None:
        self._env = env
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {k.lower(): v for k, v in self._env.items() if v != ""}


class _Values(PydanticBaseSettingsSource):
    """Values already read from the config file."""

    def __init__(self, settings_cls: type[BaseSettings], values: dict[str, Any]) -> None:
        super().__init__(settings_cls)
        self.values = values

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self.values.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self.values)


def _from_file(path: str, names: set[str]) -> dict[str, Any]:
    try:
        text = Path(path).read_text()
        data = tomllib.loads(text) if path.endswith(".toml") else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc).splitlines()[0]
        raise SettingError(
            f"config file {path}: {reason}; fix it or point --config elsewhere"
        ) from None
    if not isinstance(data, dict):
        raise SettingError(f"config file {path} must hold a mapping of setting names to values")
    values = {str(k).replace("-", "_"): v for k, v in data.items()}
    for key in values:
        if key not in names:
            raise SettingError(f"unknown setting {key!r} in {path}; see docs/reference.md")
    return values


def _source_name(name: str, flags: dict[str, Any], env: Mapping[str, str], path: str) -> str:
    """How the operator wrote the winning value of `name` (precedence order)."""
    if name in flags:
        return FLAGS.get(name, "--" + name.replace("_", "-"))
    if env.get(ENV_PREFIX + name.upper()):
        return ENV_PREFIX + name.upper()
    return f"{name} in {path}" if path else name


def _describe(
    exc: ValidationError, flags: dict[str, Any], env: Mapping[str, str], path: str
) -> str:
    parts = []
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else "settings"
        where = _source_name(name, flags, env, path)
        shown = "" if name in SECRET else f"={error.get('input')!r}"
        message = str(error["msg"]).removeprefix("Value error, ")
        parts.append(f"{where}{shown}: {message}")
    return "bad setting " + "; ".join(parts)


def load_settings(
    flags: dict[str, Any] | None = None, env: Mapping[str, str] | None = None
) -> Settings:
    """Merge the sources in precedence order; raises SettingError naming the bad setting."""
    env = os.environ if env is None else env
    flags = {k: v for k, v in (flags or {}).items() if v is not None}
    names = set(Settings.model_fields) - {"extra"}
    path = flags.pop("config", None) or env.get("LISTENPOST_CONFIG") or ""
    file_values = _from_file(path, names) if path else {}
    flags = {k: v for k, v in flags.items() if k in names}
    env = {
        k: v
        for k, v in env.items()
        if k.startswith(ENV_PREFIX) and k[len(ENV_PREFIX) :].lower() in names
    }
    token = _SOURCES.set((env, file_values))
    try:
        return Settings(**flags)
    except ValidationError as exc:
        raise SettingError(_describe(exc, flags, env, path)) from None
    finally:
        _SOURCES.reset(token)
