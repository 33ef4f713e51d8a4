"""Each panel with realistic data: screenshots (test-artifacts/), laptop and phone widths."""

from __future__ import annotations

import random
from typing import Any

from dashboard_data import make_mic, post_event
from playwright.sync_api import expect

PLACES = [("Gate A", 37.5700, 126.9768), ("Gate B", 37.5712, 126.9790),
          ("Plaza", 37.5690, 126.9779), ("Bus stop", 37.5681, 126.9801),
          ("Parking", 37.5722, 126.9755)]
LABELS = ["scream_female", "normal_speech_male", "glass_break", "crying", "help_me"]


def seed(api: Any) -> list[str]:
    rnd = random.Random(15)
    mics = [make_mic(api, name, lat, lon) for name, lat, lon in PLACES]
    rule = {"name": "Screams at one mic", "window_seconds": 120, "min_events": 3,
            "group_by": "mic_id", "include_label_ids": ["scream_female"],
            "include_mic_ids": mics}
    assert api.post("/api/v1/composite-rules", json=rule).status_code == 201
    for i in range(40):
        noises = [round(45 + 30 * rnd.random() + (20 if 8 < j < 14 else 0), 1) for j in range(20)]
        post_event(api, mics[i % 3 if i % 4 else 0], LABELS[i % len(LABELS)],
                   round(0.6 + 0.4 * rnd.random(), 3), noises)
    return mics


def test_every_panel_renders_at_laptop_and_phone_width(
    page: Any, login: Any, api: Any, shot: Any
) -> None:
    mics = seed(api)
    login(page, hash="#/sound")
    expect(page.locator("#sound-rows .feed-row").first).to_be_visible()
    shot(page, "sound")
    page.locator("#sound-rows .feed-row").first.click()
    expect(page.locator("#mark-read")).to_be_visible()
    shot(page, "sound-detail")
    for panel, ready in [("composites", "#composite-list li"),
                         ("map", f"#mic-map path[data-mic='{mics[0]}']"),
                         ("mics", "#mic-rows tr"), ("rules", "#rule-rows tr")]:
        page.click(f"#nav a[data-panel={panel}]")
        expect(page.locator(ready).first).to_be_visible()
        shot(page, panel)
    page.set_viewport_size({"width": 390, "height": 800})
    for panel in ["sound", "map", "rules"]:
        page.click(f"#nav a[data-panel={panel}]")
        page.wait_for_timeout(300)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (panel, width)
        shot(page, f"{panel}-phone")
