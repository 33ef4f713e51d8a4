from __future__ import annotations

import sys
from pathlib import Path

# helpers (tests/sound), mqtt_support (tests/radio) and cluster_support (tests/cluster).
for folder in ("radio", "sound", "cluster"):
    sys.path.insert(0, str(Path(__file__).parents[1] / folder))
