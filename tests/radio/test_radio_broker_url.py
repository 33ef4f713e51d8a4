"""`--mqtt URL` (and an MQTT alert target's url) as the client connects: credentials in the
URL are decoded, explicit ones win, and mqtts:// means TLS."""

from __future__ import annotations

import ssl

import pytest

from listenpost.radio.mqtt import broker_args


def test_credentials_in_the_url_are_decoded_and_explicit_ones_win() -> None:
    args = broker_args("mqtt://ops%40site:p%3Ass@broker:1884")
    assert args == {"hostname": "broker", "port": 1884, "username": "ops@site", "password": "p:ss"}
    assert broker_args("mqtt://a:b@broker", "flag-user", "flag-pass") == {
        "hostname": "broker",
        "port": 1883,
        "username": "flag-user",
        "password": "flag-pass",
    }
    assert broker_args("broker") == {"hostname": "broker", "port": 1883}  # no scheme: mqtt


def test_mqtts_connects_with_tls() -> None:
    for url in ("mqtts://broker:8883", "ssl://broker:8883"):
        args = broker_args(url)
        assert isinstance(args["tls_context"], ssl.SSLContext) and args["port"] == 8883
    assert "tls_context" not in broker_args("tcp://broker")


def test_another_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported MQTT URL scheme 'ws'"):
        broker_args("ws://broker")
