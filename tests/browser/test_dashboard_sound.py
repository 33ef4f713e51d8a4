"""Login and the sound feed, in Chromium."""

from __future__ import annotations

from typing import Any

from dashboard_data import make_mic, post_event
from playwright.sync_api import expect


def test_wrong_key_shows_the_servers_message_next_to_the_field(page: Any, server: Any) -> None:
    page.log.expected_statuses.add(401)
    page.goto(server.url)
    page.fill("#api_key", "lpk_not_a_key")
    page.click("#login-form button[type=submit]")
    expect(page.locator("#login-error")).to_contain_text("Invalid Key")
    expect(page.locator("#main")).to_be_hidden()


def test_login_keeps_the_token_out_of_the_url_and_logs_out(
    page: Any, login: Any, server: Any
) -> None:
    login(page)
    token = page.evaluate("sessionStorage.getItem('listenpost.token')")
    assert token and token.count(".") == 2
    assert token not in page.url
    expect(page.locator("#streams .chip[data-state=live]").first).to_be_visible()
    page.click("#logout")
    expect(page.locator("#api_key")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('listenpost.token')") is None
    # A call still running when the user signed out (a panel paging a list) sends nothing more:
    # its next request would be a sure 401 in the console.
    sent = len(page.log.urls)
    outcome = page.evaluate(
        "import('/ui/lib/api.js').then(m => m.api('/api/v1/mics'))"
        ".then(() => 'sent', e => e.message)"
    )
    assert "signed out" in outcome
    assert not [u for u in page.log.urls[sent:] if "/api/v1/mics" in u]
    log = server.log.read_text()
    assert token not in log and "access_token=[REDACTED]" in log


def test_posted_events_appear_with_mic_name_label_and_sparkline(
    page: Any, login: Any, api: Any
) -> None:
    mic = make_mic(api, "North Gate")
    login(page, hash="#/sound")
    expect(page.locator("#streams .chip[data-stream=sound][data-state=live]")).to_be_visible()
    event = post_event(api, mic, "scream_female", 0.87)
    row = page.locator(f"#sound-rows .feed-row[data-id='{event['id']}']")
    expect(row).to_contain_text("North Gate")
    expect(row).to_contain_text("scream female")
    expect(row).to_contain_text("87.0%")
    expect(row.locator("svg.spark polyline")).to_have_count(1)
    page.click("#sound-lang")
    expect(row.locator(".label")).not_to_contain_text("scream female")


def test_an_event_that_arrives_live_while_the_list_loads_stays_in_the_feed(
    page: Any, login: Any, api: Any
) -> None:
    """The list answer can predate a live event (slow server): loading it must not hide it."""
    mic = make_mic(api, "Loading Bay")
    older = post_event(api, mic, "glass_break", 0.6)
    held: list[Any] = []

    def hold(route: Any) -> None:  # answer later, with the list as it was *now*
        held.append((route, route.fetch()))

    page.route("**/api/v1/events?*", hold)
    login(page, hash=f"#/sound?mic={mic}")
    expect(page.locator("#streams .chip[data-stream=sound][data-state=live]")).to_be_visible()
    page.wait_for_function("document.querySelector('#sound-mic') !== null")
    for _ in range(200):
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the feed never asked for its list"
    live = post_event(api, mic, "scream_female", 0.9)
    rows = page.locator("#sound-rows .feed-row")
    expect(rows.and_(page.locator(f"[data-id='{live['id']}']"))).to_have_count(1)
    route, answer = held.pop(0)
    route.fulfill(response=answer)
    expect(rows.and_(page.locator(f"[data-id='{older['id']}']"))).to_have_count(1)
    expect(rows.and_(page.locator(f"[data-id='{live['id']}']"))).to_have_count(1)
    page.unroute("**/api/v1/events?*")


def test_row_opens_detail_deep_link_and_mark_read(page: Any, login: Any, api: Any) -> None:
    mic = make_mic(api, "Dock 4")
    event = post_event(api, mic, "glass_break", 0.75)
    login(page, hash=f"#/sound?mic={mic}")
    row = page.locator(f"#sound-rows .feed-row[data-id='{event['id']}']")
    row.focus()
    page.keyboard.press("Enter")
    assert f"#/events/{event['id']}" in page.url
    detail = page.locator("#sound-detail")
    expect(detail).to_contain_text("glass_break")
    page.click("#mark-read")
    expect(page.locator("#read-status")).to_contain_text("read 20")
    stored = api.get(f"/api/v1/events/{event['id']}").json()
    assert stored.get("data", stored)["is_read"] is True
    page.reload()
    expect(page.locator("#sound-detail")).to_contain_text("Dock 4")
    expect(page.locator("#sound-mic")).to_have_value(mic)


def test_swagger_ui_renders_from_package_files(page: Any, server: Any) -> None:
    page.goto(server.url + "/docs")
    title = page.locator(".swagger-ui .info .title")
    expect(title).to_contain_text("listenpost", timeout=30_000)  # the document is built once
    assert any("/ui/vendor/swagger-ui" in u for u in page.log.urls)
