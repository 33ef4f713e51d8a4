"""`listenpost demo`: the command, on a throwaway server or (`--url`) a running one.

A throwaway server is `listenpost serve` on a temporary data directory (SQLite, in-process
bus) with a fresh admin API key; the demo feeds it from a companion task in the same
process, started once the server accepts connections and cancelled when it shuts down
(SIGINT or SIGTERM: exit 0), after which the directory is deleted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import random
import shutil
import signal
import sys
import tempfile
import uuid
from functools import partial
from typing import Any

from fastapi import FastAPI

from ..config import load_settings
from .client import Api
from .command import DemoError
from .feed import run_feeds, setup
from .fixture_files import load
from .place import PLACE
from .radio import RadioScript
from .sinks import LocalRadio, MqttRadio, RadioSink, forget_session

log = logging.getLogger("listenpost.demo")
TOPICS = ("feeds/#", "units/#", "messages/#")


def run(args: argparse.Namespace) -> int:
    if bool(args.url) != bool(args.api_key):
        raise DemoError("--url and --api-key go together: a running server and its admin key")
    if not 0 <= args.rate <= 1000:
        raise DemoError(f"--rate {args.rate:g}: give 0 to 1000 sound events per second")
    if args.seed is None:
        args.seed = random.randrange(1 << 32)
    if args.url:
        return asyncio.run(_remote(args))
    return _local(args)


def _local(args: argparse.Namespace) -> int:
    from ..auth.tokens import new_api_key
    from ..serving import serve

    data = tempfile.mkdtemp(prefix="listenpost-demo-")
    key = new_api_key()
    flags: dict[str, Any] = {
        "host": args.host,
        "port": args.port,
        "data_dir": data,
        "api_keys": key,
        "log_level": args.log_level,
    }
    if args.mqtt:
        prefix = f"{args.mqtt_prefix.strip('/')}/" if args.mqtt_prefix.strip("/") else ""
        flags["mqtt_url"] = args.mqtt
        flags["mqtt_topics"] = ",".join(prefix + t for t in TOPICS)
        flags["mqtt_client_id"] = f"listenpost-demo-{uuid.uuid4().hex[:8]}"
    try:
        settings = load_settings(flags, env={})  # hermetic: no LISTENPOST_* from outside
        serve(settings, partial(_companion, args=args, key=key, data=data))
    finally:
        shutil.rmtree(data, ignore_errors=True)
        if args.mqtt:
            asyncio.run(forget_session(args.mqtt, flags["mqtt_client_id"]))
    log.info("demo stopped; removed its data directory %s", data)
    return 0


async def _companion(app: FastAPI, *, args: argparse.Namespace, key: str, data: str) -> None:
    for name in ("uvicorn.access", "httpx"):  # one line per demo post would bury the log
        logging.getLogger(name).setLevel(logging.WARNING)
    host, port = app.state.address
    api = Api(f"http://{_url_host(host, connect=True)}:{port}", key)
    sink: RadioSink | None = None
    try:
        await api.login()
        await setup(api)
        node = app.state.node
        if args.mqtt:
            mqtt = sink = MqttRadio(args.mqtt)
            await mqtt.open()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(node.mqtt.connected.wait(), 10)
            radio = f"published to {args.mqtt}, ingested back by this server"
        else:
            sink = LocalRadio(node.radio)
            radio = "fed to the server's radio processor (no broker needed)"
        _banner(f"http://{_url_host(host)}:{port}/", key, data, radio)
        await run_feeds(api, sink, _script(args), args.rate, args.seed)
    finally:
        await api.close()
        if sink is not None:
            await sink.close()


async def _remote(args: argparse.Namespace) -> int:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    api = Api(args.url, args.api_key)
    sink: MqttRadio | None = None
    try:
        await api.login()
        await setup(api)
        if args.mqtt:
            sink = MqttRadio(args.mqtt)
            await sink.open()
            radio = f"published to {args.mqtt} (the server must ingest it: serve --mqtt)"
        else:
            radio = "off: a running server takes radio only over MQTT; add --mqtt URL"
            log.warning("radio is off: with --url, give --mqtt URL (the server's broker)")
        _banner(f"{args.url.rstrip('/')}/", "the one you gave (--api-key)", "", radio)
        feeds = asyncio.create_task(
            run_feeds(api, sink, _script(args) if sink else None, args.rate, args.seed)
        )
        stopped = asyncio.create_task(stop.wait())
        await asyncio.wait({feeds, stopped}, return_when=asyncio.FIRST_COMPLETED)
        feeds.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await feeds  # a loop's failure is raised here
        stopped.cancel()
    finally:
        await api.close()
        if sink is not None:
            await sink.close()
    log.info("demo stopped")
    return 0


def _script(args: argparse.Namespace) -> RadioScript:
    return RadioScript(load(), random.Random(args.seed), args.mqtt_prefix)


def _url_host(host: str, connect: bool = False) -> str:
    """How to reach a bound address: a wildcard means this machine."""
    if host in ("", "0.0.0.0", "::"):
        host = ("::1" if host == "::" else "127.0.0.1") if connect else "localhost"
    return f"[{host}]" if ":" in host else host


def _banner(url: str, key: str, data: str, radio: str) -> None:
    lines = [
        "",
        f"listenpost demo: live sound and radio around {PLACE}",
        f"  Dashboard  {url}",
        f"  API key    {key}",
    ]
    if data:
        lines.append(f"  Data       {data} (SQLite; deleted when the demo stops)")
    lines += [f"  Radio      {radio}", "  Press Ctrl-C to stop.", ""]
    print("\n".join(lines), flush=True)
    sys.stderr.flush()
