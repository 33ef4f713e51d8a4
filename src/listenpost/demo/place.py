"""A dozen microphones around Seoul Station (the Deeply API is Korean), and the demo rule."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PLACE = "Seoul Station"
CENTRE = (37.55465, 126.97059)  # latitude, longitude of the station building


@dataclass(frozen=True)
class MicSpec:
    id: str
    name: str
    latitude: float
    longitude: float
    edge_id: str
    activity: float = 1.0  # relative share of the background events it hears

    def body(self) -> dict[str, Any]:
        """The `POST /api/v1/mics` body."""
        return {
            "id": self.id,
            "name": self.name,
            "edge_id": self.edge_id,
            "microphone_type": "MEMS array",
            "location": {"latitude": self.latitude, "longitude": self.longitude},
            "status": "active",
            "streaming": True,
            "connected": True,
            "thresholds": THRESHOLDS.get(self.id, {}),
        }


def _mic(n: int, name: str, dlat: float, dlon: float, edge: str, activity: float) -> MicSpec:
    lat, lon = CENTRE
    return MicSpec(
        id=f"demo_mic_{n:02d}",
        name=name,
        latitude=round(lat + dlat, 6),
        longitude=round(lon + dlon, 6),
        edge_id=f"demo-{edge}",
        activity=activity,
    )


# Offsets in degrees (0.001° is about 111 m north-south and 88 m east-west here): the
# station building, its platforms to the south-west, the plaza and Seoullo to the north.
MICS: tuple[MicSpec, ...] = (
    _mic(1, "Main Concourse", 0.00000, 0.00000, "station", 3.0),
    _mic(2, "KTX Platforms 1-2", -0.00135, -0.00180, "platforms", 2.0),
    _mic(3, "KTX Platforms 3-4", -0.00165, -0.00270, "platforms", 1.5),
    _mic(4, "Line 1 Platform", 0.00090, 0.00165, "subway", 2.0),
    _mic(5, "Line 4 Transfer Passage", 0.00180, 0.00240, "subway", 1.5),
    _mic(6, "AREX Airport Railroad Gate", -0.00060, -0.00405, "platforms", 1.5),
    _mic(7, "East Exit Plaza", 0.00030, 0.00360, "plaza", 1.5),
    _mic(8, "West Exit Bus Stops", -0.00030, -0.00615, "plaza", 1.0),
    _mic(9, "Taxi Rank", 0.00255, 0.00315, "plaza", 1.0),
    _mic(10, "Seoullo 7017 Walkway", 0.00315, -0.00135, "plaza", 1.0),
    _mic(11, "Ticket Hall", 0.00045, -0.00090, "station", 2.0),
    _mic(12, "Parking Garage B2", -0.00240, 0.00120, "station", 0.5),
)

# Loud labels need to be sure on the busy platforms: a threshold each, in both accepted forms.
THRESHOLDS: dict[str, dict[str, Any]] = {
    "demo_mic_02": {"glass_break": {"confidence": 0.5, "sound_level_ge": 60}},
    "demo_mic_04": {"physical_impacts": 0.4},
}

DISTRESS = ("scream_female", "scream_male", "help_me", "save_me", "glass_break")

RULE: dict[str, Any] = {
    "id": "demo_distress",
    "name": "Distress cluster (demo)",
    "description": "3 or more screams, calls for help or breaking glass at one mic in 20 s",
    "window_seconds": 20,
    "min_events": 3,
    "group_by": "mic_id",
    "include_label_ids": list(DISTRESS),
    "enabled": True,
}
