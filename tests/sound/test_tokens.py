"""The pure token core: integer NumericDates, expiry decided by the `now` passed in."""

from __future__ import annotations

import jwt
import pytest

from listenpost.auth.tokens import TokenExpired, TokenInvalid, check_token, issue_token

SECRET = "s" * 32


def test_exp_is_an_integer_never_earlier_than_the_ttl() -> None:
    token = issue_token(SECRET, "key-1", now=1000.25, ttl=3600)
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_exp": False})
    assert isinstance(claims["exp"], int) and isinstance(claims["iat"], int)
    assert claims["exp"] >= 1000.25 + 3600
    assert check_token(SECRET, token, now=4600.0).key_id == "key-1"
    with pytest.raises(TokenExpired):
        check_token(SECRET, token, now=claims["exp"])


def test_other_secret_or_non_access_token_is_invalid() -> None:
    token = issue_token(SECRET, "key-1", now=1000, ttl=60)
    with pytest.raises(TokenInvalid):
        check_token("t" * 32, token, now=1000)
    refresh = jwt.encode({"sub": "key-1", "exp": 2000, "typ": "refresh"}, SECRET, "HS256")
    with pytest.raises(TokenInvalid):
        check_token(SECRET, refresh, now=1000)
