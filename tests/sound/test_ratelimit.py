"""The pure rate limiter: a full window refuses with when to retry, the next window starts
afresh, refusals are not counted, and many distinct keys cannot grow its memory without bound."""

from __future__ import annotations

import pytest

from listenpost.auth.ratelimit import RateLimiter, parse_limits


def test_a_full_window_refuses_until_the_next_one() -> None:
    limiter = RateLimiter(parse_limits("2/s, 3/min"))
    assert limiter.hit("k|labels", 10.0).allowed
    assert limiter.hit("k|labels", 10.5).allowed
    refused = limiter.hit("k|labels", 10.9)
    assert not refused.allowed
    assert (refused.limit, refused.remaining, refused.reset, refused.retry_after) == (2, 0, 11, 1)
    assert limiter.hit("other|labels", 10.9).allowed  # another key has its own windows
    assert limiter.hit("k|labels", 11.0).allowed  # a new second; the refusal was not counted
    by_minute = limiter.hit("k|labels", 11.1)  # but the minute now holds three
    assert not by_minute.allowed and by_minute.limit == 3 and by_minute.reset == 60
    assert limiter.hit("k|labels", 60.0).allowed  # a new minute


def test_memory_stays_bounded_under_many_keys() -> None:
    limiter = RateLimiter(parse_limits("1/min"))
    assert limiter.hit("busy", 0.0).allowed and not limiter.hit("busy", 1.0).allowed
    for n in range(100_001):
        limiter.hit(f"key-{n}", 2.0)
    assert len(limiter._counts) <= 100_001
    assert limiter.hit("busy", 3.0).allowed  # forgotten with the rest: never refused wrongly


@pytest.mark.parametrize("text", ["10", "0/s", "5/fortnight", "10/s,x"])
def test_a_bad_limit_is_named(text: str) -> None:
    with pytest.raises(ValueError, match="bad rate limit"):
        parse_limits(text)
