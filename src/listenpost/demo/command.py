"""`listenpost demo`'s flags (light: `listenpost` builds its parser from this on every run)."""

from __future__ import annotations

import argparse
from typing import Any


class DemoError(Exception):
    """The demo cannot go on; the message is one line saying why and what to do."""


def add_command(sub: Any) -> None:
    demo = sub.add_parser(
        "demo",
        help="run a throwaway server with live demo data (or feed a running one: --url)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    demo.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    demo.add_argument("--port", type=int, default=8100, help="port (default 8100; 0: any)")
    demo.add_argument("--url", help="feed the server at this URL instead of starting one")
    demo.add_argument("--api-key", dest="api_key", help="an admin API key of the --url server")
    demo.add_argument(
        "--mqtt",
        help="publish the radio messages to this MQTT broker instead of feeding them in "
        "directly (the server ingests them with --mqtt; required for radio with --url)",
    )
    demo.add_argument(
        "--mqtt-prefix", dest="mqtt_prefix", default="", help="topic prefix for --mqtt"
    )
    demo.add_argument(
        "--rate", type=float, default=2.0, help="background sound events per second (2)"
    )
    demo.add_argument("--seed", type=int, help="random seed, for a repeatable demo")
    demo.add_argument(
        "--log-level", dest="log_level", default="info", help="debug, info, warning, error (info)"
    )
