"""What an Apprise notification says (title and text) for each kind of alert: the facts an
operator acts on (talkgroup, unit, EMERGENCY, the composite, the quiet subject) are in it."""

from __future__ import annotations

from typing import Any

from listenpost.alerts.facts import composite_fact, radio_facts, stored_ref
from listenpost.alerts.senders import summary

T0 = 1_780_000_000.0
STAMP = "2026-05-28T20:26:40Z"


def alert(*events: dict[str, Any], name: str | None = "Dispatch") -> dict[str, Any]:
    return {
        "id": "a1",
        "rule_id": "r1",
        "rule": {"id": "r1", "name": name},
        "created_at": "2026-05-28T20:26:40Z",
        "events": [stored_ref(e) for e in events],
    }


def test_radio_alert_names_talkgroup_unit_and_emergency() -> None:
    data = {"system": "p25", "talkgroup": 4011, "unit": 899003, "emergency": True}
    [fact] = radio_facts([], [("call_start", data)], T0)
    title, text = summary(alert(fact.ref))
    assert title == "listenpost: Dispatch"
    assert text.splitlines() == [
        "call_start on p25 talkgroup 4011 unit 899003 EMERGENCY",
        "alert a1 at 2026-05-28T20:26:40Z",
    ]
    [plain] = radio_facts([], [("call_start", {"system": "p25"})], T0)
    two = summary(alert(plain.ref, plain.ref, name=None))
    assert two == ("listenpost: r1", "2 events: call_start on p25\nalert a1 at " + STAMP)


def test_composite_and_silence_alerts_say_what_happened() -> None:
    composite = composite_fact({"id": "c9", "rule": {"id": "door"}, "events": []}, T0)
    assert summary(alert(composite.ref))[1].startswith("composite event c9 (rule door)\n")
    quiet = {"kind": "mic", "mic": "m1", "since": T0, "for_seconds": 60.0}
    assert summary(alert(quiet))[1].startswith(
        "mic silence: m1 quiet since 2026-05-28T20:26:40Z\n"
    )
    assert summary(alert())[1].startswith("alert\n")
