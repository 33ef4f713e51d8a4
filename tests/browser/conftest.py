"""Browser suite: Debian's Chromium driven by Playwright against a real `listenpost serve`.

Fixtures (shared by every dashboard test): `server` (a running server with `.url` and
`.api_key`; its log is at info level so tests can read the access log), `page` (a fresh
1366×768 page that records every request, WebSocket and console error in `page.log`; after
the test it asserts that nothing left the server's host and that the console stayed clean;
`page.log.expected_statuses.add(401)` allows an error answer the test provokes), `login`
(`login(page)` signs in with the server's key) and `shot` (`shot(page, name)` saves a
screenshot under test-artifacts/). No browser is downloaded: Chromium comes from apt.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from browser_harness import BrowserServer, PageLog  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _need(what: str) -> None:
    message = f"{what}; .ci/run installs it (apt-get install chromium, pip install playwright)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserServer]:
    srv = BrowserServer(tmp_path_factory.mktemp("browser-srv"), LISTENPOST_LOG_LEVEL="info")
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        _need(f"{CHROMIUM} is missing")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _need("the Python package playwright is missing")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, server: BrowserServer) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    pg = context.new_page()
    log = PageLog()
    pg.on("request", lambda r: log.urls.append(r.url))
    pg.on("websocket", lambda ws: log.urls.append(ws.url))
    pg.on("console", log.console)
    pg.on("pageerror", lambda exc: log.errors.append(f"uncaught: {exc}"))
    pg.log = log
    yield pg
    context.close()
    host = urlsplit(server.url).netloc
    foreign = [u for u in log.urls if urlsplit(u).scheme not in {"data", "blob", "about"}
               and urlsplit(u).netloc != host]
    assert not foreign, f"requests to other hosts: {foreign[:5]}"
    assert not log.errors, f"console errors: {log.errors[:5]}"


@pytest.fixture
def login(server: BrowserServer) -> Callable[..., None]:
    def sign_in(pg: Any, key: str | None = None, hash: str = "") -> None:
        pg.goto(server.url + "/" + hash)
        pg.fill("#api_key", key or server.api_key)
        pg.click("#login-form button[type=submit]")
        pg.wait_for_selector("#main:not([hidden])")

    return sign_in


@pytest.fixture
def shot() -> Callable[[Any, str], Path]:
    def save(pg: Any, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        pg.screenshot(path=str(path))
        return path

    return save


@pytest.fixture
def api(server: BrowserServer) -> Iterator[Any]:
    """An httpx client with an admin token, for arranging data behind the page's back."""
    with server.client() as client:
        yield client
