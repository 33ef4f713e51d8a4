"""A `listenpost demo` process for the tests: its banner, its API, its exit."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

DEADLINE = 10.0  # seconds from the banner for data to show up (the promise)


class Demo:
    def __init__(self, args: list[str], log: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LISTENPOST_")}
        self.log = log
        with open(log, "ab") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "listenpost", "demo", *args],
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
                env=env,
            )
        self.lines: list[str] = []
        self.ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            if "Press Ctrl-C" in line:
                self.ready.set()
        self.ready.set()

    def banner(self, timeout: float = 60) -> dict[str, str]:
        """`{"Dashboard": url, "API key": key, "Data": dir, "Radio": ...}` once printed."""
        assert self.ready.wait(timeout), f"no banner in {timeout} s: {self.stderr()}"
        assert self.proc.poll() is None, f"demo exited: {self.stderr()}"
        fields = {}
        for line in self.lines:
            m = re.match(r"^  (Dashboard|API key|Data|Radio)\s+(.*)$", line)
            if m:
                fields[m.group(1)] = m.group(2)
        return fields

    def stderr(self) -> str:
        return self.log.read_text()[-4000:]

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"demo ignored {sig.name}: {self.stderr()}") from None


def client(base: str, key: str) -> httpx.Client:
    r = httpx.get(f"{base}/api/v1/auth/reissue", headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def within(deadline: float, fn: Any, what: str) -> Any:
    """Poll `fn` until it returns something truthy; fail naming `what` after the deadline."""
    while True:
        value = fn()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what}: not seen within {DEADLINE:g} s"
        time.sleep(0.2)
