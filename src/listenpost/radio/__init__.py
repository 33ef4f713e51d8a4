"""Trunked radio: trunk-recorder's MQTT status plugin in (mqtt.py → normalise.py →
processor.py), calls, units, talkgroups, systems, rates and recorders out through the radio
REST (api.py) and tr-engine's `/api/ws` (ws.py, channels.py, routing.py)."""
