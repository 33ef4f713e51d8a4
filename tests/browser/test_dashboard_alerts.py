"""The Alerts panel, in Chromium, against a real server: a rule made in the editor fires, the
alert appears live, is acknowledged and resolved from the page."""

from __future__ import annotations

import json
from typing import Any

from dashboard_data import make_mic, post_event
from playwright.sync_api import expect


def test_an_alert_rule_from_the_editor_fires_live_and_is_acked_and_resolved(
    page: Any, login: Any, api: Any
) -> None:
    mic = make_mic(api, "Gate")
    page.log.expected_statuses.add(422)
    login(page, hash="#/alerts")
    expect(page.locator("#streams .chip[data-stream=alerts][data-state=live]")).to_be_visible()
    expect(page.locator("#alert-edit-item option")).not_to_have_count(0)
    rule = {"name": "Gate scream", "source": "sound",
            "match": {"mic_ids": [mic], "min_confidence": 2}}
    page.fill("#alert-edit-json", json.dumps(rule))
    page.click("#alert-edit-save")
    expect(page.locator("#alert-edit-error")).to_contain_text("match.min_confidence")
    rule["match"]["min_confidence"] = 0.5
    page.fill("#alert-edit-json", json.dumps(rule))
    page.click("#alert-edit-save")
    expect(page.locator("#alert-edit-status")).to_have_text("saved")
    expect(page.locator("#alert-edit-item option", has_text="Gate scream")).to_have_count(1)

    post_event(api, mic, "scream_female", 0.9)
    card = page.locator("#alert-list li", has_text="Gate scream")
    expect(card).to_have_attribute("data-state", "new")
    card.locator("button.ack").click()
    expect(card).to_have_attribute("data-state", "acknowledged")
    expect(card).to_contain_text("acknowledged by")
    card.locator("button.resolve").click()
    expect(page.locator("#alert-list li", has_text="Gate scream")).to_have_count(0)  # open only
    page.select_option("#alert-state", "resolved")
    expect(page.locator("#alert-list li", has_text="Gate scream")).to_have_attribute(
        "data-state", "resolved"
    )
