"""`GET /api/v1/auth/reissue`: trade an API key for an access token."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request

from .. import errors
from ..errors import ApiError, AuthError
from ..node import node_of
from ..store.keys import find_key
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
    key_id = await find_key(node.engine, key)
    if key_id is None:
        raise AuthError(errors.INVALID_KEY)
    return {"access_token": issue_token(node.secret, key_id, time.time(), node.settings.token_ttl)}
