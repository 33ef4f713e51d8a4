"""Load check: 200 sound events/s for 20 s while the feed is on screen. The page must keep
painting (≥ 20 animation frames in every second of the burst, counted by an init script's
own requestAnimationFrame loop), keep the feed capped at 500 events (with only the rows in view
in the DOM) and keep its stream."""

from __future__ import annotations

import threading
import time
from typing import Any

from dashboard_data import make_mic
from playwright.sync_api import expect

RATE = 200  # events per second
SECONDS = 20
BATCH = 20  # events per POST /api/v1/events/batch, RATE / BATCH posts per second
COUNT_FRAMES = """
window.__frames = [];
const tick = (t) => { window.__frames.push(t); requestAnimationFrame(tick); };
requestAnimationFrame(tick);
"""


def burst(api: Any, mics: list[str], stop: threading.Event, failures: list[str]) -> None:
    labels = ["scream_female", "crying", "glass_break", "help_me"]
    start = time.monotonic()
    for n in range(RATE * SECONDS // BATCH):
        events = [{"mic_id": mics[i % len(mics)], "label_id": labels[i % len(labels)],
                   "confidence": 0.9, "noises": [40 + (i * 7 + j * 3) % 50 for j in range(20)]}
                  for i in range(BATCH)]
        r = api.post("/api/v1/events/batch", json={"events": events})
        if r.status_code != 201:
            failures.append(r.text)
        delay = start + (n + 1) * BATCH / RATE - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        if stop.is_set():
            return


def test_the_feed_keeps_painting_and_stays_capped_at_200_events_per_second(
    page: Any, login: Any, api: Any, shot: Any
) -> None:
    mics = [make_mic(api, f"Load {i}") for i in range(10)]
    page.add_init_script(COUNT_FRAMES)
    login(page, hash="#/sound")
    expect(page.locator("#streams .chip[data-stream=sound][data-state=live]")).to_be_visible()
    failures: list[str] = []
    stop = threading.Event()
    t0 = page.evaluate("performance.now()")
    started = time.monotonic()
    poster = threading.Thread(target=burst, args=(api, mics, stop, failures))
    poster.start()
    poster.join(SECONDS * 3)
    stop.set()
    elapsed = time.monotonic() - started
    t1 = page.evaluate("performance.now()")
    frames = page.evaluate("window.__frames")
    assert not failures, failures[:1]
    per_second = [sum(1 for t in frames if t0 + 1000 * s <= t < t0 + 1000 * (s + 1))
                  for s in range(int((t1 - t0) // 1000))]
    print(f"\nposted {RATE * SECONDS} events in {elapsed:.1f} s; "
          f"animation frames per second: min {min(per_second)}, "
          f"median {sorted(per_second)[len(per_second) // 2]}, max {max(per_second)}")
    assert min(per_second) >= 20, per_second
    expect(page.locator("#sound-count")).to_contain_text("500 shown")
    assert page.locator("#sound-rows .feed-row").count() < 60  # only the rows in view
    assert page.locator("#streams .chip[data-stream=sound]").get_attribute("data-state") == "live"
    assert page.locator("#notes .note").count() == 0
    shot(page, "sound-under-load")
