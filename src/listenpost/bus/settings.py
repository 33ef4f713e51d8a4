"""What every bus implementation is told: retention, names, and who this node is."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class BusOptions:
    #: messages kept per stream (Redis `MAXLEN ~`, JetStream `max_msgs`, memory's history)
    maxlen: int = 10_000
    #: seconds a message is kept (Redis `MINID ~` trimming, JetStream `max_age`); 0: no limit
    max_age: float = 3600.0
    #: names every key / subject / stream, so deployments and test runs do not collide
    prefix: str = "listenpost"
    #: this node's name in metrics (host:port by default)
    node: str = "node"
    #: publishes held while the bus is unreachable; beyond, the oldest are dropped (counted)
    outbox: int = 100_000
    #: this process's lifetime: a publisher id that never repeats, for duplicate detection
    boot: str = field(default_factory=lambda: secrets.token_hex(6))

    @property
    def publisher(self) -> str:
        return f"{self.node}/{self.boot}"
