"""Request bodies parsed with orjson: a 1000-event batch spent an eighth of its server time
in the standard library's `json.loads`.

orjson is stricter (no NaN/Infinity literals, no lone surrogates, integers within 64 bits);
a body it refuses is parsed again by the standard library, so what is accepted and every
error message are exactly as before (NaN is then refused by validation, naming the field).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

import orjson
from fastapi import Request, Response
from fastapi.routing import APIRoute


class OrjsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            try:
                self._json = orjson.loads(body)
            except orjson.JSONDecodeError:
                self._json = json.loads(body)
        return self._json


class OrjsonRoute(APIRoute):
    """Routes of a router made with `route_class=OrjsonRoute` read JSON with orjson."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            return await handler(OrjsonRequest(request.scope, request.receive))

        return route
