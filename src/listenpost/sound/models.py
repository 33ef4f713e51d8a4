"""Request bodies of the sound API: strict types, so a wrong JSON type is a 422 naming the field."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from ..jsonbody import without_nul
from ..timeutil import parse_iso

ResourceId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]


class Exact(BaseModel):
    """Exact JSON types, no unknown fields, and no NaN/Infinity (Python's JSON parser takes
    them, but they could be stored and never served back as JSON)."""

    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False)


class Strict(Exact):
    """`Exact`, and no NUL in any string."""

    @field_validator("*", mode="after")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        """No NUL anywhere in a string, however deep (PostgreSQL cannot store it)."""
        if _has_nul(value):
            raise ValueError("text may not contain NUL (\\u0000)")
        return value


_NO_TEXT = (float, int, bool, type(None))


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple):  # noises: a plain loop over floats, no recursion
        return any(not isinstance(v, _NO_TEXT) and _has_nul(v) for v in value)
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    return False


class Location(Strict):
    latitude: Annotated[float, Field(ge=-90, le=90)]
    longitude: Annotated[float, Field(ge=-180, le=180)]


class Endpoint(Strict):
    """A mic's `channel` (stream) or `console` (web UI) address; password is write-only."""

    scheme: str | None = None
    port: Annotated[int, Field(ge=0, le=65535)] | None = None
    path: str | None = None
    username: str | None = None
    password: str | None = None


def _iso(value: str | None) -> str | None:
    if value is not None:
        parse_iso(value)  # its ValueError names the problem; pydantic adds the field
    return value


# Strings no longer than their columns (PostgreSQL refuses longer; SQLite would keep them).
Text64 = Annotated[str, Field(max_length=64)]
Text100 = Annotated[str, Field(max_length=100)]
Text200 = Annotated[str, Field(max_length=200)]


class MicFields(Strict):
    host: Text200 | None = None
    subnet_mask: Text64 | None = None
    mac_address: Text64 | None = None
    microphone_type: Text100 | None = None
    channel: Endpoint | None = None
    console: Endpoint | None = None
    streaming: bool | None = None
    recording: bool | None = None
    edge_id: Annotated[str, Field(max_length=64)] | None = None
    location: Location | None = None
    status: Literal["active", "inactive"] | None = None
    thresholds: dict[str, Any] | None = None
    reported_at: str | None = None
    connected: bool | None = None

    _check_reported = field_validator("reported_at")(_iso)


class MicCreate(MicFields):
    id: ResourceId | None = None
    name: Annotated[str, Field(min_length=1, max_length=200)]


class MicPatch(MicFields):
    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None


class EventFields(Exact):
    """An event as sent, every check but the NUL one (`EventIn` adds it)."""

    mic_id: Annotated[str, Field(min_length=1, max_length=64)]
    label_id: Annotated[str, Field(min_length=1, max_length=64)]
    confidence: Annotated[float, Field(ge=0, le=1)]
    sound_level: Annotated[float, Field(ge=0, le=200)] | None = None
    noises: Annotated[list[float], Field(max_length=10_000)] | None = None
    description: Annotated[str, Field(max_length=4000)] | None = None
    audio_file: Annotated[str, Field(max_length=2000)] | None = None
    created_at: str | None = None

    _check_created = field_validator("created_at")(_iso)


class EventIn(EventFields, Strict):
    pass


Events = Annotated[list[EventIn], Field(min_length=1, max_length=1000)]
Unchecked = Annotated[list[EventFields], Field(min_length=1, max_length=1000)]
_UNCHECKED: TypeAdapter[list[EventFields]] = TypeAdapter(Unchecked)


class EventBatch(Exact):
    events: Events

    @model_validator(mode="wrap")
    @classmethod
    def _nul_free_body(cls, data: Any, handler: ModelWrapValidatorHandler[EventBatch]) -> Any:
        """A body that cannot hold NUL (jsonbody.without_nul) skips the per-field NUL check,
        a Python call per field per event (half of a batch's validation): its events are
        validated by the same model without that check. Anything refused there is validated
        again the full way, so every error is reported exactly as before."""
        if without_nul(data) and isinstance(data, dict) and data.keys() == {"events"}:
            try:
                events = _UNCHECKED.validate_python(data["events"])
            except ValidationError:
                pass
            else:
                return cls.model_construct(events=events)
        return handler(data)
