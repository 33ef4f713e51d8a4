"""The demo's loops: sound events over REST, the radio script into a sink, a progress log."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass

import orjson

from .client import Api
from .place import MICS, PLACE, RULE
from .radio import RadioScript, Step
from .sinks import RadioSink
from .sound import SoundGenerator, SoundSchedule

log = logging.getLogger("listenpost.demo")
TICK = 0.25  # seconds between sound posts
REPORT_EVERY = 15.0  # seconds between progress lines
COMPOSITES_EVERY = 2.0  # seconds between looks for new composite events


@dataclass
class Counts:
    events: int = 0
    bursts: int = 0
    composites: int = 0
    calls: int = 0
    audio: int = 0
    radio_messages: int = 0


async def setup(api: Api) -> None:
    """The demo's mics and its composite rule, created (or updated) on the server."""
    for mic in MICS:
        await api.ensure("/api/v1/mics", mic.body())
    await api.ensure("/api/v1/composite-rules", RULE)
    log.info("%d mics around %s and the rule %r are ready", len(MICS), PLACE, RULE["name"])


async def sound_loop(api: Api, rate: float, seed: int, counts: Counts) -> None:
    schedule = SoundSchedule(SoundGenerator(random.Random(seed)), rate, time.monotonic())
    while True:
        await asyncio.sleep(TICK)
        events, burst = schedule.tick(time.monotonic())
        if burst is not None:
            counts.bursts += 1
            log.info(
                "burst: %d × %s at %s, the rule %r should fire",
                len(burst.events),
                burst.label_id,
                burst.mic.name,
                RULE["name"],
            )
        if events:
            counts.events += await api.post_events(events)


async def radio_loop(sink: RadioSink, script: RadioScript, counts: Counts) -> None:
    for step in script.steps(time.time()):
        delay = step.at - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        await sink.send(step.topic, orjson.dumps(step.payload))
        counts.radio_messages += 1
        _note(step, counts)


def _note(step: Step, counts: Counts) -> None:
    kind = step.payload.get("type")
    if kind == "call_start":
        counts.calls += 1
        call = step.payload["call"]
        badges = "".join(
            f" [{flag}]" for flag in ("emergency", "encrypted") if call.get(flag) is True
        )
        log.info(
            "radio: call on %s TG %s (%s) from unit %s%s",
            call["sys_name"],
            call["talkgroup"],
            call["talkgroup_alpha_tag"],
            call["unit"],
            badges,
        )
    elif kind == "audio":
        counts.audio += 1


async def composite_loop(api: Api, counts: Counts) -> None:
    """Say when the server has created composite events (the rule fired)."""
    while True:
        await asyncio.sleep(COMPOSITES_EVERY)
        page = await api.get_json("/api/v1/composite-events?size=1")
        if not page or page["total_cnt"] <= counts.composites:
            continue
        counts.composites = page["total_cnt"]
        newest = page["results"][0]
        log.info(
            "composite: the rule %r fired at %s (%d composite events so far)",
            newest["rule"]["name"],
            ", ".join(m["name"] for m in newest["mics"]),
            counts.composites,
        )


async def report_loop(counts: Counts, radio: bool) -> None:
    while True:
        await asyncio.sleep(REPORT_EVERY)
        radio_part = f", {counts.calls} radio calls ({counts.audio} with audio)" if radio else ""
        log.info(
            "so far: %d sound events, %d bursts, %d composite events%s",
            counts.events,
            counts.bursts,
            counts.composites,
            radio_part,
        )


async def run_feeds(
    api: Api, sink: RadioSink | None, script: RadioScript | None, rate: float, seed: int
) -> None:
    """Run until cancelled; a loop that fails stops the others and its exception is raised
    as is (the command prints it on one line)."""
    counts = Counts()
    loops = [
        sound_loop(api, rate, seed, counts),
        composite_loop(api, counts),
        report_loop(counts, sink is not None),
    ]
    if sink is not None and script is not None:
        loops.append(radio_loop(sink, script, counts))
    tasks = [asyncio.create_task(loop) for loop in loops]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            task.result()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
