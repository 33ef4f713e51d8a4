from __future__ import annotations

import sys
from pathlib import Path

# mqtt_support (tests/radio) and helpers (tests/sound) are shared with those suites.
for folder in ("radio", "sound"):
    sys.path.insert(0, str(Path(__file__).parents[1] / folder))
