"""The demo's REST client: an API key traded for access tokens, renewed when refused."""

from __future__ import annotations

import logging
from typing import Any

import httpx

from .command import DemoError

log = logging.getLogger("listenpost.demo")


class Api:
    def __init__(self, base_url: str, api_key: str) -> None:
        self.base = base_url.rstrip("/")
        self.api_key = api_key
        self.http = httpx.AsyncClient(base_url=self.base, timeout=30)
        self.token = ""

    async def close(self) -> None:
        await self.http.aclose()

    async def login(self) -> None:
        """Trade the API key for a token; DemoError when the server is absent or refuses."""
        try:
            r = await self.http.get(
                "/api/v1/auth/reissue", headers={"Authorization": f"Bearer {self.api_key}"}
            )
        except httpx.HTTPError as exc:
            raise DemoError(f"cannot reach {self.base} ({exc}); is the server running?") from exc
        if r.status_code != 200:
            raise DemoError(f"{self.base} refused the API key: {_message(r)}")
        self.token = r.json()["access_token"]

    async def call(self, method: str, path: str, body: Any = None) -> httpx.Response:
        """One request; a 401 (token expired) logs in again and retries once."""
        for attempt in (1, 2):
            headers = {"Authorization": f"Bearer {self.token}"}
            r = await self.http.request(method, path, json=body, headers=headers)
            if r.status_code != 401 or attempt == 2:
                return r
            await self.login()
        raise AssertionError("unreachable")

    async def ensure(self, path: str, body: dict[str, Any]) -> str:
        """Create the resource with `body["id"]`, or bring an existing one up to date
        (a second demo against the same server). Returns "created" or "updated"."""
        r = await self.call("POST", path, body)
        if r.status_code == 201:
            return "created"
        if r.status_code == 409:
            fields = {k: v for k, v in body.items() if k != "id"}
            r = await self.call("PATCH", f"{path}/{body['id']}", fields)
            if r.status_code == 200:
                return "updated"
        raise DemoError(f"POST {path} failed: {r.status_code} {_message(r)}")

    async def post_events(self, events: list[dict[str, Any]]) -> int:
        """Post a batch; returns how many the server stored (0 after a logged failure)."""
        try:
            r = await self.call("POST", "/api/v1/events/batch", {"events": events})
        except httpx.HTTPError as exc:
            log.warning("could not post %d sound event(s): %s", len(events), exc)
            return 0
        if r.status_code != 201:
            log.warning("the server refused %d sound event(s): %s", len(events), _message(r))
            return 0
        return len(r.json()["data"])

    async def get_json(self, path: str) -> Any:
        """The answer of a GET, or None when it cannot be had (the demo goes on)."""
        try:
            r = await self.call("GET", path, None)
        except httpx.HTTPError:
            return None
        return r.json() if r.status_code == 200 else None


def _message(r: httpx.Response) -> str:
    try:
        detail = r.json().get("detail")
    except ValueError:
        return r.text[:200]
    if isinstance(detail, dict):
        return str(detail.get("message", detail))
    return str(detail)
