"""`serve(settings, companion)`: what the demo relies on to run beside the server."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from listenpost.config import load_settings
from listenpost.serving import serve


class Done(Exception):
    pass


def test_a_companion_runs_while_the_server_answers_and_its_failure_stops_it(
    tmp_path: Path,
) -> None:
    seen: list[int] = []

    async def companion(app: FastAPI) -> None:
        host, port = app.state.address
        async with httpx.AsyncClient() as client:
            seen.append((await client.get(f"http://{host}:{port}/health")).status_code)
        raise Done("the companion is done")

    settings = load_settings(
        {"host": "127.0.0.1", "port": 0, "data_dir": str(tmp_path), "log_level": "warning"},
        env={},
    )
    with pytest.raises(Done):
        serve(settings, companion)
    assert seen == [200]
