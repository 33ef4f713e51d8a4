from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from servers import BusServer


@pytest.fixture(params=["redis", "nats"])
def private_bus(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BusServer]:
    """A bus server this test alone uses, so it may stop and restart it."""
    server = BusServer(request.param, tmp_path / request.param).start()
    yield server
    server.stop()
