"""Pure credential logic: API-key hashing and signed, expiring access tokens (JWT, HS256)."""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass

import jwt

KEY_PREFIX = "lpk_"


class TokenExpired(Exception):
    """The access token was valid once and has expired."""


class TokenInvalid(Exception):
    """The value is not an access token this server signed."""


@dataclass(frozen=True)
class Claims:
    key_id: str
    expires_at: float


def new_api_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    """API keys are stored only as this SHA-256 hex digest."""
    return hashlib.sha256(key.encode()).hexdigest()


def key_id_for(key: str) -> str:
    return hash_key(key)[:16]


def issue_token(secret: str, key_id: str, now: float, ttl: float) -> str:
    payload = {"sub": key_id, "iat": int(now), "exp": math.ceil(now + ttl), "typ": "access"}
    return jwt.encode(payload, secret, algorithm="HS256")


def check_token(secret: str, token: str, now: float) -> Claims:
    """Verify signature, type and expiry at `now` (time is an argument, not a clock read)."""
    try:
        payload = jwt.decode(
            token, secret, algorithms=["HS256"], options={"verify_exp": False, "require": ["exp"]}
        )
    except jwt.PyJWTError as exc:
        raise TokenInvalid(str(exc)) from exc
    if payload.get("typ") != "access" or not isinstance(payload.get("sub"), str):
        raise TokenInvalid("not an access token")
    exp = float(payload["exp"])
    if exp <= now:
        raise TokenExpired()
    return Claims(key_id=payload["sub"], expires_at=exp)
