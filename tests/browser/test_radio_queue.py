"""The live audio queue in Chromium: calls with audio play in order; Hold and Avoid change
what it plays; the choices survive a reload (localStorage)."""

from __future__ import annotations

import time
from typing import Any

import radio_data as data
from playwright.sync_api import expect
from radio_data import radio_server  # noqa: F401  (fixture "server")

WAV = data.wav_bytes(0.5)


def played(page: Any) -> list[int]:
    """Talkgroups of the calls the queue played to their end, oldest first."""
    rows = page.locator("#queue-history li:has(.outcome.played)")
    return [int(t) for t in reversed(rows.evaluate_all("els => els.map(e => e.dataset.talkgroup)"))]


def test_hold_and_avoid_change_what_the_queue_plays(
    page: Any, login: Any, server: data.RadioBrowserServer, shot: Any
) -> None:
    log = data.WsLog(page)
    login(page, hash="#/queue")
    page.click("#queue-start")
    log.confirmed("queue", channels=["calls"])
    page.click("#queue-pause")
    expect(page.locator("#queue-pause")).to_have_attribute("aria-pressed", "true")

    start = int(time.time())
    server.send(*(data.audio(tg, start, WAV) for tg in (51001, 51002, 51003)))
    expect(page.locator("#queue-length")).to_have_text("3")

    page.select_option("#queue-avoid-minutes", "30")
    page.locator('#queue-list li[data-talkgroup="51002"] button.avoid').click()
    expect(page.locator("#queue-length")).to_have_text("2")
    expect(page.locator('#queue-avoids li[data-talkgroup="51002"]')).to_contain_text("min left")

    page.locator('#queue-list li[data-talkgroup="51003"] button.hold-tg').click()
    expect(page.locator("#queue-length")).to_have_text("1")
    expect(page.locator("#queue-hold")).to_contain_text("Holding talkgroup TG 51003")

    # While held and avoided: only 51003 is queued.
    server.send(*(data.audio(tg, start + 1, WAV) for tg in (51001, 51002, 51003)))
    expect(page.locator("#queue-length")).to_have_text("2")
    shot(page, "radio-queue")

    page.click("#queue-pause")  # resume: both 51003 calls play
    expect(page.locator("#queue-history li:has(.outcome.played)")).to_have_count(2, timeout=15000)
    assert played(page) == [51003, 51003]
    expect(page.locator("#queue-length")).to_have_text("0")

    page.click("#queue-release")
    server.send(data.audio(51002, start + 2, WAV), data.audio(51001, start + 2, WAV))
    expect(page.locator("#queue-history li:has(.outcome.played)")).to_have_count(3, timeout=15000)
    assert played(page) == [51003, 51003, 51001]  # 51002 stays avoided

    # A call already heard can be avoided from the played list.
    page.locator('#queue-history li[data-talkgroup="51003"] button.avoid').first.click()
    expect(page.locator('#queue-avoids li[data-talkgroup="51003"]')).to_have_count(1)
    page.locator('#queue-avoids li[data-talkgroup="51003"] button.clear-avoid').click()

    page.click("#queue-replay")
    expect(page.locator("#queue-history li:has(.outcome.played)")).to_have_count(4, timeout=15000)
    assert played(page)[-1] == 51001
    assert page.evaluate("document.querySelector('#queue-audio').duration") > 0

    # The choices are kept: after a reload the avoid is still listed and still applies.
    log.reset()
    page.reload()
    expect(page.locator('#queue-avoids li[data-talkgroup="51002"]')).to_have_count(1)
    page.click("#queue-start")
    log.confirmed("queue", channels=["calls"])
    page.click("#queue-pause")
    server.send(data.audio(51002, start + 3, WAV), data.audio(51001, start + 3, WAV))
    expect(page.locator("#queue-list li")).to_have_count(1)
    expect(page.locator("#queue-list li")).to_have_attribute("data-talkgroup", "51001")
    page.locator('#queue-avoids li[data-talkgroup="51002"] button.clear-avoid').click()
    expect(page.locator("#queue-avoids li")).to_have_count(0)


def test_skip_moves_on_and_start_listening_is_needed(
    page: Any, login: Any, server: data.RadioBrowserServer
) -> None:
    log = data.WsLog(page)
    login(page, hash="#/queue")
    expect(page.locator("#queue-start")).to_be_visible()
    expect(page.locator("#queue-now")).to_contain_text("Not listening")
    page.focus("#queue-start")  # by keyboard: Enter on the button also unlocks playback
    page.keyboard.press("Enter")
    log.confirmed("queue", channels=["calls"])
    start = int(time.time())
    long = data.wav_bytes(20.0)
    server.send(data.audio(52001, start, long), data.audio(52002, start, WAV))
    expect(page.locator('#queue-now li[data-talkgroup="52001"]')).to_have_count(1)
    page.focus("#queue-skip")
    page.keyboard.press("Enter")
    outcome = '#queue-history li[data-talkgroup="{}"] .outcome'
    expect(page.locator(outcome.format(52001))).to_have_text("skipped")
    expect(page.locator(outcome.format(52002))).to_have_text("played", timeout=15000)

    # Signing out stops the queue and forgets its calls; signing in again starts afresh.
    page.click("#logout")
    expect(page.locator("#api_key")).to_be_visible()
    assert page.evaluate("document.querySelector('#queue-audio').paused")
    log.reset()
    page.fill("#api_key", server.api_key)
    page.click("#login-form button[type=submit]")
    page.click("#nav a[data-panel=queue]")
    expect(page.locator("#queue-history li")).to_have_count(0)
    page.click("#queue-start")
    log.confirmed("queue", channels=["calls"])
    server.send(data.audio(52003, start, WAV))
    expect(page.locator(outcome.format(52003))).to_have_text("played", timeout=15000)
