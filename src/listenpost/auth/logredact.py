"""Credentials never reach a log line: query tokens, Authorization values, JWTs and API keys.

uvicorn's access log writes the request target as sent, so `/api/ws?access_token=eyJ…` would be
kept in clear wherever logs go. One filter rewrites every record (message, arguments and
traceback) before any handler formats it; it is installed on the root handlers and on
uvicorn's loggers and handlers, which do not propagate to the root.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

MASK = "[REDACTED]"
_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?i)([?&;](?:access_token|token|api_key|apikey)=)[^&\s\"'#]*"), r"\1" + MASK),
    (
        re.compile(
            r"(?i)(authorization[\"']?\s*[:=,]\s*(?-i:b)?[\"']?(?:(?:bearer|basic|token)\s+)?)"
            r"[^\s\"',;})]+"
        ),
        r"\1" + MASK,
    ),
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"), r"\1 " + MASK),
    (re.compile(r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), MASK),
    (re.compile(r"\blpk_[A-Za-z0-9_-]+"), "lpk_" + MASK),
)
_UVICORN = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")


def redact(text: str) -> str:
    """The text with every credential-looking value replaced by `[REDACTED]`."""
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text


def _redact_arg(value: Any) -> Any:
    """Numbers stay numbers (for `%d`); anything whose text holds a credential becomes text."""
    if isinstance(value, bool | int | float) or value is None:
        return value
    text = value if isinstance(value, str) else str(value)
    cleaned = redact(text)
    return value if cleaned == text else cleaned


class RedactCredentials(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redact_arg(a) for a in record.args)
        elif isinstance(record.args, Mapping):
            record.args = {k: _redact_arg(v) for k, v in record.args.items()}
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True


def install() -> None:
    """Attach the filter (once) wherever records are emitted; call after logging is set up."""
    loggers = [logging.getLogger(), *(logging.getLogger(name) for name in _UVICORN)]
    for logger in loggers:
        for target in (logger, *logger.handlers):
            if not any(isinstance(f, RedactCredentials) for f in target.filters):
                target.addFilter(RedactCredentials())
