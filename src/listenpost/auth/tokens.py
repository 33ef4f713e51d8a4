"""Pure credential logic: API-key hashing and signed, expiring access tokens (JWT, HS256)."""

from __future__ import annotations

import functools
import hashlib
import math
import secrets
from dataclasses import dataclass

import jwt

KEY_PREFIX = "lpk_"
CLOCK_SLACK = 60.0  # seconds a token's exp may exceed now + ttl (rounding, clocks of other nodes)


class TokenExpired(Exception):
    """The access token was valid once and has expired."""


class TokenInvalid(Exception):
    """The value is not an access token this server signed."""


@dataclass(frozen=True)
class Claims:
    key_id: str
    expires_at: float
    issued_at: float


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


def check_token(secret: str, token: str, now: float, max_ttl: float) -> Claims:
    """Verify signature, type and expiry at `now` (time is an argument, not a clock read).

    A signature proves who made the token, not that its claims are sane: a leaked or
    mis-issued secret must not yield a token that never expires, so `exp` must be a finite
    number no further ahead than the configured lifetime (`max_ttl`) plus `CLOCK_SLACK`.
    """
    key_id, exp, iat = _signed_claims(secret, token)
    if exp > now + max_ttl + CLOCK_SLACK:
        raise TokenInvalid("exp is further ahead than the token lifetime allows")
    if exp <= now:
        raise TokenExpired()
    return Claims(key_id=key_id, expires_at=exp, issued_at=iat)


@functools.lru_cache(maxsize=4096)
def _signed_claims(secret: str, token: str) -> tuple[str, float, float]:
    """What `token` says, once its signature and form are checked: the part of the check that
    does not depend on the time, so it is remembered per (secret, token). A client sends the
    same token with every request until it expires, and decoding it (PyJWT) was a quarter of
    the time a single-event ingest request spent before its handler (issue 16's latency).
    Only tokens that pass are remembered, and expiry is judged on every call; PyJWT's own
    clock checks (`iat`, `nbf` not in the future) only ever turn a refusal into a pass as time
    goes on, so a remembered pass stays right."""
    try:
        payload = jwt.decode(
            token, secret, algorithms=["HS256"], options={"verify_exp": False, "require": ["exp"]}
        )
    except jwt.PyJWTError as exc:
        raise TokenInvalid(str(exc)) from exc
    if payload.get("typ") != "access" or not isinstance(payload.get("sub"), str):
        raise TokenInvalid("not an access token")
    exp = _numeric_date(payload["exp"], "exp")
    iat = _numeric_date(payload.get("iat"), "iat")
    return payload["sub"], exp, iat


def _numeric_date(value: object, claim: str) -> float:
    """RFC 7519 NumericDate: a JSON number (not a string, not a boolean) that is finite."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TokenInvalid(f"{claim} is not a number")
    try:
        number = float(value)
    except OverflowError as exc:
        raise TokenInvalid(f"{claim} is out of range") from exc
    if not math.isfinite(number):
        raise TokenInvalid(f"{claim} is not finite")
    return number
