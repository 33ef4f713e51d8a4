"""Composites, map, mics and rules panels, in Chromium, against a real server."""

from __future__ import annotations

from typing import Any

from dashboard_data import make_mic, post_event
from playwright.sync_api import expect


def test_a_composite_appears_live_and_expands_to_its_events(
    page: Any, login: Any, api: Any
) -> None:
    mic = make_mic(api, "Platform 2")
    rule = {"name": "Two cries", "window_seconds": 60, "min_events": 2,
            "include_label_ids": ["crying"], "include_mic_ids": [mic]}
    assert api.post("/api/v1/composite-rules", json=rule).status_code == 201
    login(page, hash="#/composites")
    expect(page.locator("#streams .chip[data-stream=composites][data-state=live]")).to_be_visible()
    events = [post_event(api, mic, "crying", 0.9) for _ in range(2)]
    item = page.locator("#composite-list li", has_text="Two cries")
    expect(item).to_have_count(1)
    expect(item).to_contain_text(f"{'edge-' + mic}:crying")
    item.locator("button.expand").click()
    expect(item.locator("button.expand")).to_have_attribute("aria-expanded", "true")
    for event in events:
        expect(item.locator(f"tr[data-id='{event['id']}']")).to_contain_text("Platform 2")


def test_the_map_has_a_marker_per_mic_that_pulses_on_events(
    page: Any, login: Any, api: Any
) -> None:
    mics = [make_mic(api, f"Harbour {i}", 35.10 + i * 0.01, 129.04 + i * 0.01) for i in range(3)]
    login(page, hash="#/map")
    for mic in mics:
        expect(page.locator(f"#mic-map path[data-mic='{mic}']")).to_have_count(1)
        expect(page.locator(f"#map-mics li[data-mic='{mic}']")).to_contain_text("Harbour")
    expect(page.locator("#mic-map .leaflet-control-scale")).to_be_visible()
    post_event(api, mics[0])
    expect(page.locator(f"#mic-map path[data-mic='{mics[0]}']")).to_have_attribute(
        "data-pulses", "1"
    )
    expect(page.locator(f"#map-mics li[data-mic='{mics[0]}']")).to_contain_text("recent")


def test_a_rule_created_through_the_form_fires(page: Any, login: Any, api: Any) -> None:
    mic = make_mic(api, "Yard")
    page.log.expected_statuses.add(422)
    login(page, hash="#/rules")
    page.fill("#rule-name", "Glass twice")
    page.fill("#rule-window_seconds", "0")
    page.fill("#rule-min_events", "2")
    page.fill("#rule-include_label_ids", "glass_break")
    page.fill("#rule-include_mic_ids", mic)
    page.click("#rule-submit")
    expect(page.locator("#rule-window_seconds-error")).to_contain_text("window_seconds")
    expect(page.locator("#rule-window_seconds")).to_have_attribute("aria-invalid", "true")
    page.fill("#rule-window_seconds", "60")
    page.click("#rule-submit")
    row = page.locator("#rule-rows tr", has_text="Glass twice")
    expect(row).to_have_count(1)
    rule_id = row.get_attribute("data-rule")
    for _ in range(2):
        post_event(api, mic, "glass_break", 0.95)
    page.click("#nav a[data-panel=composites]")
    expect(page.locator(f"#composite-list li[data-rule='{rule_id}']")).to_have_count(1)
    found = api.get("/api/v1/composite-events", params={"composite_rule_id": rule_id}).json()
    assert found["total_cnt"] == 1

    page.click("#nav a[data-panel=rules]")
    row.locator("button.toggle").click()
    expect(row).to_have_attribute("data-enabled", "false")
    row.locator("button.edit").click()
    page.fill("#rule-name", "Glass twice (edited)")
    page.click("#rule-submit")
    expect(page.locator("#rule-rows tr", has_text="Glass twice (edited)")).to_have_count(1)
    row = page.locator(f"#rule-rows tr[data-rule='{rule_id}']")
    row.locator("button.danger").click()
    row.locator("button.danger").click()
    expect(row).to_have_count(0)
    assert api.get(f"/api/v1/composite-rules/{rule_id}").status_code == 404


def test_mic_thresholds_are_edited_in_place_in_both_forms(
    page: Any, login: Any, api: Any
) -> None:
    mic = make_mic(api, "Lobby")
    page.log.expected_statuses.add(422)
    login(page, hash="#/mics")
    page.locator(f"#mic-rows tr[data-mic='{mic}'] button[aria-expanded]").click()
    editor = page.locator(f"#mic-rows tr.thresholds[data-mic='{mic}']")
    label_row = editor.locator("tr[data-label='scream_female']")
    label_row.locator("input[name=confidence]").fill("0.8")
    label_row.locator("input[name=confidence]").press("Enter")
    expect(label_row.locator("td").nth(0)).to_contain_text("saved")
    label_row.locator("input[name=sound_level_ge]").fill("65")
    label_row.locator("input[name=sound_level_ge]").press("Tab")
    expect(label_row.locator("td").nth(1)).to_contain_text("saved")
    stored = api.get(f"/api/v1/mics/{mic}").json()["data"]["thresholds"]["scream_female"]
    assert stored == {"confidence": 0.8, "sound_level_ge": 65}
    label_row.locator("input[name=sound_level_ge]").fill("500")
    label_row.locator("input[name=sound_level_ge]").press("Tab")
    expect(label_row.locator("td").nth(1)).to_contain_text("between 0 and 200")


def test_a_deep_link_reopens_the_same_filtered_view(page: Any, login: Any, api: Any) -> None:
    mic = make_mic(api, "Back Door")
    other = make_mic(api, "Front Door")
    mine = post_event(api, mic, "crying")
    theirs = post_event(api, other, "crying")
    login(page, hash=f"#/sound?label=crying&mic={mic}")
    expect(page.locator(f"#sound-rows .feed-row[data-id='{mine['id']}']")).to_have_count(1)
    expect(page.locator(f"#sound-rows .feed-row[data-id='{theirs['id']}']")).to_have_count(0)
    page.reload()
    expect(page.locator("#sound-label")).to_have_value("crying")
    expect(page.locator("#sound-mic")).to_have_value(mic)
    expect(page.locator(f"#sound-rows .feed-row[data-id='{mine['id']}']")).to_have_count(1)
    expect(page.locator(f"#sound-rows .feed-row[data-id='{theirs['id']}']")).to_have_count(0)
