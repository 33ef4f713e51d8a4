"""Settings precedence: flag > LISTENPOST_* environment > config file > default."""

from __future__ import annotations

from pathlib import Path

import pytest

from listenpost.config import SettingError, load_settings


def test_precedence(tmp_path: Path) -> None:
    cfg = tmp_path / "lp.toml"
    cfg.write_text('port = 9000\nhost = "127.0.0.9"\ndata-dir = "/srv/lp"\napi_keys = ["a", "b"]\n')
    env = {"LISTENPOST_CONFIG": str(cfg), "LISTENPOST_PORT": "9100"}
    s = load_settings({"host": "10.0.0.1"}, env=env)
    assert (s.host, s.port, s.data_dir, s.api_keys) == ("10.0.0.1", 9100, "/srv/lp", ("a", "b"))
    assert load_settings({}, env={}).port == 8100
    assert load_settings({}, env={}).database_url.endswith("listenpost-data/listenpost.db")


def test_env_types_and_yaml(tmp_path: Path) -> None:
    cfg = tmp_path / "lp.yaml"
    cfg.write_text("keepalive: 5\nradio_ws_public: true\n")
    s = load_settings(
        {"config": str(cfg)}, env={"LISTENPOST_API_KEYS": "k1, k2", "LISTENPOST_TOKEN_TTL": "60"}
    )
    assert s.keepalive == 5.0 and s.radio_ws_public is True
    assert s.api_keys == ("k1", "k2") and s.token_ttl == 60.0


def test_unknown_file_key_is_an_error(tmp_path: Path) -> None:
    cfg = tmp_path / "lp.yaml"
    cfg.write_text("prot: 1\n")
    with pytest.raises(ValueError, match="prot"):
        load_settings({"config": str(cfg)}, env={})


def test_bad_values_are_named_as_the_operator_wrote_them(tmp_path: Path) -> None:
    cfg = tmp_path / "lp.toml"
    cfg.write_text('port = "http"\njwt_secret = ["hunter2"]\n')
    with pytest.raises(SettingError, match=r"port in .*lp\.toml='http'") as bad:
        load_settings({"config": str(cfg)}, env={})
    assert "jwt_secret in" in str(bad.value) and "hunter2" not in str(bad.value)
    with pytest.raises(SettingError, match="LISTENPOST_CLIENT_QUEUE='many'"):
        load_settings({}, env={"LISTENPOST_CLIENT_QUEUE": "many"})
    with pytest.raises(SettingError, match="--mqtt='ftp://x'"):
        load_settings({"mqtt_url": "ftp://x"}, env={"LISTENPOST_MQTT_URL": "mqtt://ok"})
    with pytest.raises(SettingError, match="config file .*missing.yaml"):
        load_settings({"config": str(tmp_path / "missing.yaml")}, env={})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LISTENPOST_MQTT_RECEIVE_MAXIMUM", "0"),
        ("LISTENPOST_MQTT_RECEIVE_MAXIMUM", "70000"),
        ("LISTENPOST_MQTT_BATCH_SIZE", "0"),
        ("LISTENPOST_RADIO_MAX_ACTIVE_CALLS", "-1"),
    ],
)
def test_radio_ingest_bounds_are_checked_and_named(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=name):
        load_settings({}, env={name: value})
