"""Bus settings: a URL the build cannot serve, or a prefix that cannot name a key, is a
startup error naming the setting; good ones reach the bus."""

from __future__ import annotations

import pytest

from listenpost.bus.base import from_url
from listenpost.config import SettingError, load_settings
from listenpost.node import bus_options


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"LISTENPOST_BUS_URL": "kafka://broker:9092"}, "LISTENPOST_BUS_URL"),
        ({"LISTENPOST_BUS_PREFIX": "a b"}, "LISTENPOST_BUS_PREFIX"),
        ({"LISTENPOST_BUS_MAXLEN": "-1"}, "LISTENPOST_BUS_MAXLEN"),
        ({"LISTENPOST_BUS_MAX_AGE": "nan"}, "LISTENPOST_BUS_MAX_AGE"),
    ],
)
def test_bad_bus_settings_are_named(env: dict[str, str], named: str) -> None:
    with pytest.raises(SettingError, match=named):
        load_settings({}, env=env)


def test_settings_reach_the_bus() -> None:
    settings = load_settings(
        {"bus_maxlen": 5, "bus_prefix": "site-1"},
        env={"LISTENPOST_BUS_URL": "redis://127.0.0.1:6379/2", "LISTENPOST_BUS_MAX_AGE": "60"},
    )
    options = bus_options(settings)
    assert (options.maxlen, options.max_age, options.prefix) == (5, 60.0, "site-1")
    bus = from_url(settings.bus_url, options)
    assert type(bus).__name__ == "RedisBus" and not bus.available  # not started: no claim
    assert type(from_url("nats://127.0.0.1:4222", options)).__name__ == "NatsBus"
    assert type(from_url("memory://", options)).__name__ == "MemoryBus"
