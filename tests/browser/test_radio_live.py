"""The Radio panel in Chromium: trunk-recorder messages through Mosquitto become live rows,
chart points and recorder states; filters are /api/ws subscriptions; deep links reopen."""

from __future__ import annotations

import math
import re
import time
from typing import Any

import radio_data as data
from mqtt_support import wait_for
from playwright.sync_api import expect
from radio_data import radio_server  # noqa: F401  (fixture "server")


def test_calls_rates_recorders_and_units_arrive_live(
    page: Any, login: Any, server: data.RadioBrowserServer, shot: Any
) -> None:
    log = data.WsLog(page)
    login(page, hash="#/radio")
    log.confirmed("radio", channels=["calls", "units", "rates", "recorders"])

    chart = page.locator("#rate-chart")
    server.send(data.rates(31.5))
    expect(chart).to_have_attribute("data-systems", re.compile(r"\bp25trunk\b"))
    expect(chart).not_to_have_attribute("data-points", "0")
    expect(chart.locator("canvas")).to_have_count(1)

    rec = page.locator("#recorders tr", has_text="4/16")
    server.send(data.recorder("IDLE"))
    expect(rec).to_have_attribute("data-state", "IDLE")
    server.send(data.recorder("RECORDING"))
    expect(rec).to_have_attribute("data-state", "RECORDING")
    expect(rec).to_have_count(1)

    tg, start = 41001, int(time.time())
    server.send(data.call_start(tg, start, emergency=True, encrypted=True, unit=849183))
    active = page.locator(f'#active-calls tr[data-talkgroup="{tg}"]')
    expect(active).to_have_count(1)
    expect(active).to_contain_text(f"TG {tg} ({tg})")
    expect(active).to_contain_text("Metro Dispatch (849183)")
    expect(active.locator(".badge.emergency")).to_be_visible()
    expect(active.locator(".badge.encrypted")).to_be_visible()
    expect(active.locator("td.elapsed")).to_have_text(re.compile(r"^\d+:\d\d$"))
    shot(page, "radio-active-call")

    server.send(data.call_end(tg, start))
    expect(active).to_have_count(0)
    recent = page.locator(f'#recent-calls tr[data-talkgroup="{tg}"]')
    expect(recent).to_have_count(1)

    server.send(data.audio(tg, start, data.wav_bytes(1.0)))
    recent.locator("button.play").click()
    page.wait_for_function(
        "() => { const a = document.querySelector('#radio-player');"
        " return a.readyState >= 1 && a.duration > 0; }"
    )
    assert page.evaluate("document.querySelector('#radio-player').src").startswith(server.url)

    server.send(data.unit_join(7001, tg))
    expect(page.locator('#unit-log tr[data-unit="7001"][data-event="join"]')).to_have_count(1)
    shot(page, "radio")



def test_filters_are_subscriptions_and_the_link_reopens_them(
    page: Any, login: Any, server: data.RadioBrowserServer
) -> None:
    log = data.WsLog(page)
    login(page, hash="#/radio?system=p25trunk&talkgroup=42002")
    log.confirmed("radio", systems=["p25trunk"], talkgroups=[42002])
    expect(page.locator("#radio-system")).to_have_value("p25trunk")
    expect(page.locator("#radio-talkgroup")).to_have_value("42002")

    start = int(time.time())
    server.send(data.call_start(42003, start), data.call_start(42002, start))
    expect(page.locator('#active-calls tr[data-talkgroup="42002"]')).to_have_count(1)
    expect(page.locator('#active-calls tr[data-talkgroup="42003"]')).to_have_count(0)
    # The server filtered: the other talkgroup never reached the page.
    assert not [f for f in log.received["radio"] if f.get("data", {}).get("talkgroup") == 42003]

    page.fill("#radio-talkgroup", "42003")
    page.click(".radio-filters button[type=submit]")
    log.confirmed("radio", talkgroups=[42003])
    unsubscribed = [f for f in log.sent["radio"] if f["action"] == "unsubscribe"]
    assert unsubscribed == [{"action": "unsubscribe", "talkgroups": [42002]}]
    assert page.url.endswith("#/radio?system=p25trunk&talkgroup=42003")
    # The list restarts from the server's active calls under the new filter.
    expect(page.locator('#active-calls tr[data-talkgroup="42003"]')).to_have_count(1)
    expect(page.locator('#active-calls tr[data-talkgroup="42002"]')).to_have_count(0)

    sent = len(log.sent["radio"])
    page.fill("#radio-talkgroup", "fire dept")
    page.click(".radio-filters button[type=submit]")
    expect(page.locator("#radio-filter-error")).to_contain_text("not a whole number")
    assert len(log.sent["radio"]) == sent  # nothing sent for a bad filter

    log.reset()
    page.reload()
    log.confirmed("radio", systems=["p25trunk"], talkgroups=[42003])
    expect(page.locator("#radio-talkgroup")).to_have_value("42003")
    expect(page.locator('#active-calls tr[data-talkgroup="42003"]')).to_have_count(1)
    server.send(data.call_end(42002, start), data.call_end(42003, start))
    expect(page.locator("#active-calls tr")).to_have_count(0)


