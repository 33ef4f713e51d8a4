"""The pure token core: integer NumericDates, expiry decided by the `now` passed in, and only
finite `exp` values within the configured lifetime accepted, even when signed."""

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
    assert check_token(SECRET, token, now=4600.0, max_ttl=3600).key_id == "key-1"
    with pytest.raises(TokenExpired):
        check_token(SECRET, token, now=claims["exp"], max_ttl=3600)


def test_other_secret_or_non_access_token_is_invalid() -> None:
    token = issue_token(SECRET, "key-1", now=1000, ttl=60)
    with pytest.raises(TokenInvalid):
        check_token("t" * 32, token, now=1000, max_ttl=60)
    refresh = jwt.encode({"sub": "key-1", "exp": 2000, "typ": "refresh"}, SECRET, "HS256")
    with pytest.raises(TokenInvalid):
        check_token(SECRET, refresh, now=1000, max_ttl=3600)


def _signed(exp: object, now: float = 1000.0) -> str:
    payload = {"sub": "key-1", "iat": int(now), "exp": exp, "typ": "access"}
    return jwt.encode(payload, SECRET, algorithm="HS256")


@pytest.mark.parametrize(
    "exp",
    [
        *("nan", "4000", float("nan"), float("inf"), 10**30, 1e30, 10**400),
        *(True, None, [4000], {"v": 4000}),
    ],
)
def test_signed_token_with_a_malformed_or_absurd_exp_is_invalid(exp: object) -> None:
    with pytest.raises(TokenInvalid):
        check_token(SECRET, _signed(exp), now=1000.0, max_ttl=3600)


def test_exp_beyond_the_configured_lifetime_is_invalid() -> None:
    with pytest.raises(TokenInvalid):
        check_token(SECRET, _signed(1000 + 3600 + 3600), now=1000.0, max_ttl=3600)
    # whole-second rounding and a little clock slack between nodes stay accepted
    assert check_token(SECRET, _signed(1000 + 3601), now=1000.0, max_ttl=3600).expires_at == 4601


def test_float_exp_in_range_is_accepted() -> None:
    assert check_token(SECRET, _signed(1500.5), now=1000.0, max_ttl=3600).expires_at == 1500.5


def test_exp_in_the_past_is_expired_not_invalid() -> None:
    with pytest.raises(TokenExpired):
        check_token(SECRET, _signed(999), now=1000.0, max_ttl=3600)


def test_a_token_is_decoded_once_and_its_expiry_judged_on_every_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The signature check is remembered per (secret, token); the time checks are not."""
    decoded: list[str] = []
    real = jwt.decode

    def counting(token: str, *args: object, **kwargs: object) -> object:
        decoded.append(token)
        return real(token, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(jwt, "decode", counting)
    token = _signed(4000, now=1000.0)
    for now in (1000.0, 2000.0, 3999.0):
        assert check_token(SECRET, token, now=now, max_ttl=3600).expires_at == 4000
    assert decoded == [token]
    with pytest.raises(TokenExpired):
        check_token(SECRET, token, now=4000.0, max_ttl=3600)
    with pytest.raises(TokenInvalid):  # a lifetime shorter than the token's: still refused
        check_token(SECRET, token, now=1000.0, max_ttl=60)
    with pytest.raises(TokenInvalid):  # another secret: checked afresh, refused
        check_token("t" * 32, token, now=1000.0, max_ttl=3600)
    with pytest.raises(TokenInvalid):  # a refusal is not remembered as a pass
        check_token("t" * 32, token, now=1000.0, max_ttl=3600)
    assert decoded == [token] * 3
