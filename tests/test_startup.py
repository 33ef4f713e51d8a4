"""Startup failures: one line naming the setting and what to do, exit status 2, no traceback;
the port is bound before anything is changed; a missing API key is pointed out."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from support import API_KEY, Server, free_port


def serve(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`listenpost serve` expected to fail fast; default log level (info)."""
    full = {**os.environ, "LISTENPOST_API_KEYS": API_KEY, **env}
    full.pop("LISTENPOST_LOG_LEVEL", None)
    argv = ["serve", "--host", "127.0.0.1", "--port", str(free_port())]
    if "--data-dir" not in args:
        argv += ["--data-dir", str(tmp_path / "data")]
    return subprocess.run(
        [sys.executable, "-m", "listenpost", *argv, *args],
        capture_output=True,
        text=True,
        env=full,
        timeout=60,
    )


def one_line(out: subprocess.CompletedProcess[str]) -> str:
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("listenpost: ")
    return lines[0]


def test_unusable_data_dir_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    line = one_line(serve(tmp_path, "--data-dir", str(blocker / "data")))
    assert "--data-dir" in line and str(blocker / "data") in line


def test_unreachable_database_names_host_and_masks_password(tmp_path: Path) -> None:
    port = free_port()
    url = f"postgresql://lp:s3cret@127.0.0.1:{port}/lp"
    line = one_line(serve(tmp_path, "--db-url", url))
    assert "--db-url" in line and f"127.0.0.1:{port}" in line
    assert "s3cret" not in line and "***" in line


def test_unknown_database_scheme_lists_installed_drivers(tmp_path: Path) -> None:
    line = one_line(serve(tmp_path, "--db-url", "oracle+nosuch://u:pw@db/x"))
    assert "--db-url" in line and "sqlite+aiosqlite" in line and "postgresql+asyncpg" in line
    assert "pw@" not in line


def test_malformed_database_url_is_named(tmp_path: Path) -> None:
    line = one_line(serve(tmp_path, "--db-url", "not a url"))
    assert "--db-url" in line


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("sqlite+pysqlite:///x.db", "'sqlite+pysqlite' is not an async driver"),
        ("mysql+aiomysql://u:pw@db/x", "the driver for 'mysql+aiomysql' is not installed"),
    ],
)
def test_a_database_driver_that_cannot_serve_is_named(
    tmp_path: Path, url: str, reason: str
) -> None:
    line = one_line(serve(tmp_path, "--db-url", url))
    assert line.startswith("listenpost: --db-url: ") and reason in line
    assert "sqlite+aiosqlite, postgresql+asyncpg" in line and "pw@" not in line


def test_a_sqlite_file_that_cannot_be_created_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    line = one_line(serve(tmp_path, "--db-url", f"sqlite+aiosqlite:///{blocker}/lp.db"))
    assert line.startswith("listenpost: --db-url ") and f"at {blocker}/lp.db" in line


@pytest.mark.parametrize(
    ("args", "env", "named"),
    [
        (("--mqtt", "http://broker"), {}, "--mqtt"),
        (("--rate-limit", "10/fortnight"), {}, "--rate-limit"),
        ((), {"LISTENPOST_PORT": "notaport"}, "LISTENPOST_PORT"),
        ((), {"LISTENPOST_MQTT_URL": "mqtt://broker:99999"}, "LISTENPOST_MQTT_URL"),
    ],
)
def test_bad_values_name_their_setting(
    tmp_path: Path, args: tuple[str, ...], env: dict[str, str], named: str
) -> None:
    if "LISTENPOST_PORT" in env:  # the flag would win over the variable
        out = subprocess.run(
            [sys.executable, "-m", "listenpost", "serve", "--data-dir", str(tmp_path)],
            capture_output=True,
            text=True,
            env={**os.environ, **env},
            timeout=60,
        )
    else:
        out = serve(tmp_path, *args, **env)
    assert named in one_line(out)


def test_bad_rules_file_is_named_before_the_database_is_touched(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  - id: r1\n    window_seconds: -5\n")
    line = one_line(serve(tmp_path, "--rules", str(rules)))
    assert "--rules" in line and str(rules) in line
    assert not (tmp_path / "data" / "listenpost.db").exists()
    missing = one_line(serve(tmp_path, "--rules", str(tmp_path / "nope.yaml")))
    assert "nope.yaml" in missing


def test_debug_log_level_shows_the_traceback(tmp_path: Path) -> None:
    out = serve(tmp_path, "--db-url", "oracle+nosuch://db/x", "--log-level", "debug")
    assert out.returncode == 2 and "Traceback" in out.stderr


def test_second_server_on_a_taken_port_fails_first_and_changes_nothing(tmp_path: Path) -> None:
    first = Server(tmp_path / "srv").start()
    try:
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "listenpost",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(first.port),
                "--data-dir",
                str(first.data_dir),
            ],
            capture_output=True,
            text=True,
            env={**os.environ, "LISTENPOST_API_KEYS": "lpk_other_key_of_a_second_server"},
            timeout=60,
        )
        line = one_line(out)
        assert str(first.port) in line and "--port" in line
        # The second server did not replace the first one's environment keys.
        first.token(API_KEY)
    finally:
        first.stop()


def test_port_taken_by_something_else(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out = subprocess.run(
            [sys.executable, "-m", "listenpost", "serve", "--host", "127.0.0.1"]
            + ["--port", str(port), "--data-dir", str(tmp_path / "d")],
            capture_output=True,
            text=True,
            timeout=60,
        )
    line = one_line(out)
    assert str(port) in line
    assert not (tmp_path / "d" / "listenpost.db").exists()


def test_no_api_key_is_pointed_out(tmp_path: Path) -> None:
    srv = Server(tmp_path / "srv", LISTENPOST_API_KEYS="")
    srv.start()
    try:
        assert httpx.get(srv.base + "/health").status_code == 200
    finally:
        srv.stop()
    log = srv.log.read_text()
    assert "no API key" in log and "listenpost apikey create --name NAME" in log
