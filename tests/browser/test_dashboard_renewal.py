"""The access token is renewed before it expires and the live streams move to the new one
without an interruption (a server with 10-second tokens)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from browser_harness import BrowserServer, PageLog
from dashboard_data import make_mic, post_event
from playwright.sync_api import expect


@pytest.fixture
def short_lived(tmp_path: Any) -> Iterator[BrowserServer]:
    srv = BrowserServer(tmp_path / "srv", LISTENPOST_TOKEN_TTL="10")
    srv.start()
    yield srv
    srv.stop()


def test_the_token_is_renewed_and_streams_stay_live(browser: Any, short_lived: Any) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    log = PageLog()
    page.on("console", log.console)
    page.goto(short_lived.url + "/#/sound")
    page.fill("#api_key", short_lived.api_key)
    page.click("#login-form button[type=submit]")
    chip = page.locator("#streams .chip[data-stream=sound]")
    expect(chip).to_have_attribute("data-state", "live")
    first = page.evaluate("sessionStorage.getItem('listenpost.token')")
    page.wait_for_function(
        "t => sessionStorage.getItem('listenpost.token') !== t", arg=first, timeout=15_000
    )
    # past the first token's expiry (and the server's 1 s sweep): still live, nothing noted
    page.wait_for_timeout(5_000)
    expect(chip).to_have_attribute("data-state", "live")
    assert page.locator("#notes .note").count() == 0
    with short_lived.client() as api:
        event = post_event(api, make_mic(api, "Renewed"))
    expect(page.locator(f"#sound-rows [data-id='{event['id']}']")).to_contain_text("Renewed")
    context.close()
    assert not log.errors, log.errors
