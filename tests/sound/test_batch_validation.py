"""Batch validation's fast path: a body that cannot hold NUL skips the per-field NUL check,
and everything else (refusals and their messages included) is exactly the full check's."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from pydantic import ValidationError
from support import Server

from listenpost.jsonbody import OrjsonRequest
from listenpost.sound.models import EventBatch, EventFields, EventIn

ITEM = {"mic_id": "m1", "label_id": "crying", "confidence": 0.5, "noises": [1.0, 2.5]}


async def parsed(body: bytes) -> Any:
    """The body as the routes parse it (which marks a NUL-free body in this context)."""

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    return await OrjsonRequest({"type": "http", "method": "POST", "headers": []}, receive).json()


def errors(data: Any) -> list[Any]:
    with pytest.raises(ValidationError) as caught:
        EventBatch.model_validate(data)
    return list(orjson.loads(caught.value.json()))


async def test_a_nul_free_body_skips_the_nul_check_and_nothing_else() -> None:
    data = await parsed(orjson.dumps({"events": [ITEM] * 3}))
    fast = EventBatch.model_validate(data)
    assert [type(e) for e in fast.events] == [EventFields] * 3  # the unchecked model
    full = EventBatch.model_validate(orjson.loads(orjson.dumps(data)))  # not the body
    assert [type(e) for e in full.events] == [EventIn] * 3
    assert [e.model_dump() for e in fast.events] == [e.model_dump() for e in full.events]
    for bad in (
        {"events": [ITEM, {**ITEM, "confidence": 2}]},
        {"events": [{**ITEM, "extra": 1}]},
        {"events": []},
        {"events": [ITEM] * 1001},
        {"events": [ITEM], "more": 1},
        {"events": [{**ITEM, "created_at": "yesterday"}]},
    ):
        body = orjson.dumps(bad)
        assert errors(await parsed(body)) == errors(orjson.loads(body))


async def test_nul_anywhere_is_still_refused_by_name() -> None:
    for field in ("mic_id", "label_id", "description", "audio_file"):
        body = orjson.dumps({"events": [ITEM, {**ITEM, field: "a\u0000b"}]})
        assert b"\\u0000" in body
        (error,) = errors(await parsed(body))
        assert error["loc"] == ["events", 1, field]
        assert error["msg"] == "Value error, text may not contain NUL (\\u0000)"


def test_a_batch_with_nul_is_422_naming_the_field(server: Server) -> None:
    with server.client() as c:
        body = {"events": [{**ITEM, "description": "x\u0000"}]}
        r = c.post("/api/v1/events/batch", json=body)
    assert r.status_code == 422
    message = "events.0.description: Value error, text may not contain NUL (\\u0000)"
    assert r.json()["detail"]["message"] == message


async def test_routes_take_the_fast_path() -> None:
    """FastAPI hands the parsed body itself to the model (so the mark applies)."""
    import httpx
    from fastapi import APIRouter, FastAPI

    from listenpost.jsonbody import OrjsonRoute

    router = APIRouter(route_class=OrjsonRoute)

    @router.post("/batch")
    async def batch(body: EventBatch) -> list[str]:
        return [type(e).__name__ for e in body.events]

    app = FastAPI()
    app.include_router(router)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        fast = await client.post("/batch", json={"events": [ITEM]})
        full = await client.post("/batch", json={"events": [{**ITEM, "audio_file": "\\u0000"}]})
    assert fast.json() == ["EventFields"] and full.json() == ["EventIn"]