def test_a_call_link_opens_its_detail_and_player(
    page: Any, login: Any, server: data.RadioBrowserServer, api: Any, shot: Any
) -> None:
    start = int(time.time())
    server.send(data.call_start(43001, start, unit=849183), data.call_end(43001, start),
                data.audio(43001, start, data.wav_bytes(1.0)))
    call_id = wait_for(lambda: [c["id"] for c in api.get(
        "/api/v1/calls", params={"talkgroup": 43001}).json()["results"] if c["audio_url"]])[0]
    login(page, hash=f"#/calls/{call_id}")
    detail = page.locator("#call-detail")
    expect(detail).to_contain_text(f"Call {call_id}")
    expect(detail).to_contain_text("TG 43001 (43001)")
    page.wait_for_function("() => document.querySelector('#call-audio')?.duration > 0")
    shot(page, "radio-call-detail")

    page.reload()
    expect(detail).to_contain_text(f"Call {call_id}")
    page.wait_for_function("() => document.querySelector('#call-audio')?.duration > 0")
    page.click("#call-close")
    expect(detail).to_be_hidden()
    assert page.url.endswith("#/radio")
    page.locator(f'#recent-calls tr[data-call-id="{call_id}"] button.open').click()
    expect(detail).to_contain_text(f"Call {call_id}")
    assert page.url.endswith(f"#/calls/{call_id}")


def test_radio_and_queue_fit_a_phone(
    page: Any, login: Any, server: data.RadioBrowserServer, shot: Any
) -> None:
    start = int(time.time())
    # Twenty minutes of decode rates, loaded over REST when the panel opens.
    server.send(*(data.rates(30 + 8 * math.sin(k / 3), start - 60 * k) for k in range(20, 0, -1)))
    wait_for(lambda: api_rates(server) >= 40)
    log = data.WsLog(page)
    login(page, hash="#/radio")
    log.confirmed("radio", channels=["calls", "units", "rates", "recorders"])
    server.send(data.rates(36.0), data.call_start(44001, start, emergency=True),
                data.call_start(44002, start, encrypted=True, unit=1849262),
                data.unit_join(7002, 44001))
    expect(page.locator('#active-calls tr[data-talkgroup="44002"]')).to_have_count(1)
    expect(page.locator("#rate-chart canvas")).to_have_count(1)
    expect(page.locator("#rate-chart")).to_have_attribute("data-points", re.compile(r"^[4-9]\d$"))
    shot(page, "radio-laptop")
    page.set_viewport_size({"width": 390, "height": 800})
    for panel in ("radio", "queue"):
        page.click(f"#nav a[data-panel={panel}]")
        page.wait_for_timeout(300)  # let the layout settle after the resize
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (panel, width)
        shot(page, f"{panel}-phone")
    server.send(data.call_end(44001, start), data.call_end(44002, start))


def api_rates(server: data.RadioBrowserServer) -> int:
    with server.client() as c:
        return int(c.get("/api/v1/stats/rates").json()["total_cnt"])


def test_a_burst_of_unit_events_keeps_the_log_capped_newest_first(
    page: Any, login: Any, server: data.RadioBrowserServer
) -> None:
    log = data.WsLog(page)
    login(page, hash="#/radio")
    log.confirmed("radio", channels=["calls", "units", "rates", "recorders"])
    server.send(*(data.unit_join(80000 + i, 45001) for i in range(260)))
    rows = page.locator("#unit-log tr")
    expect(rows.first).to_have_attribute("data-unit", "80259", timeout=15000)
    expect(rows).to_have_count(200)
    expect(rows.last).to_have_attribute("data-unit", "80060")


def test_every_recorded_plugin_message_renders_without_an_error(
    page: Any, login: Any, server: data.RadioBrowserServer
) -> None:
    """The real-capture corpus (every plugin generation: all-strings values, blanks, older key
    names) and the plugin's documented examples with extra/, as the page receives them live."""
    from corpus import corpus_messages
    from mqtt_support import fixture_messages, publish

    log = data.WsLog(page)
    login(page, hash="#/radio")
    log.confirmed("radio", channels=["calls", "units", "rates", "recorders"])
    server.send(*((topic, payload) for _, topic, payload in corpus_messages()))
    publish(fixture_messages(server.prefix))  # the examples and extra/ (a real WAV)
    server.send(data.unit_join(7999, 46001))  # after everything else (MQTT keeps the order)
    expect(page.locator('#unit-log tr[data-unit="7999"]')).to_have_count(1)
    events = {f["event"] for f in log.received["radio"]}
    assert events >= {"call_start", "call_end", "audio_available", "unit_event", "rate_update",
                      "recorder_update"}
    expect(page.locator('#recent-calls tr[data-system="chemung-ny"] button.play')).to_have_count(1)
    expect(page.locator("#recorders tr")).not_to_have_count(0)
    # The page fixture then checks that nothing was logged as a console error.
