"""`GET /api/v1/auth/reissue`: trade an API key for an access token."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request

from .. import errors
from ..errors import ApiError, AuthError
from ..node import node_of
from ..store.keys import find_key, touch_key
from ..timeutil import now_us
from .deps import bearer
from .tokens import issue_token

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.get("/reissue", summary="Issue or reissue an access token")
async def reissue(request: Request) -> dict[str, str]:
    """Send `Authorization: Bearer <API key>`; returns `{"access_token": ...}`."""
    key = bearer(request, allow_query=False)
    if key is None:
        raise ApiError(errors.NO_KEY, status=403)
    node = node_of(request)
    record = await find_key(node.engine, key)
    if record is None:
        raise AuthError(errors.INVALID_KEY)
    if record.revoked_at is not None:
        raise AuthError(errors.REVOKED)
    await touch_key(node.engine, record.id, now_us())
    return {
        "access_token": issue_token(node.secret, record.id, time.time(), node.settings.token_ttl)
    }
