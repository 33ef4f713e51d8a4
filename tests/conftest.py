from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from support import Server, create_pg_database  # noqa: E402


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """The API suite runs once on SQLite and once on PostgreSQL."""
    data = tmp_path_factory.mktemp(f"server-{request.param}")
    drop = None
    url = ""
    if request.param == "postgres":
        url, drop = create_pg_database()
    srv = Server(data, url).start()
    yield srv
    srv.stop()
    if drop:
        drop()


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[Server]:
    """A private SQLite server for tests that restart it or change its settings."""
    srv = Server(tmp_path / "srv")
    yield srv
    srv.stop()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests run last: Playwright's sync API keeps an event loop running in the main
    thread while its session-scoped browser lives, and pytest-asyncio cannot start one then."""
    items.sort(key=lambda item: "browser" in item.path.parts)
