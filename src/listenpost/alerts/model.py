"""What an alert rule and an alert target may say, checked where they enter (API, rules file).

Every problem is a 422 naming the field as the client wrote it (`match.min_confidence: ...`,
`count.group_by: ...`). A rule's `match` depends on its `source`, so it is validated in a
second step against the model of that source.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import Invalid, describe_validation
from ..sound.labels import LABELS
from ..sound.models import ResourceId, Strict

Source = Literal["sound", "composite", "radio", "silence"]
RadioEvent = Literal["call_start", "call_end", "audio_available", "unit_event"]
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Ids = list[Annotated[str, Field(min_length=1, max_length=200)]] | None
Confidence = Annotated[float, Field(ge=0, le=1)]
Seconds = Annotated[float, Field(gt=0, le=30 * 86400)]
Clock = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
UntilClock = Annotated[str, Field(pattern=r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$")]
RADIO_EVENTS: tuple[str, ...] = ("call_start", "call_end", "audio_available", "unit_event")
# group_by fields each source's events carry
GROUP_FIELDS: dict[str, tuple[str, ...]] = {
    "sound": ("mic", "label"),
    "radio": ("system", "talkgroup", "unit"),
    "composite": (),
    "silence": (),
}


class SoundMatch(Strict):
    label_ids: Ids = None
    mic_ids: Ids = None
    min_confidence: Confidence | None = None
    min_sound_level: float | None = None


class CompositeMatch(Strict):
    rule_ids: Ids = None


class RadioMatch(Strict):
    events: list[RadioEvent] | None = None
    unit_event_types: Ids = None
    systems: Ids = None
    talkgroups: list[int] | None = None
    units: list[int] | None = None
    emergency: bool | None = None
    encrypted: bool | None = None


class SilenceMatch(Strict):
    kind: Literal["mic", "system", "decode_rate"]
    for_seconds: Seconds
    mic_ids: Ids = None
    systems: Ids = None
    below: float | None = None  # decode_rate: messages/s under which the system counts as bad


MATCHES: dict[str, type[Strict]] = {
    "sound": SoundMatch,
    "composite": CompositeMatch,
    "radio": RadioMatch,
    "silence": SilenceMatch,
}


class Count(Strict):
    min_events: Annotated[int, Field(ge=1, le=1_000_000)]
    window_seconds: Annotated[float, Field(gt=0, le=86400)]
    group_by: list[str] | None = None


class Schedule(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", populate_by_name=True)

    timezone: str = "UTC"
    days: list[Day] | None = None
    from_: Clock = Field("00:00", alias="from")
    to: UntilClock = "24:00"


class RuleBody(Strict):
    """A rule as created (POST) and as a PATCH leaves it once merged."""

    id: ResourceId | None = None
    name: Name
    description: str | None = None
    enabled: bool = True
    source: Source
    match: dict[str, Any] = {}
    count: Count | None = None
    group_by: list[str] | None = None
    schedule: dict[str, Any] | None = None
    cooldown_seconds: Seconds | None = None
    realert_above_confidence: Confidence | None = None
    target_ids: list[ResourceId] = []


def _sub(model: type[BaseModel], data: Any, where: str) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = [{**e, "loc": (where, *e.get("loc", ()))} for e in exc.errors()]
        raise Invalid(describe_validation(errors)) from exc


def _group_by(source: str, fields: list[str] | None, where: str) -> list[str] | None:
    if fields is None:
        return None
    allowed = GROUP_FIELDS[source]
    for name in fields:
        if name not in allowed:
            choices = ", ".join(allowed) or "nothing (its events have one group)"
            raise Invalid(
                f"{where}: {name!r} is not a field of {source} events; allowed: {choices}"
            )
    if len(set(fields)) != len(fields):
        raise Invalid(f"{where}: a field is listed twice")
    return fields


def check_schedule(data: dict[str, Any]) -> dict[str, Any]:
    schedule = _sub(Schedule, data, "schedule")
    assert isinstance(schedule, Schedule)
    try:
        ZoneInfo(schedule.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise Invalid(f"schedule.timezone: unknown time zone {schedule.timezone!r}") from exc
    if schedule.from_ == schedule.to:
        raise Invalid("schedule.to: must differ from schedule.from")
    return schedule.model_dump(by_alias=True)


def check_rule(data: dict[str, Any], target_exists: set[str] | None = None) -> dict[str, Any]:
    """Validate a whole rule; returns it normalised (the stored `spec`). Raises Invalid."""
    body = _sub(RuleBody, data, "body")
    assert isinstance(body, RuleBody)
    spec = body.model_dump()
    spec["match"] = _sub(MATCHES[body.source], body.match, "match").model_dump(exclude_none=True)
    match = spec["match"]
    if body.source == "sound":
        for label_id in match.get("label_ids") or ():
            if label_id not in LABELS:
                raise Invalid(f"match.label_ids: unknown label {label_id!r}")
    if body.source == "silence":
        if body.count is not None:
            raise Invalid("count: a silence rule fires on time without events, it cannot count")
        if match["kind"] == "decode_rate" and match.get("below") is None:
            raise Invalid("match.below: a decode_rate silence rule needs the rate it watches for")
    if body.count is not None and body.group_by is not None:
        raise Invalid("group_by: give it inside count for a counting rule")
    if body.count is not None:
        spec["count"]["group_by"] = _group_by(body.source, body.count.group_by, "count.group_by")
    spec["group_by"] = _group_by(body.source, body.group_by, "group_by")
    if body.realert_above_confidence is not None and body.source != "sound":
        raise Invalid("realert_above_confidence: only sound events carry a confidence")
    if body.schedule is not None:
        spec["schedule"] = check_schedule(body.schedule)
    if target_exists is not None:
        for target_id in body.target_ids:
            if target_id not in target_exists:
                raise Invalid(f"target_ids: unknown alert target {target_id!r}")
    return spec


class TargetBody(Strict):
    id: ResourceId | None = None
    name: Name
    kind: Literal["webhook", "apprise", "mqtt"]
    url: Annotated[str, Field(min_length=1, max_length=4000)] | None = None
    secret: Annotated[str, Field(min_length=8, max_length=500)] | None = None
    topic: Annotated[str, Field(min_length=1, max_length=500)] | None = None
    ha_discovery: bool = False  # mqtt: announce each rule as a Home Assistant binary_sensor


def check_target(data: dict[str, Any], server_mqtt_url: str) -> dict[str, Any]:
    """Validate a target; returns its fields. Raises Invalid naming the field."""
    body = _sub(TargetBody, data, "body")
    assert isinstance(body, TargetBody)
    if body.kind != "mqtt" and body.url is None:
        raise Invalid(f"url: a {body.kind} target needs a url")
    if body.kind == "webhook":
        assert body.url is not None
        if not re.match(r"^https?://[^/\s]+", body.url):
            raise Invalid("url: a webhook url must start with http:// or https://")
    elif body.kind == "apprise":
        import apprise

        if not apprise.Apprise().add(body.url or ""):
            raise Invalid(f"url: Apprise does not understand {body.url!r}")
    else:
        if body.topic is None:
            raise Invalid("topic: an mqtt target needs a topic")
        if any(c in body.topic for c in "+#"):
            raise Invalid("topic: a publish topic may not contain + or #")
        if body.url is None and not server_mqtt_url:
            raise Invalid("url: omitted, but this server has no LISTENPOST_MQTT_URL to publish to")
        if body.url is not None:
            from ..radio.mqtt import broker_args

            try:
                broker_args(body.url)
            except ValueError as exc:
                raise Invalid(f"url: {exc}") from exc
    if body.kind != "webhook" and body.secret is not None:
        raise Invalid("secret: only webhook targets are signed")
    if body.kind != "mqtt" and (body.topic is not None or body.ha_discovery):
        raise Invalid("topic: only mqtt targets have a topic")
    return body.model_dump()
