"""One delivery attempt per target kind: webhook (signed POST), Apprise, MQTT (QoS 1).

Each `send` raises `DeliveryError` with a short, operator-readable reason; the worker logs
it on the attempt and retries later.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import time
import uuid
from collections.abc import Mapping
from typing import Any

import httpx
import orjson

from ..radio.mqtt import broker_args

HA_PREFIX = "homeassistant"


class DeliveryError(Exception):
    """The target did not take the alert; the message says why."""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """`sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>` (Stripe's scheme)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def summary(alert: Mapping[str, Any]) -> tuple[str, str]:
    """Title and text for human channels (Apprise)."""
    rule = alert.get("rule") or {}
    events = alert.get("events") or []
    first = events[0] if events else {}
    kind = first.get("kind")
    if kind == "sound":
        what = f"{first['label_id']} at mic {first['mic_id']} (confidence {first['confidence']})"
    elif kind == "radio":
        what = f"{first['event']} on {first.get('system')}"
        if first.get("talkgroup"):
            what += f" talkgroup {first['talkgroup']}"
        if first.get("unit"):
            what += f" unit {first['unit']}"
        if first.get("emergency"):
            what += " EMERGENCY"
    elif kind == "composite":
        what = f"composite event {first['composite_id']} (rule {first['rule_id']})"
    elif first:
        subject = first.get("mic") or first.get("system")
        what = f"{first['kind']} silence: {subject} quiet since {first['since']}"
    else:
        what = "alert"
    count = f"{len(events)} events: " if len(events) > 1 else ""
    text = f"{count}{what}\nalert {alert['id']} at {alert['created_at']}"
    return f"listenpost: {rule.get('name') or alert['rule_id']}", text


class Sender:
    """Sends to one target; holds what it can reuse between attempts (an HTTP client)."""

    def __init__(self, target: Mapping[str, Any], settings: Any) -> None:
        self.target = dict(target)
        self.settings = settings
        self.timeout = float(settings.alert_timeout)
        self._http: httpx.AsyncClient | None = None
        self._making: asyncio.Future[httpx.AsyncClient] | None = None

    async def prepare(self) -> None:
        """Make now what the first attempt needs: a webhook's HTTP client, made on a thread.
        Made by the first attempt, on the event loop, it held that alert ~100 ms (its TLS
        context, and the process's first client) and stopped the server meanwhile."""
        if self.target["kind"] == "webhook":
            with contextlib.suppress(Exception):  # if it fails, the attempt will say why
                await self._client()

    async def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            making = self._making
            if making is None:
                making = asyncio.ensure_future(
                    asyncio.to_thread(httpx.AsyncClient, timeout=self.timeout)
                )
                self._making = making
            try:
                self._http = await asyncio.shield(making)
            except Exception:
                if self._making is making:  # the next attempt tries again
                    self._making = None
                raise
        return self._http

    async def close(self) -> None:
        making, self._making = self._making, None
        if self._http is None and making is not None:
            with contextlib.suppress(Exception):
                self._http = await making
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def send(self, alert: Mapping[str, Any]) -> None:
        kind = self.target["kind"]
        try:
            if kind == "webhook":
                await self._webhook(alert)
            elif kind == "apprise":
                await asyncio.wait_for(self._apprise(alert), self.timeout)
            else:
                await asyncio.wait_for(self._mqtt(alert), self.timeout)
        except DeliveryError:
            raise
        except TimeoutError as exc:
            raise DeliveryError(f"timed out after {self.timeout:g} s") from exc
        except Exception as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}"[:500]) from exc

    async def _webhook(self, alert: Mapping[str, Any]) -> None:
        http = await self._client()
        body = orjson.dumps(alert)
        stamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "listenpost-alerts",
            "X-Listenpost-Timestamp": str(stamp),
            "X-Listenpost-Signature": sign(self.target["secret"] or "", stamp, body),
            "X-Listenpost-Alert-Id": str(alert["id"]),
        }
        try:
            response = await http.post(self.target["url"], content=body, headers=headers)
        except httpx.TimeoutException as exc:
            raise DeliveryError(f"timed out after {self.timeout:g} s") from exc
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}"[:500]) from exc
        if not 200 <= response.status_code < 300:
            raise DeliveryError(f"HTTP {response.status_code}: {response.text[:200]}")

    async def _apprise(self, alert: Mapping[str, Any]) -> None:
        title, text = summary(alert)
        await asyncio.to_thread(_apprise_notify, self.target["url"], title, text)

    async def _mqtt(self, alert: Mapping[str, Any]) -> None:
        import aiomqtt

        s, topic = self.settings, self.target["topic"]
        if self.target["url"]:
            args = broker_args(self.target["url"])
        else:
            args = broker_args(s.mqtt_url, s.mqtt_username, s.mqtt_password)
        ident = f"listenpost-alerts-{uuid.uuid4().hex[:12]}"
        async with aiomqtt.Client(**args, identifier=ident, timeout=self.timeout) as client:
            if (self.target.get("options") or {}).get("ha_discovery"):
                await _announce(client, topic, alert)
            await client.publish(topic, orjson.dumps(alert), qos=1)


def _apprise_notify(url: str, title: str, text: str) -> None:
    import apprise

    notifier = apprise.Apprise()
    if not notifier.add(url):
        raise DeliveryError("Apprise does not understand the target's url")
    with apprise.LogCapture(level=apprise.logging.WARNING) as logs:
        if not notifier.notify(body=text, title=title):
            reason = " ".join(logs.getvalue().split())[:400] or "no reason given"
            raise DeliveryError(f"Apprise could not notify: {reason}")


async def _announce(client: Any, topic: str, alert: Mapping[str, Any]) -> None:
    """Home Assistant discovery: the rule as a `binary_sensor` that turns on with each alert
    and off by itself after its cooldown (60 s without one); attributes = the alert."""
    rule = alert.get("rule") or {}
    rule_id = str(alert["rule_id"])
    base = f"{topic}/{rule_id}"
    config = {
        "name": rule.get("name") or rule_id,
        "unique_id": f"listenpost_alert_{rule_id}",
        "object_id": f"listenpost_alert_{rule_id}",
        "state_topic": f"{base}/state",
        "json_attributes_topic": f"{base}/attributes",
        "device_class": "problem",
        "off_delay": int(rule.get("cooldown_seconds") or 60),
        "device": {"identifiers": ["listenpost"], "name": "listenpost"},
    }
    node = "".join(c if c.isalnum() or c in "_-" else "_" for c in rule_id)
    config_topic = f"{HA_PREFIX}/binary_sensor/listenpost_{node}/config"
    await client.publish(config_topic, orjson.dumps(config), qos=1, retain=True)
    await client.publish(f"{base}/attributes", orjson.dumps(alert), qos=1)
    await client.publish(f"{base}/state", "ON", qos=1)
