"""The browser suite's server and page log, importable by tests (a conftest is not a module
tests can import reliably: every test folder has one named `conftest`)."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from support import API_KEY, Server  # noqa: E402


class BrowserServer(Server):
    api_key = API_KEY

    @property
    def url(self) -> str:
        return self.base


class PageLog:
    """What a page asked for and complained about. Chromium logs every HTTP error answer as a
    console error ("Failed to load resource: … status of 422 …"); a test that provokes one on
    purpose names its status in `expected_statuses`."""

    def __init__(self) -> None:
        self.urls: list[str] = []
        self.errors: list[str] = []
        self.expected_statuses: set[int] = set()

    def console(self, message: Any) -> None:
        if message.type != "error":
            return
        found = re.search(r"status of (\d{3})", message.text)
        if found and "Failed to load resource" in message.text:
            if int(found.group(1)) in self.expected_statuses:
                return
        self.errors.append(message.text)
